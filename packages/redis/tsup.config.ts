import { defineConfig } from 'tsup'
import { libraryConfig } from '../../tsup.shared.ts'

export default defineConfig({
  ...libraryConfig,
  // The library (ESM + CJS with types) and the `bulwark` CLI (ESM; its shebang comes from src/cli/bin.ts).
  entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts' },
  dts: { entry: { index: 'src/index.ts' } },
})
