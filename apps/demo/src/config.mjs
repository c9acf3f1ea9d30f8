// The demo's configuration: Bulwark's own variables through `configFromEnv`, the notifier's through `fromEnv`, and a
// few of the demo's (ports, admin token, Redis). Every bad value stops start-up with a message naming the variable.
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { configFromEnv, GOOD_BOT_RANGES } from '@bulwark/core'
import { fromEnv } from '@bulwark/notify'

/** The demo's own variables, with their defaults (Bulwark's and the notifier's are in their READMEs). */
export const DEMO_ENV = {
  HOST: 'address the three servers listen on (default 127.0.0.1)',
  EXPRESS_PORT:
    'port of the Express server, also serving the dashboard, admin API and metrics (default 3000)',
  FASTIFY_PORT: 'port of the Fastify server (default 3001)',
  KOA_PORT: 'port of the Koa server (default 3002)',
  ADMIN_TOKEN:
    'bearer token of the admin API and dashboard, at least 16 characters (default: random, printed)',
  REDIS_URL: 'redis:// or rediss:// URL: keep counters and bans in Redis (default: in memory)',
  REDIS_PREFIX: 'key prefix in Redis (default bulwark:demo:)',
  DEMO_PASSWORD: 'password of the demo user "demo" for POST /auth/login (default demo-password)',
}

/** The deny list shipped with the demo (documentation ranges; see the file) and its name in decisions and bans. */
export const DENY_LIST = Object.freeze({
  name: 'demo-deny-list',
  file: fileURLToPath(new URL('../data/deny-list.txt', import.meta.url)),
})

/**
 * Verified crawlers: Googlebot, Bingbot and Applebot by the ranges their operators publish, shipped with
 * @bulwark/core as data. No DNS (`resolver: false`): the demo never touches the network, and a claim from outside
 * the ranges is a fake (a suspicious event).
 */
export const GOOD_BOTS = Object.freeze({ ranges: GOOD_BOT_RANGES, resolver: /** @type {const} */ (false) })

/** The endpoint limits of the demo: first match wins, so the catch-all `/` comes last. */
export const ENDPOINT_LIMITS = Object.freeze([
  { match: '/auth/', limit: 5, windowMs: 60_000, id: 'auth' },
  { match: '/api/tasks', limit: 20, windowMs: 60_000, id: 'tasks' },
  { match: '/', limit: 60, windowMs: 60_000, id: 'default' },
])

/** A configuration error: the message names the variable and is meant to be printed as it is. */
export class ConfigError extends Error {
  /** @param {string} message @param {string} variable */
  constructor(message, variable) {
    super(message)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

/**
 * @typedef {object} DemoConfig
 * @property {import('@bulwark/core').BulwarkOptions} bulwark engine options from the environment
 * @property {import('@bulwark/notify').NotifierOptions} notify notifier options from the environment
 * @property {string} host
 * @property {{ express: number, fastify: number, koa: number }} ports
 * @property {string} adminToken
 * @property {boolean} adminTokenGenerated true when no ADMIN_TOKEN was given
 * @property {string | undefined} redisUrl
 * @property {string} redisPrefix
 * @property {string} password
 * @property {boolean} webhook true when SECURITY_WEBHOOK_URL is set
 */

/** @param {Record<string, string | undefined>} env @param {string} name @param {number} fallback */
function port(env, name, fallback) {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d{1,5}$/.test(raw.trim()) || Number(raw) > 65535) {
    throw new ConfigError(
      `Environment variable ${name}=${JSON.stringify(raw.slice(0, 40))} is invalid: expected a port from 0 to 65535 (0 picks a free port)`,
      name,
    )
  }
  return Number(raw)
}

/**
 * Read and check the whole configuration. Throws a `ConfigError`, a `BulwarkError` (ERR_BULWARK_ENV) or a
 * `NotifyError` (ERR_BULWARK_NOTIFY_ENV), each naming the variable at fault.
 * @param {Record<string, string | undefined>} env
 * @param {{ logger?: { warn(message: string): void } }} [options]
 * @returns {DemoConfig}
 */
export function loadConfig(env = process.env, options = {}) {
  const bulwark = configFromEnv(env)
  const notify = fromEnv(env, { logger: options.logger ?? console })

  const token = env.ADMIN_TOKEN
  if (token !== undefined && token !== '' && (token.length < 16 || /\s/.test(token))) {
    throw new ConfigError(
      'Environment variable ADMIN_TOKEN is invalid: expected at least 16 characters without spaces (the value is not shown)',
      'ADMIN_TOKEN',
    )
  }
  const redisUrl = env.REDIS_URL === '' ? undefined : env.REDIS_URL
  if (redisUrl !== undefined) {
    let ok = false
    try {
      ok = ['redis:', 'rediss:'].includes(new URL(redisUrl).protocol)
    } catch {}
    if (!ok) {
      throw new ConfigError(
        `Environment variable REDIS_URL=${JSON.stringify(redisUrl.replace(/\/\/[^@/]*@/, '//***@').slice(0, 80))} is invalid: expected redis://host:port or rediss://host:port`,
        'REDIS_URL',
      )
    }
  }
  const redisPrefix = env.REDIS_PREFIX || 'bulwark:demo:'
  if (/[{}\s]/.test(redisPrefix)) {
    throw new ConfigError(
      `Environment variable REDIS_PREFIX=${JSON.stringify(redisPrefix.slice(0, 40))} is invalid: expected no braces or spaces`,
      'REDIS_PREFIX',
    )
  }
  const host = env.HOST || '127.0.0.1'
  return {
    bulwark,
    notify,
    host,
    ports: {
      express: port(env, 'EXPRESS_PORT', 3000),
      fastify: port(env, 'FASTIFY_PORT', 3001),
      koa: port(env, 'KOA_PORT', 3002),
    },
    adminToken: token || randomBytes(18).toString('base64url'),
    adminTokenGenerated: !token,
    redisUrl,
    redisPrefix,
    password: env.DEMO_PASSWORD || 'demo-password',
    webhook: Boolean(env.SECURITY_WEBHOOK_URL),
  }
}
