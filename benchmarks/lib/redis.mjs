// Redis for the benchmarks: a private redis-server on a free loopback port when the binary is installed (clean
// INFO commandstats and used_memory, FLUSHDB allowed), else the shared server at REDIS_URL on DB 15 (never FLUSHALL).
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import { join } from 'node:path'
import { sleep } from './common.mjs'

const SHARED_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const SHARED_DB = 15

function hasRedisServer() {
  try {
    return spawnSync('redis-server', ['--version'], { timeout: 2000 }).status === 0
  } catch {
    return false
  }
}

async function loadIoredis() {
  const mod = await import('ioredis')
  return mod.Redis ?? mod.default
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })
}

async function ping(url, timeoutMs = 1000) {
  const Redis = await loadIoredis()
  const c = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
  })
  c.on('error', () => {})
  try {
    await c.connect()
    return (await c.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    c.disconnect()
  }
}

/** Whether the Redis parts can run here, and how. Never throws. */
export async function redisAvailability() {
  if (hasRedisServer()) return { ok: true, mode: 'own', reason: 'redis-server is installed' }
  if (await ping(SHARED_URL)) return { ok: true, mode: 'shared', reason: `${SHARED_URL} answers` }
  return { ok: false, reason: `no redis-server binary and nothing answers at ${SHARED_URL}` }
}

/**
 * Start a private redis-server (or fall back to the shared one). Resolves to `{ url, own, version, stop() }` or
 * `{ error }` when no Redis can be had.
 */
export async function startRedis() {
  if (hasRedisServer()) {
    const port = await freePort()
    const dir = mkdtempSync(join(os.tmpdir(), 'bulwark-bench-redis-'))
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
      { stdio: 'ignore' },
    )
    const url = `redis://127.0.0.1:${port}`
    for (let i = 0; i < 100; i++) {
      if (await ping(url, 200)) {
        const c = await client(url)
        const version = (await c.info('server')).match(/redis_version:(\S+)/)?.[1] ?? null
        c.disconnect()
        return {
          url,
          own: true,
          version,
          note: `private redis-server ${version} on 127.0.0.1:${port} (no persistence)`,
          stop: async () => {
            child.kill('SIGTERM')
            await new Promise((r) => {
              if (child.exitCode !== null) r()
              else child.once('exit', r)
              setTimeout(r, 2000)
            })
            rmSync(dir, { recursive: true, force: true })
          },
        }
      }
      await sleep(50)
    }
    child.kill('SIGKILL')
  }
  const url = `${SHARED_URL.replace(/\/\d+$/, '')}/${SHARED_DB}`
  if (await ping(url)) {
    const c = await client(url)
    const version = (await c.info('server')).match(/redis_version:(\S+)/)?.[1] ?? null
    c.disconnect()
    return {
      url,
      own: false,
      version,
      note: `shared Redis ${version} at ${SHARED_URL}, DB ${SHARED_DB}: commandstats and used_memory include other clients' traffic`,
      stop: async () => {},
    }
  }
  return { error: `not available: no redis-server binary and nothing answers at ${SHARED_URL}` }
}

/** A plain ioredis client. */
export async function client(url, options = {}) {
  const Redis = await loadIoredis()
  const c = new Redis(url, { maxRetriesPerRequest: 1, ...options })
  c.on('error', () => {})
  await c.ping()
  return c
}

/** An ioredis client that counts the commands it sends (one per round trip when requests go one at a time). */
export async function countingClient(url, options = {}) {
  const c = await client(url, options)
  c.sent = 0
  c.sentByName = new Map()
  const send = c.sendCommand.bind(c)
  c.sendCommand = (command, ...rest) => {
    c.sent++
    c.sentByName.set(command.name, (c.sentByName.get(command.name) ?? 0) + 1)
    return send(command, ...rest)
  }
  return c
}

/** `INFO commandstats` as a Map of command → calls (commands run inside scripts included). */
/** The result a Redis-only suite returns when no Redis can be had: one empty table saying why. */
export function redisUnavailable(suite, title, error, log) {
  log(`${suite}: ${error}`)
  return {
    available: false,
    reason: error,
    rows: [],
    targets: [],
    tables: [{ title, headers: [], rows: [], notes: [error] }],
  }
}

export async function commandStats(c) {
  const text = await c.info('commandstats')
  const m = new Map()
  for (const line of text.split('\n')) {
    const x = line.match(/^cmdstat_([^:]+):calls=(\d+)/)
    if (x) m.set(x[1], Number(x[2]))
  }
  return m
}

export function statsDelta(
  before,
  after,
  ignore = ['info', 'config|resetstat', 'flushdb', 'ping', 'select'],
) {
  const d = new Map()
  for (const [k, v] of after) {
    if (ignore.includes(k)) continue
    const n = v - (before.get(k) ?? 0)
    if (n > 0) d.set(k, n)
  }
  return d
}

export async function usedMemory(c) {
  const text = await c.info('memory')
  return Number(text.match(/used_memory:(\d+)/)?.[1] ?? Number.NaN)
}
