import { defineConfig } from 'tsup'
import { libraryConfig } from '../../tsup.shared.ts'

// `shims` gives the CommonJS build an `import.meta.url`, which finds the dashboard's files in `public/`.
export default defineConfig({ ...libraryConfig, shims: true })
