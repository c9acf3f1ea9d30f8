// The demo API on Express 5: helmet, then Bulwark, then the routes. The operator endpoints (dashboard, admin API,
// metrics) are mounted before Bulwark, so trying attacks from your own machine cannot lock you out of them.
import { bulwark } from '@bulwark/express'
import express from 'express'
import helmet from 'helmet'
import { errorReply, refuseKey } from '../api.mjs'

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   api: import('../api.mjs').Api,
 *   trustProxy: import('@bulwark/core').TrustProxy,
 *   operator?: (app: import('express').Express) => void,
 * }} options
 */
export function createExpressApp({ engine, api, trustProxy, operator }) {
  const app = express()
  // Express and Bulwark must agree on which proxies to believe (the adapter warns when they do not).
  app.set('trust proxy', trustProxy)
  app.use(helmet())
  operator?.(app)
  app.use(
    bulwark({
      engine,
      item: (req) => (typeof req.query.hash === 'string' ? req.query.hash : undefined),
      skip: (req) => req.path === '/health',
    }),
  )
  app.use(express.json({ limit: '100kb' }))

  /** @param {import('express').Response} res @param {import('../api.mjs').Reply} reply */
  const send = (res, reply) => {
    if (reply.headers) res.set(reply.headers)
    res.status(reply.status).json(reply.body)
  }

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' })
  })
  app.get('/', (_req, res) => send(res, api.index('express')))
  app.post('/auth/login', (req, res) => send(res, api.login(req.body)))
  app.post('/api/tasks', (req, res) => send(res, api.createTask(req.body)))
  app.get('/api/tasks/:id', (req, res) => send(res, api.getTask(req.params.id)))
  app.get('/api/scan', async (req, res) => {
    const reply = api.scan({ apiKey: req.get('x-api-key'), hash: req.query.hash })
    send(res, reply.authFailure ? await refuseKey(req.bulwark, reply) : reply)
  })

  app.use((_req, res) => {
    res.status(404).json({ error: 'Not Found' })
  })
  /** @type {import('express').ErrorRequestHandler} */
  const onError = (error, _req, res, _next) => send(res, errorReply(error))
  app.use(onError)
  return app
}
