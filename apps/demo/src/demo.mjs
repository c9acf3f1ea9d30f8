// startDemo(): one Bulwark engine, three servers (Express, Fastify, Koa), the notifier, the live feed, the admin API,
// the dashboard and the metrics. Everything it starts, close() stops: no timer or socket is left behind.
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { expressAdmin } from '@bulwark/admin'
import { createBulwark, denyList } from '@bulwark/core'
import { createNotifier } from '@bulwark/notify'
import { RedisStore } from '@bulwark/redis'
import { createDemoAdmin, trustsLoopbackProxy } from './admin.mjs'
import { createApi } from './api.mjs'
import { ConfigError, DENY_LIST, ENDPOINT_LIMITS, GOOD_BOTS, loadConfig } from './config.mjs'
import { createMetrics } from './metrics.mjs'
import { createExpressApp } from './servers/express.mjs'
import { createFastifyApp } from './servers/fastify.mjs'
import { createKoaApp } from './servers/koa.mjs'

/** @typedef {{ warn(message: string): void, error?(message: string): void, info?(message: string): void }} Log */

/**
 * @typedef {object} StartOptions
 * @property {Record<string, string | undefined>} [env] where the configuration comes from (default process.env)
 * @property {Partial<Record<'express' | 'fastify' | 'koa', number>>} [ports] override the ports (0 = a free port)
 * @property {import('@bulwark/core').TrustProxy} [trustProxy] override TRUST_PROXY (the simulator's run: 'loopback')
 * @property {string} [adminToken] override ADMIN_TOKEN
 * @property {string | null} [redisUrl] override REDIS_URL (null: memory store)
 * @property {string} [redisPrefix] override REDIS_PREFIX
 * @property {Log} [log] where the ban lines and warnings go (default console)
 * @property {number} [redisTimeoutMs] how long to wait for Redis at start (default 3000)
 */

/**
 * @typedef {object} Demo
 * @property {{ express: string, fastify: string, koa: string }} urls
 * @property {string} dashboardUrl
 * @property {string} adminUrl
 * @property {string} metricsUrl
 * @property {string} adminToken
 * @property {boolean} adminTokenGenerated
 * @property {import('@bulwark/core').TrustProxy} trustProxy
 * @property {string} storeName 'memory' or 'redis'
 * @property {import('@bulwark/core').Bulwark} engine
 * @property {import('@bulwark/core').Store | undefined} store the Redis store, when REDIS_URL is set
 * @property {import('@bulwark/notify').Notifier} notifier
 * @property {import('@bulwark/admin').Feed} live the admin's counts and live feed
 * @property {import('./config.mjs').DemoConfig} config
 * @property {() => Promise<void>} close
 */

/**
 * Start the demo. Rejects with a ConfigError / BulwarkError / NotifyError naming the variable at fault, or when a
 * port is taken or Redis does not answer.
 * @param {StartOptions} [options]
 * @returns {Promise<Demo>}
 */
export async function startDemo(options = {}) {
  const log = options.log ?? console
  const config = loadConfig(options.env ?? process.env, { logger: log })
  const trustProxy = options.trustProxy ?? config.bulwark.trustProxy ?? false
  const adminToken = options.adminToken ?? config.adminToken
  const redisUrl = options.redisUrl === null ? undefined : (options.redisUrl ?? config.redisUrl)

  /** @type {(() => Promise<unknown> | unknown)[]} */
  const cleanup = []
  const close = async () => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step()
      } catch (error) {
        log.warn(`demo: while closing: ${error instanceof Error ? error.message : String(error)}`)
      }
    }
  }

  try {
    // The store: Redis when REDIS_URL is set (counters and bans shared by every process), else memory.
    /** @type {import('@bulwark/core').Store | undefined} */
    let store
    let apiKeySecret = config.bulwark.apiKeySecret
    if (redisUrl !== undefined) {
      const redis = new RedisStore({ url: redisUrl, prefix: options.redisPrefix ?? config.redisPrefix })
      store = redis
      cleanup.push(() => redis.close())
      const timeoutMs = options.redisTimeoutMs ?? 3000
      await withDeadline(redis.ready(), timeoutMs, () => {
        const why = redis.lastError ? `: ${redis.lastError.message}` : ''
        return new ConfigError(`Redis at REDIS_URL did not answer within ${timeoutMs} ms${why}`, 'REDIS_URL')
      })
      // Engines sharing a store must share the secret that hashes API keys; one process is fine with a random one.
      apiKeySecret ??= randomSecret()
    }

    // Bulwark's own ban line is left to the notifier's logger channel (one line per ban, with dedupe and digests:
    // `logBans: false` below); the engine's other warnings (store down, proxy settings) still go to the log.
    const engineLog = {
      warn: (/** @type {string} */ m) => log.warn(m),
      error: (/** @type {string} */ m) => (log.error ?? log.warn).call(log, m),
    }
    const engine = createBulwark({
      ...config.bulwark,
      trustProxy,
      apiKeySecret,
      store,
      logger: engineLog,
      logBans: false,
      emitAllows: true, // the live feed and the metrics count allowed requests too
      endpoints: ENDPOINT_LIMITS,
      // Reputation: a deny list shipped with the demo, and crawlers verified by their operators' published ranges.
      deny: [denyList({ name: DENY_LIST.name, from: DENY_LIST.file })],
      goodBots: GOOD_BOTS,
    })
    cleanup.push(() => engine.close())
    engine.on('error', (error) => log.warn(`bulwark: ${error.message}`))
    await engine.ready

    const notifier = createNotifier(config.notify)
    notifier.on('error', (error) => log.warn(`notify: ${error.message}`))
    notifier.attach(engine)
    cleanup.push(() => notifier.close({ timeoutMs: 2000 }))

    const storeName = store?.name ?? 'memory'
    const metrics = createMetrics({ engine, notifier })
    cleanup.push(() => metrics.close())
    const api = createApi({ password: config.password })

    const host = config.host
    const ports = { ...config.ports, ...options.ports }
    /** @type {{ express: string, fastify: string, koa: string }} */
    const urls = { express: '', fastify: '', koa: '' }
    const info = () => ({
      service: 'bulwark-demo',
      servers: urls,
      store: { name: storeName, state: engine.storeState },
      mode: engine.options.mode,
      trustProxy,
      simulatorReady: trustsLoopbackProxy(trustProxy),
      endpoints: ENDPOINT_LIMITS.map((e) => ({ ...e, match: String(e.match) })),
      rules: {
        burst: engine.options.burst,
        authFailures: engine.options.authFailures,
        scraping: engine.options.scraping,
        suspicion: engine.options.suspicion,
        bodySize: engine.options.bodySize,
        ban: engine.options.ban,
      },
      denyLists: [DENY_LIST.name],
      goodBots: { bots: Object.keys(GOOD_BOTS.ranges), verifiedBy: 'published ranges (no DNS)' },
      notifications: config.webhook ? 'log and webhook' : 'log',
    })

    // @bulwark/admin: the API at /admin/api, the dashboard at /dashboard/ (and /admin/); one handler for both.
    const admin = createDemoAdmin({ engine, token: adminToken, storeName, notifier, info })
    cleanup.push(() => admin.close())
    const live = admin.feed
    const mountedAdmin = expressAdmin(admin)

    const expressApp = createExpressApp({
      engine,
      api,
      trustProxy,
      operator: (app) => {
        app.get('/metrics', async (_req, res) => {
          res.set('Content-Type', metrics.contentType).send(await metrics.text())
        })
        app.use('/admin', mountedAdmin)
        app.use('/dashboard', mountedAdmin)
      },
    })
    const expressServer = createServer(expressApp)
    cleanup.push(() => closeServer(expressServer))
    urls.express = await listen(expressServer, ports.express, host, 'EXPRESS_PORT')

    const fastifyApp = await createFastifyApp({ engine, api, trustProxy })
    cleanup.push(() => fastifyApp.close())
    try {
      await fastifyApp.listen({ port: ports.fastify, host })
    } catch (error) {
      throw portError(error, ports.fastify, 'FASTIFY_PORT')
    }
    urls.fastify = urlOf(/** @type {import('node:net').AddressInfo} */ (fastifyApp.server.address()))

    const koaServer = createServer(createKoaApp({ engine, api, trustProxy }).callback())
    cleanup.push(() => closeServer(koaServer))
    urls.koa = await listen(koaServer, ports.koa, host, 'KOA_PORT')

    return {
      urls,
      dashboardUrl: `${urls.express}/dashboard/`,
      adminUrl: `${urls.express}/admin/api`,
      metricsUrl: `${urls.express}/metrics`,
      adminToken,
      adminTokenGenerated: options.adminToken === undefined && config.adminTokenGenerated,
      trustProxy,
      storeName,
      engine,
      store,
      notifier,
      live,
      config,
      close,
    }
  } catch (error) {
    await close()
    throw error
  }
}

function randomSecret() {
  return randomBytes(24).toString('base64url')
}

/**
 * @template T
 * @param {Promise<T>} promise @param {number} ms @param {() => Error} error
 * @returns {Promise<T>}
 */
function withDeadline(promise, ms, error) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(error()), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

/** @param {import('node:net').AddressInfo} a */
function urlOf(a) {
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host === '[::]' ? '[::1]' : host}:${a.port}`
}

/** @param {unknown} error @param {number} port @param {string} variable */
function portError(error, port, variable) {
  const code = /** @type {{ code?: string }} */ (error)?.code
  if (code === 'EADDRINUSE' || code === 'EACCES') {
    return new ConfigError(
      `Port ${port} is ${code === 'EADDRINUSE' ? 'already in use' : 'not allowed'}: set ${variable} to another port (0 picks a free one)`,
      variable,
    )
  }
  return error
}

/**
 * @param {import('node:http').Server} server @param {number} port @param {string} host @param {string} variable
 * @returns {Promise<string>}
 */
function listen(server, port, host, variable) {
  return new Promise((resolve, reject) => {
    const onError = (/** @type {Error} */ error) => reject(portError(error, port, variable))
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve(urlOf(/** @type {import('node:net').AddressInfo} */ (server.address())))
    })
  })
}

/** Stop accepting, end keep-alive and streaming connections, resolve when closed. @param {import('node:http').Server} server */
function closeServer(server) {
  return new Promise((resolve) => {
    if (!server.listening) return resolve(undefined)
    server.close(() => resolve(undefined))
    server.closeAllConnections()
  })
}
