// The byte limit of a body without a declared size (chunked), enforced while the app's own body parser reads it:
// Bulwark never reads, buffers or consumes a body; it counts the bytes the HTTP parser hands to the request stream.

import type { ServerResponse } from 'node:http'
import type { HttpResponse } from './http.js'

/**
 * A request body as Node gives it: an `IncomingMessage` (HTTP/1.x), or an `Http2ServerRequest` (the compatibility
 * API). Node's HTTP parser hands each piece of the body to the stream with `push(chunk)`, and `push(null)` at its end.
 */
export interface BodyStream {
  headers: Record<string, string | string[] | undefined>
  httpVersionMajor?: number
  /** True once the whole message was received. */
  complete?: boolean
  push(chunk: unknown, encoding?: BufferEncoding): boolean
  pause(): unknown
  destroy(error?: Error): unknown
  /** HTTP/2: the request's stream (destroying an `Http2ServerRequest` does not reset it). */
  stream?: { close(code?: number): void } | undefined
}

/**
 * True when the request carries a body whose size was not declared, the only kind the HTTP parser does not bound by
 * itself: HTTP/1.1 `Transfer-Encoding` without `Content-Length` (Node refuses both together), or an HTTP/2 request
 * without `content-length`. A declared size is checked by the body-size rule before the body is read, and Node never
 * reads past it; a request with neither header has no body (RFC 9112 §6.3).
 */
export function hasUndeclaredBody(req: BodyStream): boolean {
  const headers = req.headers
  if (headers['content-length'] !== undefined || req.complete === true) return false
  return headers['transfer-encoding'] !== undefined || req.httpVersionMajor === 2
}

/**
 * What happens when a body passes its limit: `report()` resolves to Bulwark's answer, or `null` to let the body go on
 * (monitor mode, a whitelisted client, the engine failed open).
 */
export interface BodyLimitHandler {
  maxBytes: number
  /**
   * Whether the limit is enforced. Not enforced (monitor mode), the overflow is reported once and the body flows on
   * untouched; enforced, the body is held at the limit until `report()` says whether to cut it.
   */
  enforced: boolean
  report(): Promise<HttpResponse | null>
  /**
   * Send the answer the framework's way (fastify: through `reply`, so its hooks and headers apply). Default: written
   * on `res` as it is. The headers include `Connection: close` on HTTP/1.x.
   */
  answer?: ((response: HttpResponse) => void) | undefined
}

const WATCHED = Symbol('bulwark.limitBody')

/**
 * Count the bytes of `req`'s body as the HTTP parser hands them to the stream, without reading it: `push` is wrapped,
 * so no listener is attached and the stream's flowing or paused state is the app's. While the count stays within
 * `maxBytes` each piece goes through untouched. The piece that passes the limit is held back (the app never sees a
 * byte past the limit) and the socket stops being read while `report()` runs; then either
 * - Bulwark answers: the upload is cut — `res` gets the answer (with `Connection: close`), unless a response has
 *   already started, and the request is destroyed once it is sent, so the app's body parser sees the request aborted
 *   and the connection is freed — or
 * - the body goes on: the held pieces are handed over in order and the count stops.
 */
export function limitBody(req: BodyStream, res: ServerResponse, handler: BodyLimitHandler): void {
  const marked = req as BodyStream & { [WATCHED]?: true }
  if (marked[WATCHED] === true) return
  marked[WATCHED] = true
  const push = req.push
  let bytes = 0
  /** Pieces held back while the report runs; `null` once the upload is cut. */
  let held: [unknown, BufferEncoding | undefined][] | null | undefined
  const restore = () => {
    req.push = push
  }
  const release = () => {
    const pieces = held ?? []
    held = undefined
    restore()
    for (const [chunk, encoding] of pieces) req.push(chunk, encoding)
  }
  req.push = (chunk: unknown, encoding?: BufferEncoding): boolean => {
    if (held === null) return false
    if (held !== undefined) {
      held.push([chunk, encoding])
      return false
    }
    if (chunk !== null && chunk !== undefined) {
      bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : (chunk as Uint8Array).length
      if (bytes > handler.maxBytes) return over(chunk, encoding)
    }
    return push.call(req, chunk, encoding)
  }

  function over(chunk: unknown, encoding: BufferEncoding | undefined): boolean {
    if (!handler.enforced) {
      restore()
      handler.report().then(undefined, () => {})
      return push.call(req, chunk, encoding)
    }
    held = [[chunk, encoding]]
    handler.report().then(
      (answer) => (answer === null ? release() : cut(answer)),
      () => release(),
    )
    // false: the HTTP parser stops reading the socket until the stream asks for more.
    return false
  }

  function cut(answer: HttpResponse): void {
    held = null
    req.pause()
    let destroyed = false
    const destroy = () => {
      if (destroyed) return
      destroyed = true
      // HTTP/2: a complete response, then RST_STREAM (NO_ERROR) asks the client to stop sending (RFC 9113 §8.1).
      req.stream?.close()
      req.destroy()
    }
    if (res.headersSent || res.writableEnded || res.destroyed || res.socket?.destroyed === true) {
      destroy()
      return
    }
    // Once the answer is sent: HTTP/1.x says `finish`; an HTTP/2 response says it only when the stream closes, which
    // waits for the client's end of the upload, so its stream's own `finish` is awaited (then RST_STREAM).
    const sent = (res as ServerResponse & { stream?: ServerResponse }).stream ?? res
    sent.once('finish', destroy)
    res.once('close', destroy)
    // The client is still sending: the connection cannot be reused. (HTTP/2 has no such header; the stream is reset.)
    const response =
      req.httpVersionMajor === 2 ? answer : { ...answer, headers: { ...answer.headers, Connection: 'close' } }
    try {
      if (handler.answer !== undefined) handler.answer(response)
      else send(res, response)
    } catch {
      destroy()
    }
  }
}

function send(res: ServerResponse, response: HttpResponse): void {
  res.statusCode = response.status
  for (const [name, value] of Object.entries(response.headers)) res.setHeader(name, value)
  res.end(JSON.stringify(response.body))
}
