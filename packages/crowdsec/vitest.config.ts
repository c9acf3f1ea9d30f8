import { defineConfig, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      // Checks once that CrowdSec's binaries are there; skips loudly, or fails when CI=true.
      globalSetup: ['./test/helpers/global-setup.ts'],
      // Each LAPI test file starts its own CrowdSec Local API; two at a time is plenty on a small machine.
      maxWorkers: 2,
    },
  }),
)
