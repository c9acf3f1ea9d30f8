import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Admin } from './handler.js'

/** The few fields of an express request the mount reads. */
interface ExpressRequestLike extends IncomingMessage {
  body?: unknown
}
type Next = (error?: unknown) => void

/**
 * The admin as express middleware: `app.use('/admin', expressAdmin(admin))`, before the Bulwark middleware so an
 * operator is never refused by a ban on their own address. Paths that are not the admin's go to `next()`.
 */
export function expressAdmin(
  admin: Admin,
): (req: ExpressRequestLike, res: ServerResponse, next: Next) => void {
  return (req, res, next) => {
    const options: { body?: unknown } = {}
    if (req.body !== undefined) options.body = req.body
    admin.handle(req, res, options).then((handled) => {
      if (!handled) next()
    }, next)
  }
}

/** The few parts of a fastify instance the plugin uses. */
export interface FastifyLike {
  readonly prefix: string
  removeAllContentTypeParsers(): void
  addContentTypeParser(
    type: string,
    parser: (request: unknown, payload: unknown, done: (error: Error | null, body?: unknown) => void) => void,
  ): void
  route(options: {
    method: string[]
    url: string
    config: Record<string, unknown>
    handler: (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): void },
    ) => Promise<void>
  }): void
}

const METHODS = ['GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS']

/**
 * The admin as a fastify plugin: `app.register(fastifyAdmin(admin), { prefix: '/admin' })`. Its routes carry
 * `config: { bulwark: false }`, so the Bulwark plugin leaves them alone, and read their own bodies.
 */
export function fastifyAdmin(admin: Admin): (fastify: FastifyLike) => Promise<void> {
  return async function bulwarkAdmin(fastify) {
    // The admin reads its own JSON bodies (size-limited), whatever the content type.
    fastify.removeAllContentTypeParsers()
    fastify.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined))
    const prefix = fastify.prefix
    const handler = async (
      request: { raw: IncomingMessage },
      reply: { raw: ServerResponse; hijack(): void },
    ): Promise<void> => {
      reply.hijack()
      const url = request.raw.url ?? '/'
      const q = url.indexOf('?')
      const path = (q < 0 ? url : url.slice(0, q)).slice(prefix.length)
      const handled = await admin.handle(request.raw, reply.raw, { path })
      if (!handled && !reply.raw.headersSent) {
        reply.raw.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' })
        reply.raw.end(JSON.stringify({ error: 'Not Found' }))
      }
    }
    for (const url of ['/', '/*'])
      fastify.route({ method: METHODS, url, config: { bulwark: false }, handler })
  }
}

/** The few fields of a koa context the mount reads. */
export interface KoaContextLike {
  path: string
  req: IncomingMessage
  res: ServerResponse
  respond?: boolean
  request: { body?: unknown }
}

/**
 * The admin as koa middleware: `app.use(koaAdmin(admin, { prefix: '/admin' }))`, before the Bulwark middleware.
 * Requests outside the prefix go to `next()`.
 */
export function koaAdmin(
  admin: Admin,
  options: { prefix?: string } = {},
): (ctx: KoaContextLike, next: () => Promise<unknown>) => Promise<unknown> {
  const prefix = (options.prefix ?? '/admin').replace(/\/$/, '')
  return async (ctx, next) => {
    const path = ctx.path
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return next()
    const h: { path: string; body?: unknown } = { path: path.slice(prefix.length) }
    if (ctx.request.body !== undefined) h.body = ctx.request.body
    const handled = await admin.handle(ctx.req, ctx.res, h)
    if (!handled) return next()
    ctx.respond = false
  }
}
