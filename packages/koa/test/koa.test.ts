import { fakeClock, serve } from '@bulwark/testkit'
import Router from '@koa/router'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

describe('koa specifics', () => {
  it('route limits with @koa/router: one counter per route (named by method and pattern), one shared with an id', async () => {
    const app = new Koa()
    const mw = bulwark({ clock: fakeClock(), logger: false, suspicion: false })
    app.use(mw)
    const router = new Router()
    const perRoute = mw.limit({ limit: 1, windowMs: 60_000 })
    const shared = mw.limit({ limit: 1, windowMs: 60_000, id: 'exports' })
    const ok = (body: string) => (ctx: Koa.Context) => {
      ctx.body = { ok: body }
    }
    router.get('/items/:id', perRoute, ok('item'))
    router.get('/b', perRoute, ok('b'))
    router.get('/x', shared, ok('x'))
    router.get('/y', shared, ok('y'))
    app.use(router.routes())
    const server = await serve(app.callback())
    closers.push(server.close, () => mw.engine.close())
    const get = (path: string) => fetch(`${server.url}${path}`)
    const first = await get('/items/1')
    expect([first.status, first.headers.get('ratelimit-policy')]).toEqual([200, '"GET /items/:id";q=1;w=60'])
    // Another id on the same route is the same route: the router matched one pattern.
    expect((await get('/items/2')).status).toBe(429)
    expect((await get('/ITEMS/3/')).status).toBe(429)
    expect((await get('/b')).status).toBe(200)
    expect((await get('/x')).status).toBe(200)
    expect((await get('/y')).status).toBe(429)
  })
})
