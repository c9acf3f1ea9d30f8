import { defineConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

export default defineConfig({
  ...sharedConfig,
  test: {
    ...sharedConfig.test,
    // Each file starts its own CrowdSec Local API; two at a time is plenty on a small machine.
    maxWorkers: 2,
  },
})
