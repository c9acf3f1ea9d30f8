import { defineConfig } from 'tsup'
import { libraryConfig } from '../../tsup.shared.ts'

export default defineConfig(libraryConfig)
