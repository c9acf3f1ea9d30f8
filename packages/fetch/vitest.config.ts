import { fileURLToPath } from 'node:url'
import { defineConfig, mergeConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

export default mergeConfig(
  sharedConfig,
  defineConfig({
    // The shared config maps `@bulwark/fetch` to its source; its `/hono` entry too, so tests need no build.
    resolve: {
      alias: [
        {
          find: /^@bulwark\/fetch\/hono$/,
          replacement: fileURLToPath(new URL('src/hono.ts', import.meta.url)),
        },
      ],
    },
  }),
)
