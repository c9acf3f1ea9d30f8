import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.mjs'],
    testTimeout: 55_000,
    hookTimeout: 55_000,
  },
})
