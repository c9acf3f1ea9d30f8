// What the Fetch API forms (`bulwark().handle`, `withBulwark`, the Hono middleware) share: the request as core reads
// it, the client address each runtime provides, and Responses built from core's refusals and headers.

import type { HttpResponse, WireRequest } from '@bulwark/core'

/** A request's headers as core reads them: lower-case names, repeated headers joined (as Fetch joins them). */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  headers.forEach((value, name) => {
    out[name] = value
  })
  return out
}

/**
 * The path of a Request's URL as WHATWG URL parses it: what `new URL(request.url).pathname` gives a handler and what
 * routers on it route. Runtimes differ in what `request.url` holds: @hono/node-server and Bun hand over a parsed URL
 * (dot segments resolved, `\` as `/`), Deno the target as sent (`http://host/api\tasks`, `/api/./tasks`); parsing
 * again makes them one.
 */
export function pathOf(url: string): string {
  try {
    return new URL(url).pathname
  } catch {
    return url
  }
}

/** The request as core reads it: the client address the runtime gave, the method, the routed path, the headers. */
export function wireOf(request: Request, ip: string | undefined): WireRequest {
  return {
    socket: { remoteAddress: ip },
    method: request.method,
    url: pathOf(request.url),
    headers: headerRecord(request.headers),
  }
}

interface BunServerLike {
  requestIP(request: Request): { address?: unknown } | null | undefined
}
interface DenoInfoLike {
  remoteAddr: { hostname?: unknown }
}
interface NodeBindingsLike {
  incoming: { socket?: { remoteAddress?: unknown } | null }
}

/**
 * The peer address of the connection a request came on, read from what the runtime hands a fetch handler as its
 * second argument: Bun's server (`server.requestIP(request)`), Deno's `ServeHandlerInfo` (`info.remoteAddr`),
 * `@hono/node-server`'s bindings (`env.incoming.socket`). A Hono `c.env` that nests them under `server` works too.
 * Undefined for anything else (Next.js route handlers get no connection).
 */
export function connectionAddress(env: unknown, request: Request): string | undefined {
  if (env === null || typeof env !== 'object') return undefined
  const nested = (env as { server?: unknown }).server
  const bindings = nested !== null && typeof nested === 'object' ? nested : env
  let address: unknown
  if (typeof (bindings as Partial<BunServerLike>).requestIP === 'function') {
    address = (bindings as BunServerLike).requestIP(request)?.address
  } else if (typeof (bindings as Partial<DenoInfoLike>).remoteAddr === 'object') {
    address = (bindings as DenoInfoLike).remoteAddr?.hostname
  } else if (typeof (bindings as Partial<NodeBindingsLike>).incoming === 'object') {
    address = (bindings as NodeBindingsLike).incoming?.socket?.remoteAddress
  }
  return typeof address === 'string' && address !== '' ? address : undefined
}

/** Bulwark's own answer (403, 429, 413, 400, 503) as a Response: its status, headers and JSON body. */
export function refusal(response: HttpResponse): Response {
  return new Response(JSON.stringify(response.body), { status: response.status, headers: response.headers })
}

/**
 * `response` with `headers` added. A Response's headers may be immutable (one from `fetch()`, `Response.redirect()`,
 * `Response.error()`): then a copy with the same status, headers and (unread) body carries them.
 */
export function withHeaders(response: Response, headers: Record<string, string>): Response {
  try {
    for (const name in headers) response.headers.set(name, headers[name] as string)
    return response
  } catch {
    const copy = new Response(response.body, response)
    for (const name in headers) copy.headers.set(name, headers[name] as string)
    return copy
  }
}

/** True for what a fetch handler should return; Bun's handler returns nothing after `server.upgrade()`. */
export function isResponse(value: unknown): value is Response {
  return value !== null && typeof value === 'object' && typeof (value as Response).status === 'number'
}
