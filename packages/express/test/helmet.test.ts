import { fakeClock, serve } from '@bulwark/testkit'
import express from 'express'
import helmet from 'helmet'
import { expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

it('works next to helmet (the README setup): security headers on served and refused responses', async () => {
  const app = express()
  app.use(helmet())
  const middleware = bulwark({
    clock: fakeClock(),
    logger: false,
    endpoints: [{ match: '/auth/', limit: 1, windowMs: 60_000, id: 'auth' }],
  })
  app.use(middleware)
  app.post('/auth/login', (_req, res) => {
    res.status(401).json({ error: 'invalid credentials' })
  })
  const server = await serve(app)
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
