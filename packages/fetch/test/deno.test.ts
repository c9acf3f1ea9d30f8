// The README's Deno.serve example and a Hono app, run under Deno (the npm package `deno`).
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

/** The permissions the README names. */
const RUN = ['run', '--allow-net', '--allow-env', '--allow-read']

describeRuntime('deno', (deno) => {
  describe('the README example (Deno.serve with withBulwark)', () => {
    readmeExampleChecks(() => startServer(deno, [...RUN, readmeExample('Deno.serve', 'deno-serve.ts')]))
  })
  describe('Hono on Deno.serve', () => {
    const serve =
      "Deno.serve({ port: 0, onListen: ({ port }) => console.log('Listening on http://127.0.0.1:' + port) }, app.fetch)"
    honoChecks(() => startServer(deno, [...RUN, writeExample('deno-hono.ts', honoExample(serve))]))
  })
  const serve = (fetch: string) =>
    `Deno.serve({ port: 0, onListen: ({ port }) => console.log('Listening on http://127.0.0.1:' + port) }, ${fetch})`
  describe('a chunked body under Deno.serve: withBulwark', () => {
    chunkedBodyChecks(() =>
      startServer(deno, [...RUN, writeExample('deno-upload.ts', uploadExample(serve('handler')))]),
    )
  })
  describe('a chunked body under Deno.serve: Hono', () => {
    chunkedBodyChecks(() =>
      startServer(deno, [...RUN, writeExample('deno-hono-upload.ts', honoExample(serve('app.fetch')))]),
    )
  })
})
