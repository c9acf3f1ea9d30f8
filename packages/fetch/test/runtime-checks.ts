import { rawExchange } from '@bulwark/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { RunningServer } from './runtimes.js'

const WRONG = {
  method: 'POST',
  body: JSON.stringify({ password: 'guess' }),
  headers: { 'content-type': 'application/json' },
}

/** What the README's Bun.serve and Deno.serve examples must do under their runtime (requests from 127.0.0.1). */
export function readmeExampleChecks(start: () => Promise<RunningServer>): void {
  let server: RunningServer
  beforeAll(async () => {
    server = await start()
  }, 60_000)
  afterAll(() => server?.stop())

  it('serves a request with its decision, read from the connection the runtime gave', async () => {
    const r = await fetch(`${server.url}/api/lookup?hash=a`)
    expect([r.status, await r.json()], server.output()).toEqual([200, { hash: 'a', conclusion: 'allow' }])
  })

  it('limits /auth/: RateLimit headers, the routed spellings counted, 429 past the limit', async () => {
    const statuses: [number, string | null][] = []
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${server.url}/auth/login`, WRONG)
      await r.arrayBuffer()
      statuses.push([r.status, r.headers.get('ratelimit-policy')])
    }
    expect(statuses).toEqual(Array(4).fill([401, '"auth";q=5;w=60']))
    // Sent byte for byte: the handler routes `new URL(request.url).pathname`, /auth/login; so does the limit.
    const raw = await rawExchange(
      server.url,
      Buffer.from(
        'POST /auth\\login HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
      ),
    )
    expect([raw.status, /\r\nratelimit: "auth";r=0;/i.test(raw.text)], raw.text).toEqual([401, true])
    const limited = await fetch(`${server.url}/auth/login`, WRONG)
    expect([limited.status, ((await limited.json()) as { error: string }).error]).toEqual([
      429,
      'Too Many Requests',
    ])
  })

  it('bans a scanner: 403 JSON with Retry-After, and the address stays banned', async () => {
    const r = await fetch(`${server.url}/api/lookup`, { headers: { 'user-agent': 'sqlmap/1.7' } })
    expect([r.status, r.headers.get('retry-after'), await r.json()]).toEqual([
      403,
      '3600',
      { error: 'Rate Limit Exceeded - Security Block', status: 403, detail: 'Scanner user agent: sqlmap' },
    ])
    expect((await fetch(`${server.url}/api/lookup?hash=b`)).status).toBe(403)
  })
}

/** What the Hono example (`honoExample`) must do: the address found without getConnInfo, the limit applied. */
export function honoChecks(start: () => Promise<RunningServer>): void {
  let server: RunningServer
  beforeAll(async () => {
    server = await start()
  }, 60_000)
  afterAll(() => server?.stop())

  it('Hono without getConnInfo: the connection address is found (no 400), the limit applies', async () => {
    const first = await fetch(`${server.url}/api/items`)
    expect(
      [first.status, first.headers.get('ratelimit-policy'), await first.json()],
      server.output(),
    ).toEqual([200, '"api";q=1;w=60', { conclusion: 'allow' }])
    const second = await fetch(`${server.url}/api/items`)
    await second.arrayBuffer()
    expect(second.status).toBe(429)
  })
}
