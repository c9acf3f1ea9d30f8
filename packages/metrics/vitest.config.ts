import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import { sharedConfig } from '../../vitest.shared.ts'

// The shared config maps `@bulwark/metrics` to its source; the README's `@bulwark/metrics/otel` is mapped here too,
// so its examples test the source rather than a build.
const alias = [
  ...((sharedConfig.resolve?.alias ?? []) as { find: RegExp; replacement: string }[]),
  {
    find: /^@bulwark\/metrics\/otel$/,
    replacement: fileURLToPath(new URL('./src/otel.ts', import.meta.url)),
  },
]

export default defineConfig({ ...sharedConfig, resolve: { ...sharedConfig.resolve, alias } })
