import { chunkedUpload, rawExchange } from '@bulwark/testkit'
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

/**
 * The body-size rule on a chunked body (no Content-Length) under the runtime, with \`bodySize.maxBytes: 1000\`: read to
 * its last byte within the limit, cut one byte past it with Bulwark's 413 (the handler's read rejected and its own
 * answer replaced), and the fifth such upload bans. Uploads are small: Bun closes a connection whose body was left
 * unread, and a client still writing a large upload then fails on the write before it reads the answer.
 */
export function chunkedBodyChecks(start: () => Promise<RunningServer>): void {
  let server: RunningServer
  beforeAll(async () => {
    server = await start()
  }, 60_000)
  afterAll(() => server?.stop())

  const upload = async (bytes: number) => {
    const r = await chunkedUpload(server.url, '/upload', { bytes, chunk: 100 })
    return [r.status, r.text ? JSON.parse(r.text) : r.error]
  }
  const cut = {
    error: 'Payload Too Large',
    status: 413,
    detail: 'Body too large: more than 1000 bytes (limit 1000)',
  }

  it('reads a chunked body within bodySize.maxBytes, cuts one past it with 413; the fifth cut bans', async () => {
    expect(await upload(1000), server.output()).toEqual([200, { bytes: 1000 }])
    expect(await upload(1001)).toEqual([413, cut])
    for (let i = 0; i < 3; i++) expect(await upload(2000)).toEqual([413, cut])
    const [status, body] = await upload(2000)
    expect([status, (body as { detail?: string }).detail]).toEqual([
      403,
      'Suspicious activity: 5 events in 24h (ban at 5)',
    ])
  })
}
