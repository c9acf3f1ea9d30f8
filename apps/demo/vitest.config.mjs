import { defineConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// The shared config maps every @bulwark package to its source, so the demo is tested against the code as it is.
export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    include: ['test/**/*.test.mjs'],
    testTimeout: 90_000,
    hookTimeout: 60_000,
    // The simulator and the browser test measure rates within one second: one file at a time keeps them honest.
    fileParallelism: false,
  },
})
