import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { connect, createServer as createHttp2Server, type Http2ServerRequest } from 'node:http2'
import type { AddressInfo } from 'node:net'
import { chunkedUpload, countBody, fakeClock, type Listening, listen } from '@bulwark/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import {
  type AdapterOptions,
  adapterRuntime,
  BODY_TOO_LARGE,
  type Bulwark,
  createBulwark,
  hasUndeclaredBody,
  responseFor,
} from '../src/index.js'

const ROUTING = { caseSensitive: false, ignoreTrailingSlash: true }
const facts = { ip: '198.51.100.42', method: 'POST', path: '/upload', headers: {} }

describe('the body-too-large report', () => {
  it('is answered by the body-size rule with 413, and counted as suspicious: the 5th bans', async () => {
    const engine = createBulwark({ clock: fakeClock(), logger: false, bodySize: { maxBytes: 1000 } })
    const kinds: string[] = []
    engine.on('suspicious', (e) => kinds.push(e.kind))
    const first = await engine.report(BODY_TOO_LARGE, facts)
    expect(first).toMatchObject({
      conclusion: 'block',
      rule: 'body-size',
      status: 413,
      enforced: true,
      reason: 'Body too large: more than 1000 bytes (limit 1000)',
      evidence: { limit: 1000, suspicion: 1 },
    })
    expect(responseFor(first)?.body).toEqual({
      error: 'Payload Too Large',
      status: 413,
      detail: 'Body too large: more than 1000 bytes (limit 1000)',
    })
    for (let i = 0; i < 3; i++) await engine.report(BODY_TOO_LARGE, facts)
    expect(await engine.report(BODY_TOO_LARGE, facts)).toMatchObject({ status: 403, rule: 'suspicion' })
    expect(kinds).toEqual(Array(5).fill('body-size'))
    await engine.close()
  })

  it('is not enforced in monitor mode, and refuses nothing when the rule is off', async () => {
    const monitor = createBulwark({ logger: false, bodySize: { maxBytes: 1000, mode: 'monitor' } })
    expect(await monitor.report(BODY_TOO_LARGE, facts)).toMatchObject({ status: 413, enforced: false })
    const off = createBulwark({ logger: false, bodySize: false })
    expect(await off.report(BODY_TOO_LARGE, facts)).toMatchObject({ conclusion: 'allow' })
    await Promise.all([monitor.close(), off.close()])
  })
})

describe('hasUndeclaredBody', () => {
  const req = (headers: Record<string, string>, httpVersionMajor = 1) =>
    ({ headers, httpVersionMajor, push: () => true, pause: () => {}, destroy: () => {} }) as const
  it('is true only for a body the HTTP parser does not bound: chunked, or HTTP/2 without content-length', () => {
    expect(hasUndeclaredBody(req({ 'transfer-encoding': 'chunked' }))).toBe(true)
    expect(hasUndeclaredBody(req({}, 2))).toBe(true)
    expect(hasUndeclaredBody(req({}))).toBe(false)
    expect(hasUndeclaredBody(req({ 'content-length': '0' }))).toBe(false)
    expect(hasUndeclaredBody(req({ 'content-length': '10' }, 2))).toBe(false)
  })
})

/** A plain Node server with Bulwark's adapter runtime; `read` is how the app reads the body. */
async function server(
  options: AdapterOptions<IncomingMessage>,
  read: (req: IncomingMessage) => Promise<number> = countBody,
): Promise<Listening & { engine: Bulwark; pushes: boolean[] }> {
  const runtime = adapterRuntime<IncomingMessage>({ clock: fakeClock(), logger: false, ...options }, ROUTING)
  const pushes: boolean[] = []
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    runtime.run(req, req, undefined, (outcome) => {
      if (!outcome.pass) {
        res.writeHead(outcome.response.status).end(JSON.stringify(outcome.response.body))
        return
      }
      outcome.state.limitBody(req, res)
      // Whether Bulwark counts this request's body (its push was wrapped).
      pushes.push(Object.hasOwn(req, 'push'))
      read(req).then(
        (bytes) => res.end(JSON.stringify({ bytes })),
        () => {},
      )
    })
  }
  const listening = await listen(createServer(handler))
  return {
    ...listening,
    engine: runtime.engine,
    pushes,
    close: async () => {
      await listening.close()
      await runtime.engine.close()
    },
  }
}

describe('RequestState.limitBody on a plain Node server', () => {
  const servers: Listening[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()))
  })
  const start = async (...args: Parameters<typeof server>) => {
    const s = await server(...args)
    servers.push(s)
    return s
  }

  it('costs nothing for a request without an undeclared body', async () => {
    const s = await start({ bodySize: { maxBytes: 1000 } })
    await fetch(`${s.url}/`)
    await fetch(`${s.url}/upload`, { method: 'POST', body: 'x'.repeat(500) })
    expect(s.pushes).toEqual([false, false])
  })

  it('cuts an app that reads with an async iterator (paused mode) at the limit', async () => {
    const iterate = async (req: IncomingMessage) => {
      let bytes = 0
      for await (const chunk of req) bytes += (chunk as Buffer).length
      return bytes
    }
    const s = await start({ bodySize: { maxBytes: 1000 } }, iterate)
    const r = await chunkedUpload(s.url, '/upload', { bytes: 1024 * 1024 })
    expect([r.status, r.headers.connection]).toEqual([413, 'close'])
    const ok = await chunkedUpload(s.url, '/upload', { bytes: 1000, chunk: 10 })
    expect([ok.status, ok.text]).toEqual([200, '{"bytes":1000}'])
  })

  it('lets the body go on when the engine fails (fail-open): every byte reaches the app', async () => {
    const s = await start({ bodySize: { maxBytes: 1000 } })
    const errors: string[] = []
    s.engine.on('error', (e) => errors.push(e.message))
    s.engine.report = () => Promise.reject(new Error('store exploded'))
    const r = await chunkedUpload(s.url, '/upload', { bytes: 200_000, chunk: 1000 })
    expect([r.status, r.text]).toEqual([200, '{"bytes":200000}'])
    expect(errors.join()).toContain('store exploded')
  })

  it('lets a client whitelisted after its request was decided go on', async () => {
    const s = await start({ bodySize: { maxBytes: 1000 } })
    const report = s.engine.report.bind(s.engine)
    s.engine.report = async (event, facts) => {
      await s.engine.whitelist.add('127.0.0.1')
      return report(event, facts)
    }
    const r = await chunkedUpload(s.url, '/upload', { bytes: 200_000, chunk: 1000 })
    expect([r.status, r.text]).toEqual([200, '{"bytes":200000}'])
  })
})

describe('RequestState.limitBody over HTTP/2 (no content-length)', () => {
  it('answers 413, resets the stream (NO_ERROR), and reads a body within the limit normally', async () => {
    const runtime = adapterRuntime<Http2ServerRequest>(
      { logger: false, bodySize: { maxBytes: 1000 } },
      ROUTING,
    )
    const server = createHttp2Server((req, res) => {
      runtime.run(req, req, undefined, (outcome) => {
        outcome.state.limitBody(req, res as unknown as ServerResponse)
        countBody(req as unknown as IncomingMessage).then(
          (bytes) => res.end(JSON.stringify({ bytes })),
          () => {},
        )
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const client = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)
    const upload = (bytes: number) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5_000)
        const stream = client.request({ ':method': 'POST', ':path': '/upload' })
        let status = 0
        let text = ''
        stream.on('response', (headers) => {
          status = Number(headers[':status'])
        })
        stream.setEncoding('utf8')
        stream.on('data', (c: string) => {
          text += c
        })
        stream.on('error', () => {})
        stream.once('end', () => {
          clearTimeout(timer)
          stream.destroy()
          resolve({ status, text })
        })
        const piece = Buffer.alloc(Math.min(bytes, 16 * 1024), 'x')
        let sent = 0
        const write = (): void => {
          while (status === 0 && sent < bytes && !stream.destroyed) {
            sent += piece.length
            if (!stream.write(piece)) {
              stream.once('drain', write)
              return
            }
          }
          if (!stream.destroyed) stream.end()
        }
        write()
      })
    try {
      const cut = await upload(12 * 1024 * 1024)
      expect([cut.status, JSON.parse(cut.text).detail]).toEqual([
        413,
        'Body too large: more than 1000 bytes (limit 1000)',
      ])
      expect(await upload(900)).toEqual({ status: 200, text: '{"bytes":900}' })
    } finally {
      client.close()
      server.close()
      await runtime.engine.close()
    }
  })
})
