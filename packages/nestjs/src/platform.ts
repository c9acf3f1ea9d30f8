// How Bulwark reads a request and answers on each Nest platform: express (`@nestjs/platform-express`) and fastify
// (`@nestjs/platform-fastify`). Only the few fields Bulwark reads; everything else is core's.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { FASTIFY_ROUTING, type HttpResponse, type Routing, type WireRequest } from '@bulwark/core'

/** The platforms Bulwark runs on: what Nest's `HttpAdapterHost.httpAdapter.getType()` says. */
export type PlatformName = 'express' | 'fastify'

/** The structural view of an express request Bulwark reads. */
interface ExpressRequest extends IncomingMessage {
  originalUrl: string
  route?: { path?: unknown }
  app: { get(setting: string): unknown }
}

/** The structural view of a fastify request and reply Bulwark reads. */
interface FastifyRequestLike {
  raw: IncomingMessage
  ips?: string[]
  routeOptions?: { url?: string }
}
interface FastifyReplyLike {
  raw: ServerResponse
  header(name: string, value: string): unknown
  code(status: number): FastifyReplyLike
  headers(headers: Record<string, string>): FastifyReplyLike
  send(body: unknown): unknown
}

export interface Platform {
  name: PlatformName
  /** How the platform's router matches paths (read on the first request, after the app is configured). */
  routing(req: unknown): Routing
  /** The request as it came over the wire. */
  wire(req: unknown): WireRequest
  /** Node's request and response under the platform's. */
  rawRequest(req: unknown): IncomingMessage
  rawResponse(res: unknown): ServerResponse
  /** The path pattern the router matched (`/users/:id`); undefined outside a route. */
  routePattern(req: unknown): string | undefined
  /** Whether the platform itself trusts proxy headers. */
  trustsProxy(req: unknown): boolean
  setHeaders(res: unknown, headers: Record<string, string>): void
  /** Sends Bulwark's answer to an oversized chunked body the platform's way (undefined: written on Node's response). */
  answer(res: unknown): ((response: HttpResponse) => void) | undefined
}

const express: Platform = {
  name: 'express',
  routing(req) {
    const app = (req as ExpressRequest).app
    return {
      caseSensitive: app.get('case sensitive routing') === true,
      ignoreTrailingSlash: app.get('strict routing') !== true,
    }
  },
  wire(req) {
    // express rewrites `req.url` under a mount path, `originalUrl` keeps the target.
    const r = req as ExpressRequest
    return { socket: r.socket, method: r.method, url: r.originalUrl ?? r.url, headers: r.headers }
  },
  rawRequest: (req) => req as IncomingMessage,
  rawResponse: (res) => res as ServerResponse,
  routePattern(req) {
    const path = (req as ExpressRequest).route?.path
    return typeof path === 'string' ? path : undefined
  },
  trustsProxy(req) {
    const trust = (req as ExpressRequest).app.get('trust proxy')
    return trust !== false && trust !== 0 && trust != null
  },
  setHeaders(res, headers) {
    const raw = res as ServerResponse
    for (const [name, value] of Object.entries(headers)) raw.setHeader(name, value)
  },
  answer: () => undefined,
}

function fastify(instance: { initialConfig?: unknown }): Platform {
  const config = (instance.initialConfig ?? {}) as { caseSensitive?: boolean; ignoreTrailingSlash?: boolean }
  const routing: Routing = {
    caseSensitive: config.caseSensitive ?? FASTIFY_ROUTING.caseSensitive,
    ignoreTrailingSlash: config.ignoreTrailingSlash ?? FASTIFY_ROUTING.ignoreTrailingSlash,
  }
  return {
    name: 'fastify',
    routing: () => routing,
    wire: (req) => (req as FastifyRequestLike).raw,
    rawRequest: (req) => (req as FastifyRequestLike).raw,
    rawResponse: (res) => (res as FastifyReplyLike).raw,
    routePattern: (req) => (req as FastifyRequestLike).routeOptions?.url,
    trustsProxy: (req) => (req as FastifyRequestLike).ips !== undefined,
    setHeaders(res, headers) {
      const reply = res as FastifyReplyLike
      for (const [name, value] of Object.entries(headers)) reply.header(name, value)
    },
    answer(res) {
      // Through the reply, so fastify's hooks and headers apply.
      const reply = res as FastifyReplyLike
      return (response) => {
        reply.code(response.status).headers(response.headers).send(response.body)
      }
    },
  }
}

/** The platform of a Nest HTTP adapter, or null for one Bulwark does not know. */
export function platformOf(adapter: { getType(): string; getInstance(): unknown }): Platform | null {
  const type = adapter.getType()
  if (type === 'express') return express
  if (type === 'fastify') return fastify(adapter.getInstance() as { initialConfig?: unknown })
  return null
}
