import { defineConfig } from 'tsup'
import { libraryConfig } from '../../tsup.shared.ts'

export default defineConfig({
  ...libraryConfig,
  // ESM only: the suites run inside vitest, which is ESM only. `readme` is its own entry: it loads no suite.
  entry: { index: 'src/index.ts', readme: 'src/readme.ts' },
  format: ['esm'],
  external: ['vitest'],
})
