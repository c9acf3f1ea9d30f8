import { defineConfig } from 'tsup'
import { libraryConfig } from '../../tsup.shared.ts'

export default defineConfig({
  ...libraryConfig,
  // Two entry points, so prom-client users never load OpenTelemetry and OTel users never load prom-client.
  entry: { index: 'src/index.ts', otel: 'src/otel.ts' },
})
