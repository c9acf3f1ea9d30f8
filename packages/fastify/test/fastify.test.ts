import { createBulwark, limit } from '@bulwark/core'
import { chunkedUpload, fakeClock } from '@bulwark/testkit'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

const apps: FastifyInstance[] = []
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close()
})

async function app(options: Parameters<typeof bulwark>[1] = {}): Promise<FastifyInstance> {
  const fastify = Fastify()
  apps.push(fastify)
  await fastify.register(bulwark, { clock: fakeClock(), logger: false, ...options })
  return fastify
}

const scanner = { 'user-agent': 'sqlmap/1.7' }

describe('fastify specifics', () => {
  it('leaves a route with config: { bulwark: false } alone', async () => {
    const fastify = await app()
    fastify.get('/health', { config: { bulwark: false } }, async (request) => ({ state: request.bulwark }))
    fastify.get('/other', async () => ({ ok: true }))
    const health = await fastify.inject({ url: '/health', headers: scanner })
    expect(health.statusCode).toBe(200)
    expect(health.json()).toEqual({ state: null })
    expect((await fastify.inject({ url: '/other', headers: scanner })).statusCode).toBe(403)
    expect((await fastify.inject({ url: '/health' })).statusCode).toBe(200)
  })

  it('counts a 401 written on a hijacked reply, and a 401 a later onSend hook turned into 200 not at all', async () => {
    // Learnt when the response finishes (onResponse), not in onSend: onSend skips hijacked replies and runs before
    // the app's own onSend hooks are done with the status.
    const fastify = await app()
    fastify.post('/raw-login', async (_request, reply) => {
      reply.hijack()
      reply.raw.writeHead(401, { 'content-type': 'application/json' })
      reply.raw.end('{"error":"invalid credentials"}')
    })
    const hidden = await app()
    hidden.addHook('onSend', async (_request, reply, payload) => {
      reply.code(200)
      return payload
    })
    hidden.post('/login', async (_request, reply) => reply.code(401).send({ error: 'invalid credentials' }))
    const statuses: number[] = []
    const seen: number[] = []
    for (let i = 0; i < 12; i++) {
      statuses.push((await fastify.inject({ method: 'POST', url: '/raw-login' })).statusCode)
      seen.push((await hidden.inject({ method: 'POST', url: '/login' })).statusCode)
    }
    expect(statuses).toEqual([...Array(11).fill(401), 403])
    expect(seen).toEqual(Array(12).fill(200))
  })

  it('takes item() from the route config over the plugin option', async () => {
    const fastify = await app({ scraping: { limit: 2 }, item: () => 'same-for-all' })
    fastify.get<{ Params: { id: string } }>(
      '/items/:id',
      { config: { bulwark: { item: (request) => (request.params as { id: string }).id } } },
      async () => ({ ok: true }),
    )
    fastify.get('/plain/:id', async () => ({ ok: true }))
    for (const id of ['a', 'b']) expect((await fastify.inject({ url: `/items/${id}` })).statusCode).toBe(200)
    const third = await fastify.inject({ url: '/items/c' })
    expect(third.statusCode).toBe(403)
    expect(third.json().detail).toBe('Scraping: 3 distinct items in 5 min (limit 2)')
  })

  it('applies a route skip() and isAuthFailure() from its config', async () => {
    const fastify = await app()
    fastify.get(
      '/login',
      { config: { bulwark: { isAuthFailure: (status) => status === 400 } } },
      async (_request, reply) => reply.code(400).send({ ok: false }),
    )
    for (let i = 0; i < 11; i++) await fastify.inject({ url: '/login' })
    await new Promise((resolve) => setImmediate(resolve))
    expect((await fastify.inject({ url: '/login' })).json().detail).toBe(
      'Auth failures: 11 in 60s (limit 10)',
    )
  })

  it('guards routes registered before the plugin, and 404s', async () => {
    const fastify = Fastify()
    apps.push(fastify)
    fastify.get('/early', async () => ({ ok: true }))
    await fastify.register(bulwark, { logger: false })
    expect((await fastify.inject({ url: '/early', headers: scanner })).statusCode).toBe(403)
    expect((await fastify.inject({ url: '/nowhere' })).statusCode).toBe(403)
  })

  it('decorates the app with its engine and closes only an engine it created', async () => {
    const shared = createBulwark({ logger: false })
    const a = await app({ engine: shared })
    expect(a.bulwark).toBe(shared)
    await a.close()
    await expect(shared.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })).resolves.toMatchObject({
      conclusion: 'allow',
    })
    const b = await app()
    const own = b.bulwark
    await b.close()
    await expect(own.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })).rejects.toThrow(/close/)
    await shared.close()
  })

  it('guards the context it is registered in and its children, as encapsulation says', async () => {
    const fastify = Fastify()
    apps.push(fastify)
    await fastify.register(async (child) => {
      await child.register(bulwark, { logger: false })
      child.get('/guarded', async () => ({ ok: true }))
      await child.register(async (grandchild) => {
        grandchild.get('/nested', async () => ({ ok: true }))
      })
    })
    fastify.get('/sibling', async () => ({ ok: true }))
    expect((await fastify.inject({ url: '/nested', headers: { 'user-agent': 'curl/8' } })).statusCode).toBe(
      200,
    )
    expect((await fastify.inject({ url: '/guarded', headers: scanner })).statusCode).toBe(403)
    expect((await fastify.inject({ url: '/nested', headers: scanner })).statusCode).toBe(403)
    expect((await fastify.inject({ url: '/sibling', headers: scanner })).statusCode).toBe(200)
  })

  it("hook: 'preHandler' decides after authentication, so a user limit counts request.user", async () => {
    const fastify = Fastify()
    apps.push(fastify)
    // An authentication hook, as @fastify/jwt or @fastify/auth would add: it runs in onRequest.
    fastify.decorateRequest('user', null)
    fastify.addHook('onRequest', async (request) => {
      ;(request as unknown as { user: string | null }).user = (request.headers['x-token'] as string) ?? null
    })
    await fastify.register(bulwark, {
      clock: fakeClock(),
      logger: false,
      hook: 'preHandler',
      user: (request) => (request as unknown as { user: string | null }).user,
      rules: [limit({ id: 'per-user', limit: 1, windowMs: 60_000, by: 'user' })],
    })
    fastify.get('/me', async (request) => ({ rule: request.bulwark?.decision?.rule ?? null }))
    const as = (token: string) => fastify.inject({ url: '/me', headers: { 'x-token': token } })
    expect((await as('alice')).statusCode).toBe(200)
    const second = await as('alice')
    expect([second.statusCode, second.headers['ratelimit-policy']]).toEqual([429, '"per-user";q=1;w=60'])
    expect((await as('bob')).statusCode).toBe(200)
  })

  it('resolves a route limit once, when the route is added, named by the route; HEAD shares the GET limit', async () => {
    const fastify = await app({ suspicion: false })
    fastify.get('/export', { config: { bulwark: { limit: { limit: 2, windowMs: 60_000 } } } }, async () => ({
      ok: 1,
    }))
    fastify.post('/export', { config: { bulwark: { limit: { limit: 5, windowMs: 60_000 } } } }, async () => ({
      ok: 1,
    }))
    const get = await fastify.inject({ url: '/export' })
    expect(get.headers['ratelimit-policy']).toBe('"GET /export";q=2;w=60')
    expect((await fastify.inject({ method: 'HEAD', url: '/export' })).statusCode).toBe(200)
    expect((await fastify.inject({ url: '/export' })).statusCode).toBe(429)
    const post = await fastify.inject({ method: 'POST', url: '/export' })
    expect([post.statusCode, post.headers['ratelimit-policy']]).toEqual([200, '"POST /export";q=5;w=60'])
  })

  it('refuses an unknown hook at registration', async () => {
    const fastify = Fastify()
    apps.push(fastify)
    await expect(fastify.register(bulwark, { hook: 'onSend' as never, logger: false })).rejects.toThrow(
      /hook must be/,
    )
  })
})

describe('fastify: bodies over bodySize.maxBytes', () => {
  const routes = async (fastify: FastifyInstance) => {
    const limitOf = async (request: FastifyRequest) => ({ bodyLimit: request.routeOptions.bodyLimit })
    fastify.post('/plain', limitOf)
    fastify.post('/own', { bodyLimit: 5_000 }, limitOf)
    fastify.post('/alone', { config: { bulwark: false } }, limitOf)
  }
  const limits = async (fastify: FastifyInstance) => {
    const out: Record<string, unknown> = {}
    for (const path of ['/plain', '/own', '/alone'])
      out[path] = (await fastify.inject({ method: 'POST', url: path })).json().bodyLimit
    return out
  }
  const FASTIFY_DEFAULT = 1024 * 1024

  it("sets a route's bodyLimit to maxBytes unless the route sets its own; not on routes Bulwark leaves alone", async () => {
    const fastify = await app({ bodySize: { maxBytes: 1_000 } })
    await routes(fastify)
    expect(await limits(fastify)).toEqual({ '/plain': 1_000, '/own': 5_000, '/alone': FASTIFY_DEFAULT })
  })

  it('leaves bodyLimit alone in monitor mode and when the body-size rule is off', async () => {
    for (const options of [
      { mode: 'monitor' as const, bodySize: { maxBytes: 1_000 } },
      { bodySize: { maxBytes: 1_000, mode: 'monitor' as const } },
      { bodySize: false as const },
    ]) {
      const fastify = await app(options)
      await routes(fastify)
      expect(await limits(fastify)).toEqual({
        '/plain': FASTIFY_DEFAULT,
        '/own': 5_000,
        '/alone': FASTIFY_DEFAULT,
      })
    }
  })

  it("hook: 'preHandler' still cuts a chunked body at maxBytes with Bulwark's 413, while fastify reads it", async () => {
    const fastify = await app({ hook: 'preHandler', bodySize: { maxBytes: 1_000 } })
    fastify.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => {
      done(null, body)
    })
    fastify.post('/upload', async (request) => ({ bytes: (request.body as Buffer).length }))
    const url = await fastify.listen({ port: 0, host: '127.0.0.1' })
    const seen: string[] = []
    fastify.bulwark.on('suspicious', (e) => seen.push(e.kind))
    const cut = await chunkedUpload(url, '/upload', { bytes: 12 * 1024 * 1024 })
    expect([cut.status, JSON.parse(cut.text)]).toEqual([
      413,
      {
        error: 'Payload Too Large',
        status: 413,
        detail: 'Body too large: more than 1000 bytes (limit 1000)',
      },
    ])
    expect(seen).toEqual(['body-size'])
    const small = await chunkedUpload(url, '/upload', { bytes: 1_000, chunk: 100 })
    expect([small.status, JSON.parse(small.text)]).toEqual([200, { bytes: 1_000 }])
  })
})
