/** HTTP plumbing for the adapter conformance suite: a listening server, raw requests, body counting. */
import { createServer, type IncomingMessage, type RequestListener, request, type Server } from 'node:http'
import { connect } from 'node:net'
import type { Bulwark } from '@bulwark/core'

/** A server listening on 127.0.0.1 with an ephemeral port. */
export interface Listening {
  /** `http://127.0.0.1:<port>` */
  url: string
  close(): Promise<void>
}

/** Listen on 127.0.0.1:0 and return the URL; `close()` also ends idle keep-alive connections. */
export async function listen(server: Server): Promise<Listening> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address')
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** `listen(createServer(handler))` */
export function serve(handler: RequestListener): Promise<Listening> {
  return listen(createServer(handler))
}

/**
 * Serve a Node request handler with Bulwark mounted in it; `close()` stops the server, then closes the engine when
 * the adapter created it (`owned`).
 */
export async function serveApp(
  handler: RequestListener,
  engine: Bulwark,
  owned: boolean,
): Promise<{ url: string; engine: Bulwark; close(): Promise<void> }> {
  const server = await serve(handler)
  return {
    url: server.url,
    engine,
    async close() {
      await server.close()
      if (owned) await engine.close()
    },
  }
}

/** Read a request body to its end and return its size in bytes. */
export function countBody(req: IncomingMessage): Promise<number> {
  return new Promise((resolve, reject) => {
    let bytes = 0
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
    req.once('end', () => resolve(bytes))
    req.once('error', reject)
  })
}

export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/**
 * Send only the request head (`http.request` without writing a body) and resolve with the response: for a
 * `Content-Length` that is never sent, which only a server that answers before reading the body survives.
 */
export function headOnly(
  url: string,
  path: string,
  method: string,
  headers: Record<string, string>,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { method, headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        text += c
      })
      res.once('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text })
        req.destroy()
      })
    })
    req.once('error', reject)
    req.flushHeaders()
  })
}

/**
 * Write raw bytes to the server (the request should say `Connection: close`) and collect everything it answers until
 * it closes the connection. Rejects when it has not closed within `timeoutMs`. `status` is the first response line's
 * status, 0 when nothing parseable came back.
 */
export function rawExchange(
  url: string,
  bytes: Buffer,
  timeoutMs = 5_000,
): Promise<{ status: number; text: string }> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    const chunks: Buffer[] = []
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no complete answer within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.once('error', () => {}) // a reset after the answer is fine; no answer is caught below
    socket.once('close', () => {
      clearTimeout(timer)
      const text = Buffer.concat(chunks).toString('latin1')
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text)
      resolve({ status: m ? Number(m[1]) : 0, text })
    })
    socket.write(bytes)
  })
}

/** What `chunkedUpload` got back: the answer (`status` 0 when the connection failed before one) and what was sent. */
export interface UploadResult extends RawResponse {
  /** Body bytes written before the answer came (or the connection failed). */
  sent: number
  /** Why the connection failed, when it did. */
  error?: string
}

/**
 * POST a chunked body (`Transfer-Encoding: chunked`, no `Content-Length`) of `bytes` bytes with `http.request`,
 * `chunk` bytes per `write`, waiting for `drain` when the socket is full, and stop writing as soon as an answer has
 * come. Resolves with the answer; rejects when none came within `timeoutMs`, so a test fails rather than hangs.
 */
export function chunkedUpload(
  url: string,
  path: string,
  options: { bytes: number; chunk?: number; headers?: Record<string, string>; timeoutMs?: number },
): Promise<UploadResult> {
  const { bytes, chunk = 16 * 1024, timeoutMs = 10_000 } = options
  const headers = { 'content-type': 'application/octet-stream', ...options.headers }
  return new Promise((resolve, reject) => {
    let settled = false
    let sent = 0
    const timer = setTimeout(() => {
      if (settled) return
      settled = true
      req.destroy()
      reject(new Error(`no answer to a chunked upload within ${timeoutMs} ms (${sent} bytes sent)`))
    }, timeoutMs)
    const finish = (result: UploadResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      req.destroy()
      resolve(result)
    }
    const req = request(`${url}${path}`, { method: 'POST', headers, agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => {
        text += c
      })
      const answer = (error?: Error) => {
        const result: UploadResult = { status: res.statusCode ?? 0, headers: res.headers, text, sent }
        if (error !== undefined) result.error = error.message
        finish(result)
      }
      res.once('end', () => answer())
      res.once('error', answer)
    })
    req.on('error', (error) => finish({ status: 0, headers: {}, text: '', sent, error: error.message }))
    const piece = Buffer.alloc(chunk, 'x')
    const write = (): void => {
      while (!settled && sent < bytes) {
        const n = Math.min(chunk, bytes - sent)
        sent += n
        if (!req.write(n === chunk ? piece : piece.subarray(0, n))) {
          req.once('drain', write)
          return
        }
      }
      if (!settled) req.end()
    }
    write()
  })
}
