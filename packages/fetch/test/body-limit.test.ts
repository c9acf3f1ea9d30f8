// The body-size rule on a body without a declared size (a stream, as a chunked upload arrives), driven with
// `new Request(...)` objects directly: what the handler can read, how it reads it, and what is answered. Over real
// HTTP the adapter conformance suite's "chunked bodies" block covers it (Hono and wrap on @hono/node-server), and the
// Bun and Deno tests under those runtimes.
import { createBulwark, type SuspiciousEvent } from '@bulwark/core'
import { fakeClock } from '@bulwark/testkit'
import { Hono } from 'hono'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { bulwarkHono } from '../src/hono.js'
import { type BulwarkHandler, bulwark } from '../src/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
  vi.restoreAllMocks()
})

const TOO_LARGE = {
  error: 'Payload Too Large',
  status: 413,
  detail: 'Body too large: more than 1000 bytes (limit 1000)',
}

/** A POST whose body is a stream of `pieces` pieces of `size` bytes, no Content-Length; `pulled` counts pieces read. */
function upload(pieces: number, size: number, headers: Record<string, string> = {}) {
  const state = { pulled: 0 }
  let left = pieces
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (left-- === 0) {
          controller.close()
          return
        }
        state.pulled++
        controller.enqueue(new Uint8Array(size).fill(120))
      },
    },
    { highWaterMark: 0 },
  ) // read on demand, as a socket is
  const request = new Request('http://app.test/upload', {
    method: 'POST',
    body,
    headers,
    duplex: 'half',
  } as RequestInit)
  return { request, state }
}

function guard(options: Parameters<typeof bulwark>[0] = {}) {
  const engine = createBulwark({
    clock: fakeClock(),
    logger: false,
    bodySize: { maxBytes: 1000 },
    ...options,
  })
  closers.push(() => engine.close())
  const events: string[] = []
  engine.on('suspicious', (e: SuspiciousEvent) => events.push(`${e.kind}:${e.count}`))
  return { guard: bulwark({ engine }), events }
}

const ip = { ip: '203.0.113.9' }

describe('a body without a declared size, under bulwark().handle and wrap', () => {
  it('is read to its last byte within the limit, through every reader', async () => {
    const { guard: g, events } = guard()
    const readers: [string, (r: Request) => Promise<number>][] = [
      ['arrayBuffer', async (r) => (await r.arrayBuffer()).byteLength],
      ['text', async (r) => (await r.text()).length],
      ['blob', async (r) => (await r.blob()).size],
      ['bytes', async (r) => (await (r as Request & { bytes(): Promise<Uint8Array> }).bytes()).length],
      ['body', async (r) => (await new Response(r.body).arrayBuffer()).byteLength],
      ['clone', async (r) => (await r.clone().arrayBuffer()).byteLength],
    ]
    for (const [name, read] of readers) {
      const { request } = upload(10, 100)
      const r = await g.handle(request, ip, async (req) => Response.json({ bytes: await read(req) }))
      expect([name, r.status, await r.json()]).toEqual([name, 200, { bytes: 1000 }])
    }
    expect(events).toEqual([])
  })

  it('is cut at the limit: the handler never gets a byte past it, its own answer is replaced by the 413', async () => {
    const { guard: g, events } = guard()
    const { request, state } = upload(100, 300)
    let seen = -1
    let caught: unknown
    const r = await g.handle(request, ip, async (req) => {
      const reader = (req.body as ReadableStream<Uint8Array>).getReader()
      seen = 0
      try {
        for (;;) {
          const { done, value } = await reader.read()
          if (done) break
          seen += value.byteLength
        }
      } catch (error) {
        caught = error
      }
      return Response.json({ ok: true, seen })
    })
    expect([r.status, r.headers.get('connection'), await r.json()]).toEqual([413, 'close', TOO_LARGE])
    expect(seen).toBe(900) // three pieces of 300; the fourth passed the limit and was held back
    expect(state.pulled).toBe(4) // nothing more was read from the upload
    expect(caught).toMatchObject({
      name: 'BodyTooLargeError',
      code: 'ERR_BULWARK_BODY_TOO_LARGE',
      maxBytes: 1000,
    })
    expect(events).toEqual(['body-size:1'])
  })

  it('answers the 413 when the handler lets the read reject, and counts a clone against the same limit', async () => {
    const { guard: g } = guard()
    const thrown = await g.handle(upload(5, 300).request, ip, async (req) => Response.json(await req.json()))
    expect([thrown.status, await thrown.json()]).toEqual([413, TOO_LARGE])
    const cloned = await g.handle(upload(5, 300).request, ip, async (req) =>
      Response.json({ bytes: (await req.clone().arrayBuffer()).byteLength }),
    )
    expect([cloned.status, await cloned.json()]).toEqual([413, TOO_LARGE])
  })

  it("the wrapped handler gets the runtime's own Request (Bun's server.requestIP knows it)", async () => {
    const { guard: g } = guard()
    const { request } = upload(1, 10)
    const known = new WeakSet([request])
    const server = {
      requestIP: (r: Request) => (known.has(r) ? { address: '198.51.100.1' } : null),
    }
    const handler: BulwarkHandler<Request, typeof server> = async (req, srv) =>
      Response.json({ ip: srv.requestIP(req)?.address ?? null, text: await req.text() })
    const r = await g.wrap(handler)(request, server)
    expect(await r.json()).toEqual({ ip: '198.51.100.1', text: 'x'.repeat(10) })
  })

  it('leaves a declared body, a whitelisted client and an unread body alone; never cuts in monitor mode', async () => {
    const { guard: g, events } = guard({ whitelist: ['203.0.113.9'] })
    const declared = new Request('http://app.test/upload', {
      method: 'POST',
      body: 'x'.repeat(500),
      headers: { 'content-length': '500' },
    })
    expect(Object.getOwnPropertyNames(declared)).toEqual([])
    await g.handle(declared, { ip: '198.51.100.2' }, async () => new Response('ok'))
    expect(Object.getOwnPropertyNames(declared)).toEqual([])
    const white = await g.handle(upload(10, 300).request, ip, async (req) =>
      Response.json({ bytes: (await req.arrayBuffer()).byteLength }),
    )
    expect(await white.json()).toEqual({ bytes: 3000 })
    const { request, state } = upload(10, 300)
    const unread = await g.handle(request, { ip: '198.51.100.3' }, async () => Response.json({ ok: true }))
    expect([unread.status, state.pulled]).toEqual([200, 0])
    for (const options of [
      { mode: 'monitor' as const },
      { bodySize: { maxBytes: 1000, mode: 'monitor' as const } },
    ]) {
      const m = guard(options)
      const r = await m.guard.handle(upload(10, 300).request, ip, async (req) =>
        Response.json({ bytes: (await req.arrayBuffer()).byteLength }),
      )
      expect([r.status, await r.json(), m.events]).toEqual([200, { bytes: 3000 }, ['body-size:1']])
    }
    expect(events).toEqual([])
  })
})

describe('a body without a declared size, under bulwarkHono', () => {
  it("is cut with Bulwark's 413 whatever the handler or Hono's error handler answers, and nothing is logged", async () => {
    const engine = createBulwark({ clock: fakeClock(), logger: false, bodySize: { maxBytes: 1000 } })
    closers.push(() => engine.close())
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {})
    const app = new Hono()
    app.use(bulwarkHono({ engine, getConnInfo: () => ({ remote: { address: '203.0.113.9' } }) }))
    app.post('/upload', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }))
    app.post('/caught', async (c) => {
      try {
        await c.req.text()
      } catch {
        // the handler's own answer to a failed read
      }
      return c.json({ ok: true }, 200, { 'x-app': 'mine' })
    })
    for (const path of ['/upload', '/caught']) {
      const { request } = upload(5, 300)
      const r = await app.fetch(new Request(`http://app.test${path}`, request))
      expect([path, r.status, r.headers.get('x-app'), await r.json()]).toEqual([path, 413, null, TOO_LARGE])
    }
    const within = await app.fetch(new Request('http://app.test/upload', upload(3, 300).request))
    expect(await within.json()).toEqual({ bytes: 900 })
    expect(logged).not.toHaveBeenCalled()
  })
})
