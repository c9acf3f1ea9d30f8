import { type AdapterHarness, countBody, serveApp } from '@bulwark/testkit'
import type { Express, Request } from 'express'
import helmet from 'helmet'
import { type BlockedHandler, type BulwarkExpressOptions, bulwark } from '../src/index.js'

const answer =
  (handler: string): BlockedHandler =>
  (_req, res, _next, decision) => {
    res.status(418).json({ handler, status: decision.status })
  }

/** The conformance suite's app on an express application made by `create` (express 5 or 4). */
export function expressHarness(create: () => Express): AdapterHarness {
  return {
    framework: 'express',
    async start(options, framework) {
      const app = create()
      if (framework?.trustProxy) app.set('trust proxy', true)
      if (framework?.helmet) app.use(helmet())
      const middleware = bulwark(options as BulwarkExpressOptions)
      app.use(middleware)
      if (framework?.routeLimit) {
        app.get('/api/tasks', middleware.limit(framework.routeLimit), (_req, res) => {
          res.json({ route: 'limited' })
        })
      }
      app.get(/^\/gone\//, (_req, res) => {
        res.status(404).json({ ok: false })
      })
      const authRoute = framework?.authRoute
      if (authRoute) {
        app.post('/auth', middleware.auth(), async (_req, res) => {
          const status = await authRoute()
          res.status(status).json({ ok: status < 400 })
        })
      }
      app.get('/2fa', async (req, res) => {
        await req.bulwark?.report('2fa-failure')
        res.json({ ok: false })
      })
      app.get('/decision', (req, res) => {
        const state = req.bulwark
        res.json({
          conclusion: state?.decision?.conclusion ?? null,
          rule: state?.decision?.rule ?? null,
          helper: typeof state?.reportAuthFailure === 'function',
        })
      })
      app.get('/login', (_req, res) => {
        res.status(401).json({ ok: false })
      })
      app.get('/login-report', async (req, res) => {
        await req.bulwark?.reportAuthFailure()
        res.status(401).json({ ok: false })
      })
      app.get('/report', async (req, res) => {
        await req.bulwark?.reportAuthFailure()
        res.json({ ok: true })
      })
      app.post('/upload', async (req, res) => {
        res.json({ bytes: await countBody(req) })
      })
      app.use((_req, res) => {
        res.json({ ok: true })
      })
      return serveApp(app, middleware.engine, options.engine === undefined)
    },
    query(req, name) {
      const value = (req as Request).query[name]
      return typeof value === 'string' ? value : undefined
    },
    header(req, name) {
      return (req as Request).get(name)
    },
    custom: { onBlocked: answer('blocked'), onLimited: answer('limited') },
  }
}
