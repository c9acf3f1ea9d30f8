// The byte limit of a body without a declared size (chunked), enforced while the handler reads it, as the Node
// adapters do with the HTTP parser's stream: Bulwark never reads, buffers or consumes a body on the app's behalf; it
// counts the bytes the handler pulls from the request's body stream.

import {
  type AdapterRuntime,
  BODY_TOO_LARGE,
  type BulwarkRequestState,
  type HttpResponse,
  isRefused,
  RequestState,
  responseFor,
} from '@bulwark/core'
import { refusal } from './shared.js'

/**
 * What a handler's body read rejects with once Bulwark cut the body: Bulwark then answers the request itself, whatever
 * the handler makes of the error. `getResponse()` is that answer (so Hono's error handler, which answers an error with
 * its `getResponse()`, neither logs it nor makes it a 500).
 */
export class BodyTooLargeError extends Error {
  readonly code = 'ERR_BULWARK_BODY_TOO_LARGE'
  readonly #answer: HttpResponse
  constructor(
    readonly maxBytes: number,
    answer: HttpResponse,
  ) {
    super(`Body too large: more than ${maxBytes} bytes (limit ${maxBytes}); Bulwark answers this request`)
    this.name = 'BodyTooLargeError'
    this.#answer = answer
  }
  /** Bulwark's answer (413, or the 403 of the ban this body's event caused), closing the connection. */
  getResponse(): Response {
    return refusal(cutAnswer(this.#answer))
  }
}

/** A request whose body is counted: `cut` is Bulwark's answer once the body passed the limit and was cut. */
export interface WatchedBody {
  readonly cut: HttpResponse | undefined
}

/**
 * True when `request` carries a body whose size was not declared: a method that may have a body, no
 * `Content-Length` (a declared size is checked by the body-size rule before the handler runs), and a body stream.
 * Runtimes hand a chunked upload over as such a stream; Bun and Deno may drop `Transfer-Encoding` from the headers,
 * so the stream, not that header, says there is a body.
 */
function hasUndeclaredBody(request: Request): boolean {
  const method = request.method
  if (method === 'GET' || method === 'HEAD') return false
  if (request.headers.get('content-length') !== null) return false
  try {
    return request.body !== null && !request.bodyUsed
  } catch {
    return false
  }
}

type BodyReader = 'arrayBuffer' | 'blob' | 'bytes' | 'formData' | 'json' | 'text'
const READERS: readonly BodyReader[] = ['arrayBuffer', 'blob', 'bytes', 'formData', 'json', 'text']

/**
 * Count the bytes of `request`'s body as the handler reads it, when its size was not declared and the body-size rule
 * is on; null (nothing changed, nothing costs) otherwise. The Request stays the same object — Bun's
 * `server.requestIP(request)` still knows it — with its `body`, `bodyUsed`, `clone()` and body readers
 * (`arrayBuffer()`, `json()`, `text()`, `formData()`, `blob()`, `bytes()`) reading through the count. While the count
 * stays within `maxBytes` each piece goes through untouched. The piece that passes the limit is held back (the
 * handler never sees a byte past the limit) and nothing more is read while the body-size rule decides; then either
 * - Bulwark answers: the handler's read rejects with a `BodyTooLargeError`, `cut` holds the answer (413, or 403 when
 *   that event banned the client), which the adapter sends whatever the handler made of it, and the rest of the upload
 *   is never read — or
 * - the body goes on (monitor mode, a whitelisted client, the engine failed open): the held piece is handed over and
 *   the count stops.
 */
export function limitBody<Req>(
  runtime: AdapterRuntime<Req>,
  state: BulwarkRequestState,
  request: Request,
): WatchedBody | null {
  const limit = runtime.bodyLimit
  if (limit === null || !(state instanceof RequestState) || state.decision?.rule === 'whitelist') return null
  if (!hasUndeclaredBody(request)) return null
  const source = request.body as ReadableStream<Uint8Array>
  const { maxBytes, enforced } = limit
  const watched: { cut: HttpResponse | undefined } = { cut: undefined }

  /** The body-size rule's answer to the overflow: the response to send, or null to let the body go on. */
  const report = (): Promise<HttpResponse | null> =>
    state.report(BODY_TOO_LARGE).then((d) => {
      if (d === undefined || !isRefused(d)) return null
      state.answered()
      return responseFor(d, runtime.response) as HttpResponse
    })

  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined
  let bytes = 0
  let counting = true
  let disturbed = false
  let body: ReadableStream<Uint8Array> = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        disturbed = true
        reader ??= source.getReader()
        const { done, value } = await reader.read()
        if (done) {
          controller.close()
          return
        }
        if (counting) {
          bytes += value.byteLength
          if (bytes > maxBytes) {
            counting = false
            if (!enforced) {
              report().then(undefined, () => {})
            } else {
              const answer = await report().catch(() => null)
              if (answer !== null) {
                watched.cut = answer
                // The rest of the upload is left unread: the answer closes the connection.
                controller.error(new BodyTooLargeError(maxBytes, answer))
                return
              }
            }
          }
        }
        controller.enqueue(value)
      },
      cancel(reason) {
        return (reader ?? source).cancel(reason)
      },
    },
    // Nothing is read ahead of the handler.
    { highWaterMark: 0 },
  )

  const read = (kind: BodyReader): Promise<unknown> => {
    disturbed = true
    const type = request.headers.get('content-type')
    const copy = new Response(body, type === null ? undefined : { headers: { 'content-type': type } })
    return (copy as unknown as Record<BodyReader, () => Promise<unknown>>)[kind].call(copy)
  }
  const own: PropertyDescriptorMap = {
    body: { get: () => body, configurable: true },
    bodyUsed: { get: () => disturbed || body.locked, configurable: true },
    clone: {
      value: () => {
        const [mine, theirs] = body.tee()
        body = mine
        return new Request(request.url, {
          method: request.method,
          headers: request.headers,
          signal: request.signal,
          body: theirs,
          duplex: 'half',
        } as RequestInit)
      },
      configurable: true,
      writable: true,
    },
  }
  for (const kind of READERS) {
    if (typeof (request as unknown as Record<string, unknown>)[kind] === 'function')
      own[kind] = { value: () => read(kind), configurable: true, writable: true }
  }
  try {
    Object.defineProperties(request, own)
  } catch {
    // A Request that takes no own properties (frozen): its body is not counted.
    return null
  }
  return watched
}

/** Bun and Deno close a connection whose request body was left unread by themselves. */
const CLOSES_ITSELF =
  typeof (globalThis as { Bun?: unknown }).Bun === 'object' ||
  typeof (globalThis as { Deno?: unknown }).Deno === 'object'

/**
 * Bulwark's answer to a cut body, closing the connection (the client may still be sending the rest): on Node with
 * `Connection: close`, which Node's HTTP server honours; Bun and Deno close it themselves.
 */
export function cutAnswer(answer: HttpResponse): HttpResponse {
  if (CLOSES_ITSELF) return answer
  return { ...answer, headers: { ...answer.headers, Connection: 'close' } }
}
