import type { Bulwark } from '@bulwark/core'
import { type AdapterHarness, listen } from '@bulwark/testkit'
import { createAdaptorServer } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { type BulwarkHonoOptions, bulwarkHono, type HonoRefusalHandler } from '../src/hono.js'
import { type BulwarkFetchOptions, type BulwarkHandler, bulwark, type RefusalHandler } from '../src/index.js'

/** The suite compares content types: Hono's `c.json` says `application/json`, without a charset. */
const JSON_TYPE = { 'Content-Type': 'application/json; charset=utf-8' }

const answer =
  (handler: string): HonoRefusalHandler =>
  (c, _next, decision) =>
    c.json({ handler, status: decision.status }, 418, JSON_TYPE)

/**
 * The conformance suite's app on Hono, served on Node by @hono/node-server (real HTTP), the client address from
 * `@hono/node-server/conninfo`. Hono has no proxy trust of its own: `framework.trustProxy` changes nothing in it.
 */
/** Serve a fetch handler on Node over loopback; `close` also closes the engine when the harness made it. */
async function serveFetch(
  fetch: Parameters<typeof createAdaptorServer>[0]['fetch'],
  engine: Bulwark,
  owned: boolean,
): Promise<{ url: string; engine: Bulwark; close(): Promise<void> }> {
  const server = await listen(createAdaptorServer({ fetch }) as Parameters<typeof listen>[0])
  return {
    url: server.url,
    engine,
    async close() {
      await server.close()
      if (owned) await engine.close()
    },
  }
}

export function honoHarness(): AdapterHarness {
  return {
    framework: 'hono',
    async start(options, framework) {
      const app = new Hono()
      if (framework?.helmet) {
        // Hono's helmet: secureHeaders (nosniff by default); a CSP as helmet sets one by default.
        app.use(secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'self'"] } }))
      }
      const middleware = bulwarkHono({ getConnInfo, ...(options as BulwarkHonoOptions) })
      app.use(middleware)
      const authRoute = framework?.authRoute
      if (authRoute) {
        app.post('/auth', middleware.auth(), async (c) => {
          const status = (await authRoute()) as 200 | 401
          return c.json({ ok: status < 400 }, status, JSON_TYPE)
        })
      }
      if (framework?.routeLimit) {
        app.get('/api/tasks', middleware.limit(framework.routeLimit), (c) =>
          c.json({ route: 'limited' }, 200, JSON_TYPE),
        )
      }
      app.get('/gone/*', (c) => c.json({ ok: false }, 404, JSON_TYPE))
      app.get('/2fa', async (c) => {
        await c.get('bulwark')?.report('2fa-failure')
        return c.json({ ok: false }, 200, JSON_TYPE)
      })
      app.get('/decision', (c) => {
        const state = c.get('bulwark')
        return c.json(
          {
            conclusion: state?.decision?.conclusion ?? null,
            rule: state?.decision?.rule ?? null,
            helper: typeof state?.reportAuthFailure === 'function',
          },
          200,
          JSON_TYPE,
        )
      })
      app.get('/login', (c) => c.json({ ok: false }, 401, JSON_TYPE))
      app.get('/login-report', async (c) => {
        await c.get('bulwark')?.reportAuthFailure()
        return c.json({ ok: false }, 401, JSON_TYPE)
      })
      app.get('/report', async (c) => {
        await c.get('bulwark')?.reportAuthFailure()
        return c.json({ ok: true }, 200, JSON_TYPE)
      })
      app.post('/upload', async (c) => {
        const body = await c.req.arrayBuffer()
        return c.json({ bytes: body.byteLength }, 200, JSON_TYPE)
      })
      app.get('*', (c) => c.json({ ok: true }, 200, JSON_TYPE))
      return serveFetch(app.fetch, middleware.engine, options.engine === undefined)
    },
    query(c, name) {
      return (c as Context).req.query(name)
    },
    header(c, name) {
      return (c as Context).req.header(name)
    },
    custom: { onBlocked: answer('blocked'), onLimited: answer('limited') },
  }
}

/** Hono's security headers, as the Hono harness mounts them: what a helmet in front of a plain fetch app would add. */
function withHelmet(response: Response): Response {
  const copy = new Response(response.body, response)
  copy.headers.set('X-Content-Type-Options', 'nosniff')
  copy.headers.set('Content-Security-Policy', "default-src 'self'")
  return copy
}

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: JSON_TYPE })

/**
 * The path a plain fetch app routes: the URL's path, percent-decoded where it decodes (as Hono's router does). The
 * app below routes exactly, case-sensitive, HEAD as GET.
 */
function routedPath(request: Request): string {
  const path = new URL(request.url).pathname
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/**
 * The conformance suite's app as a plain fetch handler (no framework): its own router picks the handler, each wrapped
 * with `bulwark(options).wrap` — the form Next.js route handlers, `Bun.serve` and `Deno.serve` use — and the client
 * address comes from the runtime's bindings (here @hono/node-server's, on Node, over real HTTP). The route limit and
 * the authentication route are `wrap` options of the handlers the router picks for them.
 */
export function fetchHarness(): AdapterHarness {
  const custom =
    (handler: string): RefusalHandler =>
    (_request, decision) =>
      json({ handler, status: decision.status }, 418)
  return {
    // Served by @hono/node-server like the Hono harness; the router routes the spellings Hono's router routes.
    framework: 'hono',
    async start(options, framework) {
      const guard = bulwark(options as BulwarkFetchOptions)
      const app: BulwarkHandler = async (request, _env, state) => {
        const path = routedPath(request)
        const method = request.method === 'HEAD' ? 'GET' : request.method
        if (method === 'POST' && path === '/upload') {
          return json({ bytes: (await request.arrayBuffer()).byteLength })
        }
        if (method !== 'GET') return json({ ok: false }, 404)
        if (path.startsWith('/gone/')) return json({ ok: false }, 404)
        if (path === '/2fa') {
          await state?.report('2fa-failure')
          return json({ ok: false })
        }
        if (path === '/decision') {
          return json({
            conclusion: state?.decision?.conclusion ?? null,
            rule: state?.decision?.rule ?? null,
            helper: typeof state?.reportAuthFailure === 'function',
          })
        }
        if (path === '/login') return json({ ok: false }, 401)
        if (path === '/login-report') {
          await state?.reportAuthFailure()
          return json({ ok: false }, 401)
        }
        if (path === '/report') {
          await state?.reportAuthFailure()
          return json({ ok: true })
        }
        return json({ ok: true })
      }
      const served = guard.wrap(app)
      const routeLimit = framework?.routeLimit
      const limited =
        routeLimit &&
        guard.wrap(async () => json({ route: 'limited' }), {
          limit: { id: 'GET /api/tasks', ...routeLimit },
        })
      const authRoute = framework?.authRoute
      const auth =
        authRoute &&
        guard.wrap(
          async () => {
            const status = await authRoute()
            return json({ ok: status < 400 }, status)
          },
          { auth: true },
        )
      const handler = async (request: Request, env: unknown): Promise<Response> => {
        const path = routedPath(request)
        let response: Response
        if (limited && (request.method === 'GET' || request.method === 'HEAD') && path === '/api/tasks') {
          response = await limited(request, env)
        } else if (auth && request.method === 'POST' && path === '/auth') {
          response = await auth(request, env)
        } else {
          response = await served(request, env)
        }
        return framework?.helmet ? withHelmet(response) : response
      }
      return serveFetch(handler, guard.engine, options.engine === undefined)
    },
    query(request, name) {
      return new URL((request as Request).url).searchParams.get(name) ?? undefined
    },
    header(request, name) {
      return (request as Request).headers.get(name) ?? undefined
    },
    custom: { onBlocked: custom('blocked'), onLimited: custom('limited') },
  }
}
