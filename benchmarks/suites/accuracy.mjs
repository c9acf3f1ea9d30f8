// 5. Accuracy: one client sends 0.8× and 1.6× the limit inside one window; allowed counts against the exact
// expectation min(sent, limit). Memory stores in this process; Redis stores from 4 processes at once (each with its
// own connection and limiter instance, 8 requests in flight each).
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { fmtInt, mark, pick } from '../lib/common.mjs'
import { MEMORY_LIMITERS, memoryLimiter, REDIS_LIMITERS } from '../lib/limiters.mjs'
import { startRedis } from '../lib/redis.mjs'

const WORKER = fileURLToPath(new URL('../lib/accuracy-worker.mjs', import.meta.url))
const WINDOW_MS = 60_000
const FACTORS = [0.8, 1.6]
const PROCESSES = 4
const IP = '192.0.2.77'

/** Bulwark is measured with two rules: burst (exact log, then a ban) and an endpoint limit (429). */
function variants(list) {
  const out = []
  for (const name of list) {
    if (name === 'bulwark') {
      out.push({ name, rules: 'burst', label: 'Bulwark (burst rule → ban)' })
      out.push({ name, rules: 'endpoint', label: 'Bulwark (endpoint limit → 429)' })
    } else out.push({ name, label: name })
  }
  return out
}

async function memoryCase(v, limit, sent) {
  const l = await memoryLimiter(v.name, { limit, windowMs: WINDOW_MS, rules: v.rules })
  let allowed = 0
  let left = sent
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (left > 0) {
        left--
        if (await l.decide(IP)) allowed++
      }
    }),
  )
  await l.close?.()
  return { allowed }
}

function startWorkers() {
  return Promise.all(
    Array.from(
      { length: PROCESSES },
      () =>
        new Promise((resolve, reject) => {
          const w = fork(WORKER, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] })
          w.once('message', () => resolve(w))
          w.once('error', reject)
        }),
    ),
  )
}

/** Ask every worker for one message of `type` (after sending `send` to each). */
function each(workers, send, timeoutMs = 30_000) {
  return Promise.all(
    workers.map(
      (w, i) =>
        new Promise((resolve) => {
          const timer = setTimeout(() => resolve({ type: 'error', message: 'timed out' }), timeoutMs)
          w.once('message', (m) => {
            clearTimeout(timer)
            resolve(m)
          })
          w.send(send(i))
        }),
    ),
  )
}

async function redisCase(workers, v, limit, sent, redisUrl, prefix) {
  const per = Math.ceil(sent / PROCESSES)
  const counts = workers.map((_, i) => Math.max(0, Math.min(per, sent - per * i)))
  const config = {
    limiter: v.name,
    rules: v.rules,
    redisUrl,
    limit,
    windowMs: WINDOW_MS,
    prefix,
    inFlight: 8,
    ip: IP,
  }
  const ready = await each(workers, (i) => ({ type: 'case', config: { ...config, requests: counts[i] } }))
  const bad = ready.find((m) => m.type !== 'ready')
  if (bad) return { error: bad.message }
  // Every worker has its limiter ready: start them together.
  const results = await each(workers, () => ({ type: 'go' }))
  const failed = results.find((m) => m.type !== 'result')
  if (failed) return { error: failed.message }
  return {
    allowed: results.reduce((a, m) => a + m.result.allowed, 0),
    errors: results.reduce((a, m) => a + m.result.errors, 0),
  }
}

export async function run({ profile, log = () => {}, progress = () => {} }) {
  const limit = pick(profile, { full: 1000, quick: 200, smoke: 40 })
  const rows = []
  const total = (variants(MEMORY_LIMITERS).length + variants(REDIS_LIMITERS).length) * FACTORS.length
  /** One step per limiter (both factors), so a log gets a line per limiter, not per case. */
  const step = (store, v) => progress({ label: `${store}: ${v.label}`, done: rows.length, total })
  for (const v of variants(MEMORY_LIMITERS)) {
    step('memory', v)
    for (const f of FACTORS) {
      const sent = Math.round(limit * f)
      const row = { limiter: v.label, store: 'memory', processes: 1, limit, factor: f, sent }
      try {
        const r = await memoryCase(v, limit, sent)
        rows.push({ ...row, expected: Math.min(sent, limit), allowed: r.allowed })
      } catch (error) {
        rows.push({ ...row, error: String(error.message ?? error) })
      }
    }
  }
  const redis = await startRedis()
  const redisNote = redis.error ?? redis.note
  if (redis.error) log(`accuracy: ${redis.error}`)
  else {
    const workers = await startWorkers()
    try {
      let n = 0
      for (const v of variants(REDIS_LIMITERS)) {
        step('redis', v)
        for (const f of FACTORS) {
          const sent = Math.round(limit * f)
          const r = await redisCase(workers, v, limit, sent, redis.url, `acc${n++}:`)
          rows.push({
            limiter: v.label,
            store: 'redis',
            processes: PROCESSES,
            limit,
            factor: f,
            sent,
            expected: Math.min(sent, limit),
            ...r,
          })
        }
      }
    } finally {
      for (const w of workers) w.kill()
      await redis.stop()
    }
  }
  progress({ done: total, total })
  for (const r of rows) if (!r.error) r.exact = r.allowed === r.expected
  const bw = rows.filter((r) => r.limiter.startsWith('Bulwark') && !r.error)
  const target = {
    name: 'Bulwark: exact allowed counts at 0.8× and 1.6× the limit (memory, and Redis from 4 processes)',
    measured:
      bw.length === 0 ? 'not available' : `${bw.filter((r) => r.exact).length} of ${bw.length} cases exact`,
    pass: bw.length === 0 ? null : bw.every((r) => r.exact),
  }
  return {
    available: bw.length > 0,
    settings: { limit, windowMs: WINDOW_MS, factors: FACTORS, processes: PROCESSES, redis: redisNote },
    rows,
    targets: [{ ...target, mark: mark(target.pass) }],
    tables: [
      {
        title: `5. Accuracy: allowed requests for limit ${fmtInt(limit)} per ${WINDOW_MS / 1000} s`,
        headers: ['limiter', 'store', 'processes', 'sent', 'expected', 'allowed', 'exact'],
        rows: rows.map((r) => [
          r.limiter,
          r.store,
          r.processes,
          `${fmtInt(r.sent)} (${r.factor}×)`,
          fmtInt(r.expected),
          r.error ? `failed: ${r.error.slice(0, 60)}` : fmtInt(r.allowed),
          r.error ? '–' : mark(r.exact),
        ]),
        notes: [
          `One client IP, all requests well inside one ${WINDOW_MS / 1000} s window. Memory: 16 requests in flight in one process. Redis: ${PROCESSES} processes started together, each with its own connection and limiter, 8 requests in flight each.`,
          "The library-level call each middleware makes per request is used (Bulwark: engine.inspect; peers: their store's increment/consume and the middleware's comparison), not HTTP.",
          'express-rate-limit and koa-ratelimit (memory) return their live counter object from the store; with requests in flight the middleware reads it after later requests have incremented it, so it refuses up to (in-flight − 1) requests early. Sent one at a time they are exact.',
          `Redis: ${redisNote}.`,
        ],
      },
    ],
  }
}
