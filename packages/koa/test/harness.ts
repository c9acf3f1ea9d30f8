import { type AdapterHarness, countBody, serveApp } from '@bulwark/testkit'
import Router from '@koa/router'
import type Koa from 'koa'
import type { Context } from 'koa'
import helmet from 'koa-helmet'
import { type BlockedHandler, type BulwarkKoaOptions, bulwark } from '../src/index.js'

const answer =
  (handler: string): BlockedHandler =>
  (ctx, _next, decision) => {
    ctx.status = 418
    ctx.body = { handler, status: decision.status }
  }

async function routes(ctx: Context): Promise<void> {
  const state = ctx.state.bulwark
  switch (`${ctx.method} ${ctx.path}`) {
    case 'GET /decision':
      ctx.body = {
        conclusion: state?.decision?.conclusion ?? null,
        rule: state?.decision?.rule ?? null,
        helper: typeof state?.reportAuthFailure === 'function',
      }
      return
    case 'GET /login':
      ctx.status = 401
      ctx.body = { ok: false }
      return
    case 'GET /login-report':
      await state?.reportAuthFailure()
      ctx.status = 401
      ctx.body = { ok: false }
      return
    case 'GET /report':
      await state?.reportAuthFailure()
      ctx.body = { ok: true }
      return
    case 'POST /upload':
      ctx.body = { bytes: await countBody(ctx.req) }
      return
    case 'GET /2fa':
      await state?.report('2fa-failure')
      ctx.body = { ok: false }
      return
    default:
      if (ctx.method === 'GET' && ctx.path.startsWith('/gone/')) {
        ctx.status = 404
        ctx.body = { ok: false }
      } else if (ctx.method === 'GET') ctx.body = { ok: true }
  }
}

/** The conformance suite's app on a Koa application made by `create` (koa 3 or 2). */
export function koaHarness(create: () => Koa): AdapterHarness {
  return {
    framework: 'koa',
    async start(options, framework) {
      const app = create()
      app.proxy = framework?.trustProxy === true
      app.silent = true // koa logs the client's own parse errors (the fuzz sends many); answers are asserted instead
      if (framework?.helmet) app.use(helmet())
      const middleware = bulwark(options as BulwarkKoaOptions)
      app.use(middleware)
      const authRoute = framework?.authRoute
      if (authRoute) {
        const router = new Router()
        router.post('/auth', middleware.auth(), async (ctx) => {
          const status = await authRoute()
          ctx.status = status
          ctx.body = { ok: status < 400 }
        })
        app.use(router.routes())
      }
      if (framework?.routeLimit) {
        const router = new Router()
        router.get('/api/tasks', middleware.limit(framework.routeLimit), (ctx) => {
          ctx.body = { route: 'limited' }
        })
        app.use(router.routes())
      }
      app.use(routes)
      return serveApp(app.callback(), middleware.engine, options.engine === undefined)
    },
    query(req, name) {
      const value = (req as Context).query[name]
      return typeof value === 'string' ? value : undefined
    },
    header(req, name) {
      const value = (req as Context).get(name)
      return value === '' ? undefined : value
    },
    custom: { onBlocked: answer('blocked'), onLimited: answer('limited') },
  }
}
