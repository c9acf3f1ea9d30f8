// The README's Hono example, a complete app on Node with @hono/node-server, run as written (on a free port).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type RunningServer, readmeExample, startServer } from './runtimes.js'

const node = { name: 'node' as const, bin: process.execPath, version: process.version }
const WRONG = {
  method: 'POST',
  body: JSON.stringify({ password: 'guess' }),
  headers: { 'content-type': 'application/json' },
}

describe('the README Hono example on Node', () => {
  let server: RunningServer
  beforeAll(async () => {
    server = await startServer(node, [readmeExample('Hono', 'node-hono.mjs', 'js')])
  }, 60_000)
  afterAll(() => server?.stop())

  it('serves a lookup with its decision and the security headers', async () => {
    const r = await fetch(`${server.url}/api/lookup?hash=a`)
    expect([r.status, r.headers.get('x-content-type-options'), await r.json()], server.output()).toEqual([
      200,
      'nosniff',
      { hash: 'a', conclusion: 'allow' },
    ])
  })

  it("limits POST /auth/login to 5 a minute under the route's name; the 6th attempt gets 429", async () => {
    const got: [number, string | null][] = []
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${server.url}/auth/login`, WRONG)
      await r.arrayBuffer()
      got.push([r.status, r.headers.get('ratelimit-policy')])
    }
    const policy = '"POST /auth/login";q=5;w=60'
    expect(got).toEqual([...Array(5).fill([401, policy]), [429, policy]])
  })

  it('counts a bad token as an auth failure and bans a scanner with 403, security headers kept', async () => {
    const bad = await fetch(`${server.url}/api/token`, { method: 'POST', body: '{}' })
    expect([bad.status, await bad.json()]).toEqual([400, { error: 'bad token' }])
    const scan = await fetch(`${server.url}/api/lookup`, { headers: { 'user-agent': 'sqlmap/1.7' } })
    expect([scan.status, scan.headers.get('x-content-type-options'), await scan.json()]).toEqual([
      403,
      'nosniff',
      { error: 'Rate Limit Exceeded - Security Block', status: 403, detail: 'Scanner user agent: sqlmap' },
    ])
  })
})
