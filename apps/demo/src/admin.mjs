// The admin API (an Express router under /admin/api), behind a bearer token. It is mounted before the Bulwark
// middleware, so an operator is never locked out by a ban on their own address; a wrong token is reported to the
// engine as a failed authentication, so whoever guesses is banned after 10 tries (403 from then on).
import { createHash, timingSafeEqual } from 'node:crypto'
import { BulwarkError, ClientIpResolver, responseFor } from '@bulwark/core'
import express from 'express'
import { TOPICS } from './live.mjs'

/** @typedef {import('express').Request} Request */
/** @typedef {import('express').Response} Response */

/** @param {string} s */
const digest = (s) => createHash('sha256').update(s).digest()

/** True when a client behind the loopback proxy (the simulator) is seen by its forwarded address. */
export function trustsLoopbackProxy(/** @type {import('@bulwark/core').TrustProxy} */ trustProxy) {
  try {
    const resolver = new ClientIpResolver({ trustProxy })
    return resolver.resolve('127.0.0.1', '198.18.0.1').ip === '198.18.0.1'
  } catch {
    return false
  }
}

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   live: import('./live.mjs').Live,
 *   token: string,
 *   info: () => Record<string, unknown>,
 * }} options
 */
export function adminRouter({ engine, live, token, info }) {
  const router = express.Router()
  const expected = digest(token)

  router.use(async (req, res, next) => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '')
    if (m?.[1] !== undefined && timingSafeEqual(digest(m[1]), expected)) return next()
    const decision = await engine.reportAuthFailure({ ip: req.socket.remoteAddress, headers: req.headers })
    const refusal = responseFor(decision)
    if (refusal) return void res.status(refusal.status).set(refusal.headers).json(refusal.body)
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer realm="bulwark-demo-admin"')
      .json({ error: 'Unauthorized', detail: 'Send Authorization: Bearer <admin token>' })
  })
  router.use(express.json({ limit: '10kb' }))
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store')
    next()
  })

  router.get('/info', (_req, res) => {
    res.json(info())
  })

  router.get('/stats', async (_req, res) => {
    res.json(await live.snapshot())
  })

  router.get('/bans', async (_req, res) => {
    const bans = await engine.listBans()
    res.json({ count: bans.length, bans })
  })

  // A manual ban: { "target": "203.0.113.7", "ttlS": 600, "reason": "…" }
  router.post('/bans', async (req, res) => {
    const { target, ttlS, reason } = req.body ?? {}
    if (typeof target !== 'string') return badRequest(res, 'target must be an IP address or a key: hash')
    if (ttlS !== undefined && (!Number.isSafeInteger(ttlS) || ttlS < 1 || ttlS > 30 * 86_400)) {
      return badRequest(res, 'ttlS must be a whole number of seconds from 1 to 2592000')
    }
    const options = {}
    if (ttlS !== undefined) options.ttlMs = ttlS * 1000
    if (typeof reason === 'string') options.reason = reason.slice(0, 200)
    const ban = await engine.ban(target, options)
    res.status(201).json(ban)
  })

  // Targets are URL-encoded: /admin/api/bans/2001%3Adb8%3A1%3A2%3A%3A%2F64, /admin/api/bans/key%3A…
  router.delete('/bans/:target', async (req, res) => {
    const unbanned = await engine.unban(String(req.params.target))
    res.status(unbanned ? 200 : 404).json({ unbanned })
  })

  router.get('/whitelist', async (_req, res) => {
    res.json({ entries: await engine.whitelist.list() })
  })

  // { "entry": "198.51.100.0/24" } — an IP, a CIDR or an API key (stored as its keyed hash)
  router.post('/whitelist', async (req, res) => {
    const { entry } = req.body ?? {}
    if (typeof entry !== 'string') return badRequest(res, 'entry must be an IP, a CIDR or an API key')
    await engine.whitelist.add(entry)
    res.status(201).json({ entries: await engine.whitelist.list() })
  })

  router.delete('/whitelist/:entry', async (req, res) => {
    const removed = await engine.whitelist.remove(String(req.params.entry))
    res.status(removed ? 200 : 404).json({ removed, entries: await engine.whitelist.list() })
  })

  // Server-sent events: `decisions` (batches, 4 a second), `stats` (every second and on each ban change),
  // `ban`, `unban`, `store`. Pick with ?topics=ban,unban.
  router.get('/events', (req, res) => {
    const asked = typeof req.query.topics === 'string' ? req.query.topics.split(',') : TOPICS
    const topics = asked.filter((t) => TOPICS.includes(t))
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    res.write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ now: Date.now(), topics })}\n\n`)
    const unsubscribe = live.subscribe(
      (event, data) => {
        // A reader that stopped reading gets no more decision batches until it catches up.
        if (event === 'decisions' && res.writableLength > 1_000_000) return
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
      },
      topics,
      () => res.end(),
    )
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000)
    ping.unref()
    const end = () => {
      clearInterval(ping)
      unsubscribe()
    }
    res.on('close', end)
  })

  // Errors of the engine (a bad target, the store) as JSON.
  /** @type {import('express').ErrorRequestHandler} */
  const onError = (error, _req, res, _next) => {
    if (error instanceof BulwarkError && error.code === 'ERR_BULWARK_TARGET')
      return badRequest(res, error.message)
    if (error?.status === 400 || error?.status === 413)
      return badRequest(res, 'The body must be JSON, at most 10 kB')
    const status = error instanceof BulwarkError && error.code.includes('STORE') ? 503 : 500
    res.status(status).json({ error: status === 503 ? 'Service Unavailable' : 'Internal Server Error' })
  }
  router.use(onError)

  return router
}

/** @param {Response} res @param {string} detail */
function badRequest(res, detail) {
  res.status(400).json({ error: 'Bad Request', detail })
}
