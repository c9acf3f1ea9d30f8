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
})
