import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Bulwark, type DenyList, denyList } from '../src/index.js'
import { harness } from './helpers.js'

// A self-signed certificate for 127.0.0.1 (valid until 2126), trusted through the list's `ca` option.
const fixtures = join(import.meta.dirname, 'fixtures', 'tls')
const cert = readFileSync(join(fixtures, 'localhost.crt'))
const key = readFileSync(join(fixtures, 'localhost.key'))

interface Served {
  status?: number
  body?: string
  etag?: string
  lastModified?: string
  /** Hold the answer back (a server that hangs). */
  hang?: boolean
}

/** A local HTTPS server the test scripts: what it answers, and what it was asked. */
async function listServer() {
  const seen: { ifNoneMatch?: string; ifModifiedSince?: string; path: string }[] = []
  const waiting: (() => void)[] = []
  let next: Served = { body: '' }
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const ask: (typeof seen)[number] = { path: req.url ?? '' }
    if (typeof req.headers['if-none-match'] === 'string') ask.ifNoneMatch = req.headers['if-none-match']
    if (typeof req.headers['if-modified-since'] === 'string')
      ask.ifModifiedSince = req.headers['if-modified-since']
    seen.push(ask)
    for (const w of waiting.splice(0)) w()
    if (req.url === '/moved') {
      res.writeHead(302, { location: '/list.txt' }).end()
      return
    }
    if (next.hang) return
    if (next.etag !== undefined && req.headers['if-none-match'] === next.etag) {
      res.writeHead(304).end()
      return
    }
    if (next.lastModified !== undefined && req.headers['if-modified-since'] === next.lastModified) {
      res.writeHead(304).end()
      return
    }
    const headers: Record<string, string> = { 'content-type': 'text/plain' }
    if (next.etag !== undefined) headers.etag = next.etag
    if (next.lastModified !== undefined) headers['last-modified'] = next.lastModified
    res.writeHead(next.status ?? 200, headers).end(next.body ?? '')
  }
  const server = createHttpsServer({ cert, key }, handle)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  return {
    url: `https://127.0.0.1:${port}/list.txt`,
    base: `https://127.0.0.1:${port}`,
    seen,
    serve(s: Served) {
      next = s
    },
    /** Resolves at the next request. */
    asked: () => new Promise<void>((r) => waiting.push(r)),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}

let server: Awaited<ReturnType<typeof listServer>>
let engine: Bulwark | undefined
let dir: string

beforeEach(async () => {
  server = await listServer()
  dir = mkdtempSync(join(tmpdir(), 'bulwark-deny-'))
})

afterEach(async () => {
  vi.useRealTimers()
  await engine?.close()
  engine = undefined
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

const ip = (h: ReturnType<typeof harness>, address: string) => h.req({ ip: address })

describe('denyList() from an HTTPS URL', () => {
  it('loads the list, then asks with If-None-Match and keeps it on 304', async () => {
    server.serve({
      body: '# FireHOL-style list\n203.0.113.0/24\n198.51.100.7 ; SBL123\n\nnot-an-ip\n2001:db8:bad::/48 # v6\n',
      etag: '"v1"',
    })
    const list = denyList({ name: 'firehol', from: server.url, ca: cert })
    const h = harness({ deny: [list] })
    engine = h.engine
    await h.engine.ready
    expect(list.stats()).toMatchObject({ entries: 3, rejected: 1, loads: 1, unchanged: 0, failures: 0 })
    expect(await ip(h, '203.0.113.50')).toMatchObject({
      status: 403,
      rule: 'deny',
      reason: 'Denied by firehol: 203.0.113.0/24',
      evidence: { source: 'firehol', matched: '203.0.113.0/24' },
    })
    expect(await ip(h, '198.51.100.7')).toMatchObject({ reason: 'Denied by firehol: 198.51.100.7 (SBL123)' })
    expect(await ip(h, '2001:db8:bad::1')).toMatchObject({
      reason: 'Denied by firehol: 2001:db8:bad::/48 (v6)',
    })
    expect(await ip(h, '198.51.100.8')).toMatchObject({ conclusion: 'allow' })
    expect(server.seen[0]).toEqual({ path: '/list.txt' })

    await list.refresh()
    expect(server.seen[1]).toEqual({ path: '/list.txt', ifNoneMatch: '"v1"' })
    expect(list.stats()).toMatchObject({ entries: 3, loads: 1, unchanged: 1 })
    expect(await ip(h, '203.0.113.50')).toMatchObject({ status: 403 })

    // A new version replaces the old one whole.
    server.serve({ body: '192.0.2.0/24\n', etag: '"v2"' })
    await list.refresh()
    expect(list.stats()).toMatchObject({ entries: 1, loads: 2 })
    expect(await ip(h, '203.0.113.50')).toMatchObject({ conclusion: 'allow' })
    expect(await ip(h, '192.0.2.1')).toMatchObject({ status: 403 })
    expect((await h.engine.listBans()).map((b) => [b.target, b.source])).toEqual([
      ['192.0.2.0/24', 'firehol'],
    ])
  })

  it('uses If-Modified-Since when the server sends Last-Modified only', async () => {
    const lastModified = 'Wed, 02 Dec 2026 10:00:00 GMT'
    server.serve({ body: '203.0.113.0/24\n', lastModified })
    const list = denyList({ name: 'l', from: server.url, ca: cert })
    engine = harness({ deny: [list] }).engine
    await engine.ready
    await list.refresh()
    expect(server.seen[1]).toEqual({ path: '/list.txt', ifModifiedSince: lastModified })
    expect(list.stats()).toMatchObject({ loads: 1, unchanged: 1 })
  })

  it('keeps the last good list when a refresh fails: HTTP error, not a list, too big, timeout, TLS', async () => {
    server.serve({ body: '203.0.113.0/24\n', etag: '"v1"' })
    const list = denyList({ name: 'l', from: server.url, ca: cert, maxBytes: 1000, timeoutMs: 5000 })
    const h = harness({ deny: [list] })
    engine = h.engine
    await h.engine.ready
    const failures: [Served, RegExp][] = [
      [{ status: 500, body: 'oops' }, /HTTP 500/],
      [{ body: '<html><body>Login required</body></html>\n<p>nothing</p>\n' }, /not a deny list/],
      [{ body: `${'10.0.0.1\n'.repeat(200)}` }, /over maxBytes \(1000\)/],
    ]
    for (const [served, message] of failures) {
      server.serve(served)
      await expect(list.refresh()).rejects.toThrow(message)
      expect(await ip(h, '203.0.113.1')).toMatchObject({ status: 403 })
    }
    expect(list.stats()).toMatchObject({ entries: 1, loads: 1, failures: 3 })
    expect(list.stats().lastError).toMatch(/maxBytes/)

    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    server.serve({ hang: true })
    const asked = server.asked()
    const pending = list.refresh()
    const settled = expect(pending).rejects.toThrow(/no complete answer within 5000 ms/)
    await asked
    await vi.advanceTimersByTimeAsync(5000)
    await settled
    vi.useRealTimers()
    expect(await ip(h, '203.0.113.1')).toMatchObject({ status: 403 })

    // A server whose certificate is not trusted is a failure too (no `ca`).
    const untrusted = denyList({ name: 'u', from: server.url })
    await expect(untrusted.refresh()).resolves.toBeUndefined() // not started: nothing to do
    const h2 = harness({ deny: [untrusted] })
    const errors: unknown[] = []
    h2.engine.on('error', (e) => errors.push(e))
    await h2.engine.ready
    expect(String(errors[0])).toMatch(/ERR_BULWARK_DENY_LIST|self-signed|certificate/)
    await h2.engine.close()
  })

  it('follows a redirect, and reads CSV by column name with a reason column', async () => {
    server.serve({
      body: 'first_seen,ip_address,malware\n2026-12-01,"203.0.113.9",Emotet\n2026-12-01,bogus,x\n2026-12-02,198.51.100.0/24,"Qak, bot"\n',
    })
    const list = denyList({
      name: 'feodo',
      from: `${server.base}/moved`,
      ca: cert,
      format: { csv: 'ip_address', reason: 'malware' },
    })
    const h = harness({ deny: [list] })
    engine = h.engine
    await h.engine.ready
    expect(server.seen.map((s) => s.path)).toEqual(['/moved', '/list.txt'])
    expect(list.stats()).toMatchObject({ entries: 2, rejected: 1 })
    expect(await ip(h, '203.0.113.9')).toMatchObject({ reason: 'Denied by feodo: 203.0.113.9 (Emotet)' })
    expect(await ip(h, '198.51.100.20')).toMatchObject({
      reason: 'Denied by feodo: 198.51.100.0/24 (Qak, bot)',
    })
  })

  it('refreshes on its schedule, retries a failure sooner, and leaves no timer after close()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    server.serve({ body: '203.0.113.0/24\n', etag: '"v1"' })
    const list = denyList({ name: 'l', from: server.url, ca: cert, refreshMs: 600_000 })
    const h = harness({ deny: [list] })
    engine = h.engine
    const errors: unknown[] = []
    h.engine.on('error', (e) => errors.push(e))
    await h.engine.ready
    expect(server.seen).toHaveLength(1)
    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(599_999)
    expect(server.seen).toHaveLength(1)
    let asked = server.asked()
    await vi.advanceTimersByTimeAsync(1)
    await asked
    await vi.waitFor(() => expect(list.stats().unchanged).toBe(1))
    // A failed refresh is reported through the engine and tried again after 30 s, then 60 s.
    server.serve({ status: 503 })
    asked = server.asked()
    await vi.advanceTimersByTimeAsync(600_000)
    await asked
    await vi.waitFor(() => expect(list.stats().failures).toBe(1))
    expect(String(errors[0])).toMatch(
      /deny list l: loading https:\/\/127\.0\.0\.1:\d+\/list\.txt failed \(HTTP 503\)/,
    )
    asked = server.asked()
    await vi.advanceTimersByTimeAsync(30_000)
    await asked
    await vi.waitFor(() => expect(list.stats().failures).toBe(2))
    server.serve({ body: '192.0.2.0/24\n', etag: '"v2"' })
    asked = server.asked()
    await vi.advanceTimersByTimeAsync(60_000)
    await asked
    await vi.waitFor(() => expect(list.stats().loads).toBe(2))
    expect(list.stats().lastError).toBeUndefined()
    await h.engine.close()
    engine = undefined
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('denyList() from a file', () => {
  it('reads the file, re-reads it only when it changed, and keeps the list when it disappears', async () => {
    const path = join(dir, 'deny.txt')
    writeFileSync(path, '203.0.113.0/24 # abuse\n')
    const list = denyList({ name: 'local', from: path })
    const h = harness({ deny: [list] })
    engine = h.engine
    await h.engine.ready
    expect(await ip(h, '203.0.113.4')).toMatchObject({ reason: 'Denied by local: 203.0.113.0/24 (abuse)' })
    await list.refresh()
    expect(list.stats()).toMatchObject({ loads: 1, unchanged: 1 })
    writeFileSync(path, '203.0.113.0/24 # abuse\n198.51.100.0/24\n')
    await list.refresh()
    expect(list.stats()).toMatchObject({ loads: 2, entries: 2 })
    rmSync(path)
    await expect(list.refresh()).rejects.toMatchObject({ code: 'ERR_BULWARK_DENY_LIST' })
    expect(await ip(h, '198.51.100.1')).toMatchObject({ status: 403 })
  })

  it('checks its options', () => {
    expect(() => denyList({ name: '', from: 'x' })).toThrow(/name/)
    expect(() => denyList({ name: 'x', from: 'ftp://example.com/list' })).toThrow(/ftp:/)
    expect(() => denyList({ name: 'x', from: 'a', refreshMs: 0 })).toThrow(/refreshMs/)
    expect(() => denyList({ name: 'x', from: 'a', format: { csv: {} as never } })).toThrow(/format/)
    const list: DenyList = denyList({ name: 'x', from: `file://${join(dir, 'y.txt')}` })
    expect(list.name).toBe('x')
  })
})
