// The README's Bun.serve example and a Hono app, run under Bun (the npm package `bun`).
import { describe } from 'vitest'
import { chunkedBodyChecks, honoChecks, readmeExampleChecks } from './runtime-checks.js'
import {
  describeRuntime,
  honoExample,
  readmeExample,
  startServer,
  uploadExample,
  writeExample,
} from './runtimes.js'

describeRuntime('bun', (bun) => {
  describe('the README example (Bun.serve with withBulwark)', () => {
    readmeExampleChecks(() => startServer(bun, [readmeExample('Bun.serve', 'bun-serve.ts')]))
  })
  describe('Hono on Bun.serve', () => {
    const serve =
      "const server = Bun.serve({ port: 0, fetch: app.fetch })\nconsole.log('Listening on ' + server.url)"
    honoChecks(() => startServer(bun, [writeExample('bun-hono.ts', honoExample(serve))]))
  })
  const serve = (fetch: string) =>
    `const server = Bun.serve({ port: 0, fetch: ${fetch} })\nconsole.log('Listening on ' + server.url)`
  describe('a chunked body under Bun.serve: withBulwark', () => {
    chunkedBodyChecks(() =>
      startServer(bun, [writeExample('bun-upload.ts', uploadExample(serve('handler')))]),
    )
  })
  describe('a chunked body under Bun.serve: Hono', () => {
    chunkedBodyChecks(() =>
      startServer(bun, [writeExample('bun-hono-upload.ts', honoExample(serve('app.fetch')))]),
    )
  })
})
