// Shared by the tests: a demo on free ports, Redis detection, polling with a deadline.
import { randomBytes } from 'node:crypto'
import net from 'node:net'
import { startDemo } from '../src/demo.mjs'

export const TOKEN = 'test-admin-token-0123456789'

/**
 * A demo on free ports that trusts the loopback proxy (so tests choose their client address with X-Forwarded-For),
 * logging into an array instead of the console.
 * @param {import('../src/demo.mjs').StartOptions} [options]
 */
export async function testDemo(options = {}) {
  /** @type {string[]} */
  const lines = []
  const log = {
    warn: (/** @type {string} */ m) => lines.push(m),
    error: (/** @type {string} */ m) => lines.push(m),
  }
  const demo = await startDemo({
    env: {},
    ports: { express: 0, fastify: 0, koa: 0 },
    trustProxy: 'loopback',
    adminToken: TOKEN,
    log,
    ...options,
  })
  return Object.assign(demo, { lines })
}

let counter = 0
/** A fresh simulated client address for each call (from 198.51.100.0/24 and 203.0.113.0/24, then onwards). */
export function nextIp() {
  counter++
  return `198.${51 + Math.floor(counter / 65536)}.${Math.floor(counter / 256) % 256}.${counter % 256}`
}

/**
 * fetch() as a simulated client behind the loopback proxy.
 * @param {string} url @param {RequestInit & { ip?: string }} [init]
 */
export function call(url, init = {}) {
  const { ip, ...rest } = init
  const headers = new Headers(rest.headers)
  if (ip) headers.set('x-forwarded-for', ip)
  return fetch(url, { ...rest, headers })
}

/** @param {string} token */
export const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` })

/**
 * Poll `check` until it returns something truthy, or throw after `timeoutMs`.
 * @template T
 * @param {() => T | Promise<T>} check @param {{ timeoutMs?: number, intervalMs?: number, what?: string }} [options]
 * @returns {Promise<NonNullable<T>>}
 */
export async function waitFor(check, { timeoutMs = 5000, intervalMs = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      last = await check()
      if (last) return /** @type {NonNullable<T>} */ (last)
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/**
 * Whether Redis answers PING at REDIS_URL (default redis://127.0.0.1:6379).
 * @returns {Promise<{ url: string, ok: boolean, reason?: string }>}
 */
export function probeRedis() {
  const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || 6379) })
    const done = (/** @type {boolean} */ ok, /** @type {string} */ reason) => {
      socket.destroy()
      resolve(ok ? { url, ok } : { url, ok, reason })
    }
    socket.setTimeout(1000, () => done(false, 'no answer within 1 s'))
    socket.on('error', (e) => done(false, e.message))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (d) =>
      done(d.toString().startsWith('+PONG') || d.toString().includes('NOAUTH'), `answered ${d}`),
    )
  })
}

/** A key prefix no other run uses. */
export const testPrefix = () => `bulwark:demo-test:${randomBytes(4).toString('hex')}:`

/**
 * Redis tests skip with one warning when Redis is unreachable, except under CI=true, where they fail.
 * @returns {Promise<{ url: string, ok: boolean }>}
 */
export async function redisForTests() {
  const redis = await probeRedis()
  if (!redis.ok) {
    if (process.env.CI === 'true')
      throw new Error(`Redis is required under CI=true but ${redis.url} is unreachable: ${redis.reason}`)
    console.warn(
      `[demo tests] Redis at ${redis.url} is unreachable (${redis.reason}): skipping the Redis runs`,
    )
  }
  return redis
}
