// The README's Bun.serve example and a Hono app, run under Bun (the npm package `bun`).
import { describe } from 'vitest'
import { honoChecks, readmeExampleChecks } from './runtime-checks.js'
import { describeRuntime, honoExample, readmeExample, startServer, writeExample } from './runtimes.js'

describeRuntime('bun', (bun) => {
  describe('the README example (Bun.serve with withBulwark)', () => {
    readmeExampleChecks(() => startServer(bun, [readmeExample('Bun.serve', 'bun-serve.ts')]))
  })
  describe('Hono on Bun.serve', () => {
    const serve =
      "const server = Bun.serve({ port: 0, fetch: app.fetch })\nconsole.log('Listening on ' + server.url)"
    honoChecks(() => startServer(bun, [writeExample('bun-hono.ts', honoExample(serve))]))
  })
})
