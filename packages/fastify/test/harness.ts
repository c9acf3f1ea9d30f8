import { type AdapterHarness, listen } from '@bulwark/testkit'
import helmet from '@fastify/helmet'
import Fastify, { type FastifyRequest } from 'fastify'
import { type BlockedHandler, type BulwarkFastifyOptions, bulwark } from '../src/index.js'

const answer =
  (handler: string): BlockedHandler =>
  (_request, reply, decision) => {
    reply.code(418).send({ handler, status: decision.status })
  }

/** The conformance suite's app on Fastify 5. */
export const fastifyHarness: AdapterHarness = {
  framework: 'fastify',
  async start(options, framework) {
    const app = Fastify({ trustProxy: framework?.trustProxy === true, forceCloseConnections: true })
    if (framework?.helmet) await app.register(helmet)
    await app.register(bulwark, options as BulwarkFastifyOptions)
    app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => {
      done(null, body)
    })
    app.get('/decision', async (request) => {
      const state = request.bulwark
      return {
        conclusion: state?.decision?.conclusion ?? null,
        rule: state?.decision?.rule ?? null,
        helper: typeof state?.reportAuthFailure === 'function',
      }
    })
    app.get('/login', async (_request, reply) => reply.code(401).send({ ok: false }))
    app.get('/login-report', async (request, reply) => {
      await request.bulwark?.reportAuthFailure()
      return reply.code(401).send({ ok: false })
    })
    app.get('/report', async (request) => {
      await request.bulwark?.reportAuthFailure()
      return { ok: true }
    })
    app.post('/upload', async (request) => ({ bytes: (request.body as Buffer).length }))
    if (framework?.routeLimit) {
      app.get('/api/tasks', { config: { bulwark: { limit: framework.routeLimit } } }, async () => ({
        route: 'limited',
      }))
    }
    app.get('/gone/*', async (_request, reply) => reply.code(404).send({ ok: false }))
    const authRoute = framework?.authRoute
    if (authRoute) {
      app.post('/auth', { config: { bulwark: { auth: true } } }, async (_request, reply) => {
        const status = await authRoute()
        return reply.code(status).send({ ok: status < 400 })
      })
    }
    app.get('/2fa', async (request) => {
      await request.bulwark?.report('2fa-failure')
      return { ok: false }
    })
    app.get('/*', async () => ({ ok: true }))
    await app.ready()
    const server = await listen(app.server)
    return {
      url: server.url,
      engine: app.bulwark,
      async close() {
        await app.close()
      },
    }
  },
  query(req, name) {
    const value = ((req as FastifyRequest).query as Record<string, unknown>)[name]
    return typeof value === 'string' ? value : undefined
  },
  header(req, name) {
    const value = (req as FastifyRequest).headers[name]
    return typeof value === 'string' ? value : undefined
  },
  custom: { onBlocked: answer('blocked'), onLimited: answer('limited') },
}
