// 4. Memory under an IP-rotation flood. Heap: each limiter in a fresh child process (--expose-gc) takes one request
// from each of N distinct clients (IPv4; IPv6 rotating inside /64s; IPv6 across /64s); heapUsed and ArrayBuffer
// deltas after GC, divided by the subjects the limiter tracks. Redis: used_memory delta per tracked client.
import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { ipKeyGenerator } from 'express-rate-limit'
import { floodAddress, fmtBytes, fmtInt, fmtNum, mark, pick } from '../lib/common.mjs'
import { REDIS_LIMITERS, redisLimiter } from '../lib/limiters.mjs'
import { client, startRedis, usedMemory } from '../lib/redis.mjs'

const CHILD = fileURLToPath(new URL('../lib/memory-child.mjs', import.meta.url))
const SCENARIOS = ['ipv4', 'ipv6-in-64', 'ipv6-across-64']
const LIMIT = 100
const WINDOW_MS = 60_000

function measureChild(config, timeoutMs) {
  return new Promise((resolve) => {
    const child = fork(CHILD, [JSON.stringify(config)], {
      execArgv: ['--expose-gc', '--max-old-space-size=4096'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-1000)
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    let done = false
    child.on('message', (m) => {
      done = true
      clearTimeout(timer)
      resolve(m.type === 'result' ? { ...config, ...m.result } : { ...config, error: m.message })
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (!done) resolve({ ...config, error: `exited with ${code} ${stderr}`.trim() })
    })
  })
}

async function pool(tasks, width) {
  const out = new Array(tasks.length)
  let next = 0
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < tasks.length) {
        const i = next++
        out[i] = await tasks[i]()
      }
    }),
  )
  return out
}

export async function run({ profile, log = () => {}, progress = () => {} }) {
  const clients = pick(profile, { full: 1_000_000, quick: 50_000, smoke: 3_000 })
  const redisClients = pick(profile, { full: 100_000, quick: 10_000, smoke: 500 })
  const plan = []
  for (const scenario of SCENARIOS) {
    // maxSubjects = the number of clients: the store is full, so its preallocation is divided by what it holds.
    plan.push({
      label: `Bulwark (maxSubjects ${fmtInt(clients)})`,
      limiter: 'bulwark',
      scenario,
      clients,
      maxSubjects: clients,
      perSubject: true,
    })
    plan.push({ label: 'Bulwark (default maxSubjects 100,000)', limiter: 'bulwark', scenario, clients })
    plan.push({
      label: 'rate-limiter-flexible (RateLimiterMemory)',
      limiter: 'rate-limiter-flexible',
      scenario,
      clients,
    })
    plan.push({ label: 'express-rate-limit (MemoryStore)', limiter: 'express-rate-limit', scenario, clients })
    plan.push({
      label: '@fastify/rate-limit (LocalStore, cache 1,000,000)',
      limiter: '@fastify/rate-limit',
      scenario,
      clients,
      cache: 1_000_000,
    })
    plan.push({ label: 'koa-ratelimit (memory driver)', limiter: 'koa-ratelimit', scenario, clients })
  }
  const timeoutMs = pick(profile, { full: 120_000, quick: 30_000, smoke: 20_000 })
  log(`memory: ${plan.length} child processes, ${fmtInt(clients)} clients each`)
  // Memory, not time, is measured: two children at a time.
  let finished = 0
  const heapRows = await pool(
    plan.map((p) => async () => {
      progress({ label: `${p.scenario} / ${p.label}`, done: finished, total: plan.length })
      const r = await measureChild(p, timeoutMs)
      progress({ done: ++finished, total: plan.length })
      return r
    }),
    2,
  )
  progress({ label: 'Redis used_memory' })
  for (const r of heapRows) {
    if (r.error) continue
    r.bytesPerTracked = r.tracked > 0 ? (r.heapDelta + r.arrayBuffersDelta) / r.tracked : null
    r.heapBytesPerTracked = r.tracked > 0 ? r.heapDelta / r.tracked : null
    r.bytesPerClient = (r.heapDelta + r.arrayBuffersDelta) / r.clients
    r.marginalPerTracked = r.tracked > 0 ? r.marginalBytes / r.tracked : null
  }

  // Redis used_memory per tracked client.
  const redisRows = []
  const redis = await startRedis()
  let redisNote = redis.error ?? redis.note
  if (!redis.error) {
    const admin = await client(redis.url)
    try {
      for (const name of REDIS_LIMITERS) {
        if (redis.own) await admin.flushdb()
        const c = await client(redis.url)
        try {
          const l = await redisLimiter(name, c, { limit: LIMIT, windowMs: WINDOW_MS, prefix: 'flood:' })
          await new Promise((r) => setTimeout(r, 100))
          const before = await usedMemory(admin)
          const keysBefore = await admin.dbsize()
          let i = 0
          const key = name.startsWith('express') ? (ip) => ipKeyGenerator(ip) : (ip) => ip
          await Promise.all(
            Array.from({ length: 32 }, async () => {
              while (i < redisClients) await l.decide(key(floodAddress('ipv4', i++)))
            }),
          )
          const after = await usedMemory(admin)
          const keys = (await admin.dbsize()) - keysBefore
          redisRows.push({
            limiter: name,
            clients: redisClients,
            usedMemoryDelta: after - before,
            keys,
            bytesPerClient: (after - before) / redisClients,
          })
          await l.close?.()
        } catch (error) {
          redisRows.push({ limiter: name, error: String(error.message ?? error) })
        } finally {
          c.disconnect()
        }
      }
      if (redis.own) await admin.flushdb()
    } finally {
      admin.disconnect()
      await redis.stop()
    }
  } else redisNote = redis.error

  // Judged where the flood fills the store (IPv4 and IPv6 across /64s); rotating inside a few /64s tracks few subjects.
  const bw = heapRows.filter(
    (r) => r.limiter === 'bulwark' && r.perSubject && !r.error && r.scenario !== 'ipv6-in-64',
  )
  const worst = bw.length > 0 ? Math.max(...bw.map((r) => r.bytesPerTracked ?? 0)) : null
  const target = {
    name: `Bulwark ≤ 100 bytes of heap per tracked subject (heapUsed + ArrayBuffers, ${fmtInt(clients)} IPv4 / IPv6 /64 clients, maxSubjects ${fmtInt(clients)})`,
    measured:
      worst === null
        ? 'not available'
        : `${fmtNum(worst, 0)} B (worst scenario)${clients < 1_000_000 ? "; judged only with 1,000,000 clients (full run): the engine's fixed caches dominate smaller floods" : ''}`,
    pass: worst === null || clients < 1_000_000 ? null : worst <= 100,
  }
  return {
    available: bw.length > 0,
    settings: { clients, redisClients, limit: LIMIT, windowMs: WINDOW_MS },
    heap: heapRows,
    redis: redisRows,
    targets: [{ ...target, mark: mark(target.pass) }],
    tables: [
      {
        title: `4. Memory after ${fmtInt(clients)} distinct clients (fresh process per row)`,
        headers: [
          'scenario',
          'limiter',
          'tracked',
          'heapUsed Δ',
          'ArrayBuffers Δ',
          'at creation',
          'bytes / tracked',
          'marginal / tracked',
          'bytes / client',
          'feed time',
        ],
        rows: heapRows.map((r) =>
          r.error
            ? [r.scenario, r.label, '–', '–', '–', '–', '–', '–', '–', `failed: ${r.error.slice(0, 80)}`]
            : [
                r.scenario,
                r.label,
                fmtInt(r.tracked),
                fmtBytes(r.heapDelta),
                fmtBytes(r.arrayBuffersDelta),
                fmtBytes(r.fixedBytes),
                fmtNum(r.bytesPerTracked, 0),
                fmtNum(r.marginalPerTracked, 0),
                fmtNum(r.bytesPerClient, 0),
                `${fmtNum(r.seconds, 1)} s`,
              ],
        ),
        notes: [
          `Every limiter: limit ${LIMIT} per ${WINDOW_MS / 1000} s, one request per client, awaited one at a time. Deltas after two full GCs, from before the limiter was created (so Bulwark's preallocated typed arrays count); ArrayBuffers hold Bulwark's typed arrays outside the JS heap and are added in "bytes / tracked". "at creation": what the limiter costs before any client (Bulwark preallocates for maxSubjects); "marginal": growth from then on.`,
          'tracked: subjects the limiter holds afterwards. Bulwark groups IPv6 by /64 (ipv6Prefix 64); express-rate-limit keys IPv6 by /56 (its default ipKeyGenerator); the others key by the full address.',
          "Bulwark's MemoryStore caps tracked subjects at maxSubjects (default 100,000, least recently seen forgotten first): the capped rows show the total a flood can cost with defaults. @fastify/rate-limit's LocalStore is an LRU of 5,000 by default (raised here to measure per-client cost); the other peers are unbounded until their window ends.",
        ],
      },
      {
        title: `4b. Redis used_memory after ${fmtInt(redisClients)} distinct IPv4 clients`,
        headers: ['limiter', 'keys', 'used_memory Δ', 'bytes / client'],
        rows: redisRows.map((r) =>
          r.error
            ? [r.limiter, '–', '–', `failed: ${r.error.slice(0, 80)}`]
            : [r.limiter, fmtInt(r.keys), fmtBytes(r.usedMemoryDelta), fmtNum(r.bytesPerClient, 0)],
        ),
        notes: [
          `One request per client, 32 in flight, limit ${LIMIT} per ${WINDOW_MS / 1000} s. Redis: ${redisNote}.`,
        ],
      },
    ],
  }
}
