import { type AdapterHarness, listen } from '@bulwark/testkit'
import { createAdaptorServer } from '@hono/node-server'
import { getConnInfo } from '@hono/node-server/conninfo'
import { type Context, Hono } from 'hono'
import { secureHeaders } from 'hono/secure-headers'
import { type BulwarkHonoOptions, bulwarkHono, type HonoRefusalHandler } from '../src/hono.js'

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
      const server = await listen(createAdaptorServer({ fetch: app.fetch }) as Parameters<typeof listen>[0])
      const owned = options.engine === undefined
      return {
        url: server.url,
        engine: middleware.engine,
        async close() {
          await server.close()
          if (owned) await middleware.engine.close()
        },
      }
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
