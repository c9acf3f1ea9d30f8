// One HTTP server for the load tests, run as a forked child. Config (JSON in argv[2]):
//   { framework: 'express' | 'fastify' | 'koa', limiter: 'none' | 'bulwark' | 'peer' | 'rate-limiter-flexible',
//     store: 'memory' | 'redis', redisUrl, limit, windowMs, whitelist: boolean, prefix }
// Listens on 127.0.0.1 on a free port and tells the parent { type: 'ready', port } or { type: 'error', message }.
// Answers { type: 'cpu', id } with its process.cpuUsage() so that the parent can divide CPU time by requests served.
// The route is trivial: GET / → {"hello":"world"}.
import { exportOf, optionalImport } from '../lib/common.mjs'

const config = JSON.parse(process.argv[2] ?? '{}')
const { framework, limiter = 'none', store = 'memory', limit = 1_000_000, windowMs = 1000 } = config
const prefix = config.prefix ?? `bench:${process.pid}:`
const closers = []

/** Listen on a free loopback port (express and koa apps alike); resolves with the port and registers the closer. */
function listen(app) {
  return new Promise((resolve, reject) => {
    const server = app.listen(0, '127.0.0.1', () => resolve(server.address().port))
    server.on('error', reject)
    server.keepAliveTimeout = 30_000
    closers.push(
      () =>
        new Promise((r) => {
          server.close(r)
          server.closeAllConnections()
        }),
    )
  })
}

async function need(name) {
  const r = await optionalImport(name)
  if (r.error) throw new Error(`${name} ${r.error}`)
  return r.mod
}

async function redisClient() {
  const mod = await need('ioredis')
  const Redis = mod.Redis ?? mod.default
  const c = new Redis(config.redisUrl, { maxRetriesPerRequest: 1, enableAutoPipelining: false })
  c.on('error', () => {})
  await c.ping()
  closers.push(() => c.quit())
  return c
}

/** Bulwark options: the default rule set, burst limit raised so one loopback client is never banned. */
async function bulwarkOptions() {
  const o = { logger: false, burst: { limit, windowMs } }
  if (config.whitelist) o.whitelist = ['127.0.0.1', '::1']
  if (store === 'redis') {
    const RedisStore = exportOf(await need('@bulwark/redis'), 'RedisStore')
    o.store = new RedisStore({ url: config.redisUrl, prefix: `${prefix}bw:` })
    o.apiKeySecret = 'bench-secret-0123456789abcdef'
  }
  return o
}

async function rlf() {
  const { RateLimiterMemory, RateLimiterRedis } = await need('rate-limiter-flexible')
  const o = { points: limit, duration: windowMs / 1000 }
  return store === 'redis'
    ? new RateLimiterRedis({ ...o, storeClient: await redisClient(), keyPrefix: `${prefix}rlf` })
    : new RateLimiterMemory(o)
}

const ipOf = (ip) => ip ?? 'unknown'

async function express() {
  const app = (await need('express')).default()
  app.disable('x-powered-by')
  if (limiter === 'bulwark') {
    const mod = await need('@bulwark/express')
    app.use(exportOf(mod, 'bulwark', 'bulwarkExpress', 'createBulwarkMiddleware')(await bulwarkOptions()))
  } else if (limiter === 'peer') {
    const { rateLimit } = await need('express-rate-limit')
    const o = { windowMs, limit, standardHeaders: 'draft-7', legacyHeaders: false }
    if (config.whitelist) o.skip = (req) => req.ip === '127.0.0.1' || req.ip === '::1'
    if (store === 'redis') {
      const { RedisStore } = await need('rate-limit-redis')
      const c = await redisClient()
      o.store = new RedisStore({
        sendCommand: (command, ...args) => c.call(command, ...args),
        prefix: `${prefix}erl:`,
      })
    }
    app.use(rateLimit(o))
  } else if (limiter === 'rate-limiter-flexible') {
    const rl = await rlf()
    app.use((req, res, next) => {
      rl.consume(ipOf(req.ip)).then(
        () => next(),
        (e) => (e instanceof Error ? next(e) : res.status(429).send('Too Many Requests')),
      )
    })
  }
  app.get('/', (_req, res) => {
    res.json({ hello: 'world' })
  })
  return listen(app)
}

async function fastify() {
  const app = (await need('fastify')).default({ logger: false })
  if (limiter === 'bulwark') {
    const mod = await need('@bulwark/fastify')
    await app.register(exportOf(mod, 'bulwark', 'bulwarkFastify', 'fastifyBulwark'), await bulwarkOptions())
  } else if (limiter === 'peer') {
    const plugin = (await need('@fastify/rate-limit')).default
    const o = { max: limit, timeWindow: windowMs }
    if (config.whitelist) o.allowList = ['127.0.0.1', '::1']
    if (store === 'redis') o.redis = await redisClient()
    await app.register(plugin, o)
  } else if (limiter === 'rate-limiter-flexible') {
    const rl = await rlf()
    app.addHook('onRequest', (req, reply, done) => {
      rl.consume(ipOf(req.ip)).then(
        () => done(),
        (e) => (e instanceof Error ? done(e) : reply.code(429).send('Too Many Requests')),
      )
    })
  }
  app.get('/', async () => ({ hello: 'world' }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  closers.push(() => app.close())
  return app.server.address().port
}

async function koa() {
  const Koa = (await need('koa')).default
  const app = new Koa()
  if (limiter === 'bulwark') {
    const mod = await need('@bulwark/koa')
    app.use(exportOf(mod, 'bulwark', 'bulwarkKoa', 'koaBulwark')(await bulwarkOptions()))
  } else if (limiter === 'peer') {
    const ratelimit = (await need('koa-ratelimit')).default
    const o = { duration: windowMs, max: limit, id: (ctx) => ctx.ip }
    if (config.whitelist) o.whitelist = (ctx) => ctx.ip === '127.0.0.1' || ctx.ip === '::1'
    if (store === 'redis') {
      o.driver = 'redis'
      o.db = await redisClient()
      o.namespace = `${prefix}koa`
    } else {
      o.driver = 'memory'
      o.db = new Map()
    }
    app.use(ratelimit(o))
  } else if (limiter === 'rate-limiter-flexible') {
    const rl = await rlf()
    app.use(async (ctx, next) => {
      try {
        await rl.consume(ipOf(ctx.ip))
      } catch (e) {
        if (e instanceof Error) throw e
        ctx.status = 429
        ctx.body = 'Too Many Requests'
        return
      }
      await next()
    })
  }
  app.use((ctx) => {
    if (ctx.path === '/') ctx.body = { hello: 'world' }
  })
  return listen(app)
}

async function close() {
  for (const c of closers.reverse()) {
    try {
      await Promise.race([c(), new Promise((r) => setTimeout(r, 1000))])
    } catch {
      // closing anyway
    }
  }
  process.exit(0)
}

process.on('message', (m) => {
  if (m?.type === 'close') close()
  // The server's own CPU time so far (µs), for CPU per request: the parent reads it before and after a measurement.
  else if (m?.type === 'cpu') {
    const u = process.cpuUsage()
    process.send?.({ type: 'cpu', id: m.id, user: u.user, system: u.system })
  }
})
process.on('disconnect', () => close())

try {
  const start = { express, fastify, koa }[framework]
  if (!start) throw new Error(`unknown framework ${framework}`)
  const port = await start()
  process.send?.({ type: 'ready', port })
} catch (error) {
  process.send?.({ type: 'error', message: String(error?.message ?? error) }, () => process.exit(1))
}
