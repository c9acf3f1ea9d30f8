import type { Options } from 'tsup'

/** How every publishable package builds: ESM and CommonJS with type declarations, for Node 20. */
export const libraryConfig: Options = {
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  treeshake: true,
}
