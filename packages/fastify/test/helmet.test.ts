import { fakeClock } from '@bulwark/testkit'
import helmet from '@fastify/helmet'
import Fastify from 'fastify'
import { expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

it('works next to @fastify/helmet (the README setup): security headers on served and refused responses', async () => {
  const app = Fastify()
  await app.register(helmet)
  await app.register(bulwark, {
    clock: fakeClock(),
    logger: false,
    endpoints: [{ match: '/auth/', limit: 1, windowMs: 60_000, id: 'auth' }],
  })
  app.post('/auth/login', async (_request, reply) => reply.code(401).send({ error: 'invalid credentials' }))
  try {
    const first = await app.inject({ method: 'POST', url: '/auth/login' })
    expect(first.statusCode).toBe(401)
    expect(first.headers['x-content-type-options']).toBe('nosniff')
    expect(first.headers.ratelimit).toBe('"auth";r=0;t=60')
    const second = await app.inject({ method: 'POST', url: '/auth/login' })
    expect(second.statusCode).toBe(429)
    expect(second.headers['x-content-type-options']).toBe('nosniff')
    expect(second.headers['content-security-policy']).toContain("default-src 'self'")
  } finally {
    await app.close()
  }
})
