import { defineConfig } from 'tsup'

export default defineConfig({
  // The library (ESM + CJS with types) and the `bulwark` CLI (ESM; its shebang comes from src/cli/bin.ts).
  entry: { index: 'src/index.ts', cli: 'src/cli/bin.ts' },
  format: ['esm', 'cjs'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
  treeshake: true,
})
