import { createBulwark } from '@bulwark/core'
import { fakeClock, serve } from '@bulwark/testkit'
import express from 'express'
import { afterEach, describe, expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

describe('express specifics', () => {
  it('decides on the full path when mounted under a prefix', async () => {
    const app = express()
    const middleware = bulwark({
      clock: fakeClock(),
      logger: false,
      endpoints: [{ match: '/api/search', limit: 1, windowMs: 60_000, id: 'search' }],
    })
    app.use('/api', middleware)
    app.use((_req, res) => {
      res.json({ ok: true })
    })
    const server = await serve(app)
    closers.push(server.close, () => middleware.engine.close())
    expect((await fetch(`${server.url}/api/search?q=1`)).status).toBe(200)
    const limited = await fetch(`${server.url}/api/search?q=2`)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('ratelimit')).toBe('"search";r=0;t=60')
  })

  it('exposes the engine it created, or the one it was given', () => {
    const engine = createBulwark({ logger: false })
    expect(bulwark({ engine }).engine).toBe(engine)
    const own = bulwark({ logger: false }).engine
    expect(own).not.toBe(engine)
    closers.push(
      () => engine.close(),
      () => own.close(),
    )
  })

  it('route limits: one counter per route by default (named by it), one shared counter with an id', async () => {
    const app = express()
    const mw = bulwark({ clock: fakeClock(), logger: false, suspicion: false })
    app.use(mw)
    const perRoute = mw.limit({ limit: 1, windowMs: 60_000 })
    const shared = mw.limit({ limit: 1, windowMs: 60_000, id: 'exports' })
    app.get('/a', perRoute, (_req, res) => res.json({ ok: 'a' }))
    app.post('/a', perRoute, (_req, res) => res.json({ ok: 'post a' }))
    app.get('/b', perRoute, (_req, res) => res.json({ ok: 'b' }))
    app.get('/x', shared, (_req, res) => res.json({ ok: 'x' }))
    app.get('/y', shared, (_req, res) => res.json({ ok: 'y' }))
    const server = await serve(app)
    closers.push(server.close, () => mw.engine.close())
    const get = (path: string, method = 'GET') => fetch(`${server.url}${path}`, { method })
    const a = await get('/a')
    expect([a.status, a.headers.get('ratelimit-policy')]).toEqual([200, '"GET /a";q=1;w=60'])
    expect((await get('/a')).status).toBe(429)
    expect((await get('/a', 'POST')).headers.get('ratelimit-policy')).toBe('"POST /a";q=1;w=60')
    expect((await get('/b')).status).toBe(200)
    expect((await get('/x')).status).toBe(200)
    expect((await get('/y')).status).toBe(429)
  })

  it('route limit options are checked when the limit is made, not on the first request', () => {
    const mw = bulwark({ logger: false })
    expect(() => mw.limit({ limit: 0, windowMs: 60_000 })).toThrow(/limit\.limit/)
    expect(() => mw.limit({ limit: 1, windowMs: 60_000, by: 'tenant' as never })).toThrow(/by/)
    return mw.engine.close()
  })
})
