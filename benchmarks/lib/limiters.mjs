// Library-level limiters: Bulwark's engine and each peer's store, each wrapped as `decide(ip) → Promise<boolean>`
// doing exactly the per-request work its middleware does (the same store call and the same comparison).
import { createRequire } from 'node:module'
import { exportOf, optionalImport } from './common.mjs'

const require = createRequire(import.meta.url)

/** Bulwark options for `rules`: 'default' (all rules, burst limit set), 'burst' (burst only), 'endpoint' (one endpoint limit only). */
/** rate-limiter-flexible rejects with a RateLimiterRes (not an Error) when the limit is reached. */
function consumeDecider(rl) {
  return async (ip) => {
    try {
      await rl.consume(ip)
      return true
    } catch (e) {
      if (e instanceof Error) throw e
      return false
    }
  }
}

export function bulwarkRules(rules, limit, windowMs) {
  if (rules === 'burst') return { ...BURST_ONLY, burst: { limit, windowMs } }
  if (rules === 'endpoint') {
    return { ...BURST_ONLY, burst: false, endpoints: [{ match: '/api/', limit, windowMs, id: 'api' }] }
  }
  return { burst: { limit, windowMs } }
}

/** Bulwark options that turn every rule but burst off: the "one rule" compared with single-limit peers. */
export const BURST_ONLY = {
  authFailures: false,
  scraping: false,
  scanner: false,
  probes: false,
  bodySize: false,
  suspicion: false,
}

export const HEADERS = Object.freeze({
  host: 'api.example.test',
  'user-agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  accept: 'application/json',
})

export const MEMORY_LIMITERS = [
  'bulwark',
  'rate-limiter-flexible',
  'express-rate-limit',
  '@fastify/rate-limit',
  'koa-ratelimit',
]
export const REDIS_LIMITERS = [
  'bulwark',
  'rate-limiter-flexible',
  'express-rate-limit + rate-limit-redis',
  '@fastify/rate-limit',
  'koa-ratelimit',
]

/** How each peer is configured as the closest equivalent of one Bulwark limit (`limit` requests per `windowMs`). */
export const EQUIVALENCE = {
  bulwark:
    'createBulwark({ burst: { limit, windowMs } }) — burst is an exact sliding log; over the limit the client is banned (403) for ban.ttlMs',
  'rate-limiter-flexible':
    'new RateLimiterMemory/RateLimiterRedis({ points: limit, duration: windowMs / 1000 }) + consume(ip) — fixed window',
  'express-rate-limit':
    'rateLimit({ windowMs, limit }) with its MemoryStore: store.increment(ip), allowed while totalHits <= limit — fixed window',
  'express-rate-limit + rate-limit-redis':
    'rateLimit({ windowMs, limit, store: new RedisStore({ sendCommand }) }) — fixed window (Lua INCR + PEXPIRE)',
  '@fastify/rate-limit':
    'register(rateLimit, { max: limit, timeWindow: windowMs }) — LocalStore (LRU of 5,000 by default) or { redis } — fixed window, allowed while current <= max',
  'koa-ratelimit':
    "ratelimit({ driver: 'memory' | 'redis', max: limit, duration: windowMs }) — memory: fixed window in a Map; redis: sliding log (async-ratelimiter)",
}

async function core() {
  const r = await optionalImport('@bulwark/core')
  if (r.error) throw new Error(`@bulwark/core ${r.error}`)
  return r.mod
}

/**
 * A memory limiter. `opts`: { limit, windowMs, rules: 'default' | 'burst', maxSubjects, cache }.
 * Returns { name, decide(ip), tracked(), close() } or throws "not available".
 */
export async function memoryLimiter(name, opts) {
  const { limit, windowMs } = opts
  switch (name) {
    case 'bulwark-sync': {
      // engine.decide(): synchronous with the memory store, as the adapters call it.
      const l = await memoryLimiter('bulwark', opts)
      const decide = (ip) => {
        const d = l.engine.decide({ ip, method: 'GET', path: '/api/items', headers: HEADERS })
        return d instanceof Promise ? d.then((x) => x.conclusion === 'allow') : d.conclusion === 'allow'
      }
      return { ...l, name, decide }
    }
    case 'bulwark': {
      const { createBulwark, MemoryStore } = await core()
      const store = new MemoryStore(opts.maxSubjects ? { maxSubjects: opts.maxSubjects } : {})
      const engine = createBulwark({
        logger: false,
        store,
        ...bulwarkRules(opts.rules, limit, windowMs),
      })
      const decide = async (ip) =>
        (await engine.inspect({ ip, method: 'GET', path: '/api/items', headers: HEADERS })).conclusion ===
        'allow'
      return {
        name,
        engine,
        decide,
        tracked: () => store.trackedSubjects,
        close: () => engine.close(),
      }
    }
    case 'rate-limiter-flexible': {
      const { RateLimiterMemory } = await import('rate-limiter-flexible')
      const rl = new RateLimiterMemory({ points: limit, duration: windowMs / 1000 })
      const decide = consumeDecider(rl)
      return { name, decide, tracked: () => rl._memoryStorage?._storage?.size ?? null, close() {} }
    }
    case 'express-rate-limit': {
      const { MemoryStore } = await import('express-rate-limit')
      const store = new MemoryStore()
      store.init({ windowMs })
      const decide = async (ip) => (await store.increment(ip)).totalHits <= limit
      return {
        name,
        decide,
        tracked: () => (store.current?.size ?? 0) + (store.previous?.size ?? 0),
        close: () => store.shutdown?.(),
      }
    }
    case '@fastify/rate-limit': {
      const LocalStore = require('@fastify/rate-limit/store/LocalStore.js')
      const store = new LocalStore(false, false, opts.cache ?? 5000)
      const decide = (ip) =>
        new Promise((resolve, reject) =>
          store.incr(ip, (err, r) => (err ? reject(err) : resolve(r.current <= limit)), windowMs, limit),
        )
      return { name, decide, tracked: () => store.lru?.size ?? null, close() {} }
    }
    case 'koa-ratelimit': {
      const MemoryLimiter = require('koa-ratelimit/limiter/memory.js')
      const db = new Map()
      // koa-ratelimit builds a limiter per request; its get() answers `remaining`, allowed while > 0.
      const decide = async (ip) =>
        (await new MemoryLimiter({ id: ip, db, max: limit, duration: windowMs }).get()).remaining > 0
      return { name, decide, tracked: () => db.size, close: () => db.clear() }
    }
    default:
      throw new Error(`unknown limiter ${name}`)
  }
}

/**
 * A Redis limiter on the given ioredis `client` (one connection per limiter; pass a fresh one). `opts`: { limit,
 * windowMs, prefix, redisUrl, rules }. Throws "not available" when a package is missing.
 */
export async function redisLimiter(name, client, opts) {
  const { limit, windowMs } = opts
  const prefix = opts.prefix ?? 'bench:'
  switch (name) {
    case 'bulwark': {
      const { createBulwark } = await core()
      const r = await optionalImport('@bulwark/redis')
      if (r.error) throw new Error(`@bulwark/redis ${r.error}`)
      const RedisStore = exportOf(r.mod, 'RedisStore')
      const store = new RedisStore({ client, prefix: `${prefix}bw:`, clock: opts.clock ?? 'server' })
      const engine = createBulwark({
        logger: false,
        store,
        apiKeySecret: 'bench-secret-0123456789abcdef',
        ...bulwarkRules(opts.rules, limit, windowMs),
      })
      await engine.ready
      const decide = async (ip) =>
        (await engine.inspect({ ip, method: 'GET', path: '/api/items', headers: HEADERS })).conclusion ===
        'allow'
      return { name, engine, decide, close: () => engine.close() }
    }
    case 'rate-limiter-flexible': {
      const { RateLimiterRedis } = await import('rate-limiter-flexible')
      const rl = new RateLimiterRedis({
        storeClient: client,
        points: limit,
        duration: windowMs / 1000,
        keyPrefix: `${prefix}rlf`,
      })
      const decide = consumeDecider(rl)
      return { name, decide, close() {} }
    }
    case 'express-rate-limit + rate-limit-redis': {
      const { RedisStore } = await import('rate-limit-redis')
      const store = new RedisStore({
        sendCommand: (command, ...args) => client.call(command, ...args),
        prefix: `${prefix}erl:`,
      })
      store.init({ windowMs })
      const decide = async (ip) => (await store.increment(ip)).totalHits <= limit
      return { name, decide, close() {} }
    }
    case '@fastify/rate-limit': {
      const RedisStore = require('@fastify/rate-limit/store/RedisStore.js')
      const store = new RedisStore(false, false, client, `${prefix}frl:`)
      const decide = (ip) =>
        new Promise((resolve, reject) =>
          store.incr(ip, (err, r) => (err ? reject(err) : resolve(r.current <= limit)), windowMs, limit),
        )
      return { name, decide, close() {} }
    }
    case 'koa-ratelimit': {
      const RedisLimiter = require('koa-ratelimit/limiter/redis.js')
      const decide = async (ip) =>
        (
          await new RedisLimiter({
            id: ip,
            db: client,
            max: limit,
            duration: windowMs,
            namespace: `${prefix}koa`,
          }).get()
        ).remaining > 0
      return { name, decide, close() {} }
    }
    default:
      throw new Error(`unknown limiter ${name}`)
  }
}
