import { fakeClock, serve } from '@bulwark/testkit'
import Koa from 'koa'
import helmet from 'koa-helmet'
import { expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

it('works next to koa-helmet (the README setup): security headers on served and refused responses', async () => {
  const app = new Koa()
  app.use(helmet())
  const middleware = bulwark({
    clock: fakeClock(),
    logger: false,
    endpoints: [{ match: '/auth/', limit: 1, windowMs: 60_000, id: 'auth' }],
  })
  app.use(middleware)
  app.use((ctx) => {
    ctx.status = 401
    ctx.body = { error: 'invalid credentials' }
  })
  const server = await serve(app.callback())
  try {
    const first = await fetch(`${server.url}/auth/login`, { method: 'POST' })
    expect(first.status).toBe(401)
    expect(first.headers.get('x-content-type-options')).toBe('nosniff')
    expect(first.headers.get('ratelimit')).toBe('"auth";r=0;t=60')
    const second = await fetch(`${server.url}/auth/login`, { method: 'POST' })
    expect(second.status).toBe(429)
    expect(second.headers.get('x-content-type-options')).toBe('nosniff')
    expect(second.headers.get('content-security-policy')).toContain("default-src 'self'")
  } finally {
    await server.close()
    await middleware.engine.close()
  }
})
