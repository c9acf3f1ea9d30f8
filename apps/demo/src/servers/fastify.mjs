// The demo API on Fastify 5: @fastify/helmet, then the Bulwark plugin (both are onRequest hooks, in this order).

import { bulwark } from '@bulwark/fastify'
import helmet from '@fastify/helmet'
import Fastify from 'fastify'
import { errorReply, refuseKey } from '../api.mjs'

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   api: import('../api.mjs').Api,
 *   trustProxy: import('@bulwark/core').TrustProxy,
 * }} options
 */
export async function createFastifyApp({ engine, api, trustProxy }) {
  const app = Fastify({
    // Fastify and Bulwark must agree on which proxies to believe (the plugin warns when they do not).
    trustProxy:
      typeof trustProxy === 'number'
        ? (_address, hop) => hop < trustProxy
        : /** @type {boolean | string | string[]} */ (trustProxy),
    bodyLimit: 100 * 1024,
    forceCloseConnections: true,
  })
  await app.register(helmet)
  await app.register(bulwark, {
    engine,
    item: (request) => {
      const hash = /** @type {Record<string, unknown>} */ (request.query).hash
      return typeof hash === 'string' ? hash : undefined
    },
  })

  /** @param {import('fastify').FastifyReply} reply @param {import('../api.mjs').Reply} r */
  const send = (reply, r) =>
    reply
      .code(r.status)
      .headers(r.headers ?? {})
      .send(r.body)

  // `config: { bulwark: false }` leaves a route alone (health checks).
  app.get('/health', { config: { bulwark: false } }, async () => ({ status: 'ok' }))
  app.get('/', (_request, reply) => send(reply, api.index('fastify')))
  app.post('/auth/login', (request, reply) => send(reply, api.login(request.body)))
  app.post('/api/tasks', (request, reply) => send(reply, api.createTask(request.body)))
  app.get('/api/tasks/:id', (request, reply) =>
    send(reply, api.getTask(/** @type {{ id: string }} */ (request.params).id)),
  )
  app.get('/api/scan', async (request, reply) => {
    const r = api.scan({
      apiKey: request.headers['x-api-key'],
      hash: /** @type {Record<string, unknown>} */ (request.query).hash,
    })
    return send(reply, r.authFailure ? await refuseKey(request.bulwark, r) : r)
  })

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: 'Not Found' })
  })
  app.setErrorHandler((error, _request, reply) => {
    send(reply, errorReply(/** @type {{ statusCode?: number }} */ (error)))
  })
  return app
}
