// The demo API on Koa 3: koa-helmet, then Bulwark, then the body parser and the router.

import { bulwark } from '@bulwark/koa'
import { bodyParser } from '@koa/bodyparser'
import Router from '@koa/router'
import Koa from 'koa'
import helmet from 'koa-helmet'
import { errorReply, refuseKey } from '../api.mjs'

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   api: import('../api.mjs').Api,
 *   trustProxy: import('@bulwark/core').TrustProxy,
 * }} options
 */
export function createKoaApp({ engine, api, trustProxy }) {
  // Koa trusts proxy headers or not (`proxy`); Bulwark decides which hops to believe (the adapter warns on a mismatch).
  const app = new Koa({ proxy: trustProxy !== false && trustProxy !== 0 })

  /** @param {import('koa').Context} ctx @param {import('../api.mjs').Reply} reply */
  const send = (ctx, reply) => {
    if (reply.headers) ctx.set(reply.headers)
    ctx.status = reply.status
    ctx.body = reply.body
  }

  app.use(async (ctx, next) => {
    try {
      await next()
    } catch (error) {
      send(ctx, errorReply(/** @type {{ status?: number }} */ (error)))
    }
  })
  app.use(helmet())
  app.use(
    bulwark({
      engine,
      item: (ctx) => (typeof ctx.query.hash === 'string' ? ctx.query.hash : undefined),
      skip: (ctx) => ctx.path === '/health',
    }),
  )
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '100kb' }))

  const router = new Router()
  router.get('/health', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/', (ctx) => send(ctx, api.index('koa')))
  router.post('/auth/login', (ctx) => send(ctx, api.login(ctx.request.body)))
  router.post('/api/tasks', (ctx) => send(ctx, api.createTask(ctx.request.body)))
  router.get('/api/tasks/:id', (ctx) => send(ctx, api.getTask(ctx.params.id ?? '')))
  router.get('/api/scan', async (ctx) => {
    const reply = api.scan({ apiKey: ctx.get('x-api-key') || undefined, hash: ctx.query.hash })
    send(ctx, reply.authFailure ? await refuseKey(ctx.state.bulwark, reply) : reply)
  })
  app.use(router.routes())
  app.use(router.allowedMethods())
  app.use((ctx) => {
    ctx.status = 404
    ctx.body = { error: 'Not Found' }
  })
  return app
}
