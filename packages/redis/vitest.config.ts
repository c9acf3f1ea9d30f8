import { defineConfig, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // Checks once that Redis answers and redis-server is installed; skips loudly, or fails when CI=true.
      globalSetup: ['./test/helpers/global-setup.ts'],
      // CLI and fault tests start processes and servers; on a loaded 2-core CI machine that takes seconds.
      testTimeout: 60_000,
    },
  }),
)
