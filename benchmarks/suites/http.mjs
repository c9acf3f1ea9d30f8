// 2. HTTP: what each limiter costs the server process, in CPU time per request, beside requests/s and p99.
// A trivial route per framework, bare and with each limiter (memory and Redis), every server a forked child process,
// autocannon here. Each measurement sends a fixed number of requests; the server reports its own CPU time
// (process.cpuUsage(), user + system) before and after, and for Redis variants redis-server's (INFO cpu
// used_cpu_user + used_cpu_sys). Within a round every variant of a framework is measured once, in an order rotated
// each round (bare included); each figure is the median over rounds, and every round is kept in the result.
// Targets are ratios against the peers measured in the same run: Bulwark ÷ the framework's usual limiter and
// Bulwark ÷ rate-limiter-flexible, in server CPU per request (≤ 1 is met).
import { execFileSync } from 'node:child_process'
import autocannon from 'autocannon'
import { fmtInt, fmtNum, mark, median, pick } from '../lib/common.mjs'
import { client, startRedis } from '../lib/redis.mjs'
import { cpuListOf, pinToCpu, startServer } from '../lib/servers.mjs'

/** Every request comes from 127.0.0.1: one client. Limits are raised so that it is never limited. */
export const HTTP_LIMIT = 1_000_000
const WINDOW_MS = 1000

export const FRAMEWORKS = ['express', 'fastify', 'koa']
export const PEER = { express: 'express-rate-limit', fastify: '@fastify/rate-limit', koa: 'koa-ratelimit' }
const PEER_REDIS = {
  express: 'express-rate-limit + rate-limit-redis',
  fastify: '@fastify/rate-limit (redis)',
  koa: 'koa-ratelimit (redis driver)',
}

/** The variants measured per framework, bare first. `role`: who the row is in the targets. */
export function variantsFor(framework) {
  return [
    { key: 'bare', label: 'no middleware', limiter: 'none', store: '-', role: 'bare' },
    { key: 'bulwark-memory', label: 'Bulwark', limiter: 'bulwark', store: 'memory', role: 'bulwark' },
    { key: 'peer-memory', label: PEER[framework], limiter: 'peer', store: 'memory', role: 'peer' },
    {
      key: 'rlf-memory',
      label: 'rate-limiter-flexible',
      limiter: 'rate-limiter-flexible',
      store: 'memory',
      role: 'rlf',
    },
    {
      key: 'bulwark-redis',
      label: 'Bulwark (RedisStore)',
      limiter: 'bulwark',
      store: 'redis',
      role: 'bulwark',
    },
    { key: 'peer-redis', label: PEER_REDIS[framework], limiter: 'peer', store: 'redis', role: 'peer' },
    {
      key: 'rlf-redis',
      label: 'rate-limiter-flexible (RateLimiterRedis)',
      limiter: 'rate-limiter-flexible',
      store: 'redis',
      role: 'rlf',
    },
  ]
}

/** redis-server's own CPU time so far, in µs (INFO cpu: used_cpu_user + used_cpu_sys, network I/O included). */
export async function redisCpuUs(admin) {
  const text = await admin.info('cpu')
  const num = (k) => Number(text.match(new RegExp(`^${k}:([\\d.]+)`, 'm'))?.[1] ?? Number.NaN)
  return (num('used_cpu_user') + num('used_cpu_sys')) * 1e6
}

/**
 * `amount` requests. autocannon reports only whole seconds (its results wait for its 1-second tick), so req/s is
 * taken from its own 'response' events: requests ÷ the time from the start to the last answer.
 */
function load(port, amount, connections) {
  return new Promise((resolve, reject) => {
    let first = 0
    let last = 0
    const instance = autocannon(
      { url: `http://127.0.0.1:${port}/`, connections, pipelining: 1, amount },
      (err, r) => {
        if (err) return reject(err)
        const seconds = last > first ? (last - first) / 1000 : Math.max(0.001, r.duration)
        resolve({
          requests: r.requests.total,
          rps: r.requests.total / seconds,
          p99Ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        })
      },
    )
    first = performance.now()
    instance.on('response', () => {
      last = performance.now()
    })
  })
}

/** One measurement: `amount` requests, and what they cost the server (and redis-server when `admin` is given). */
async function measure(server, admin, amount, connections) {
  const cpu0 = await server.cpuUs()
  const redis0 = admin ? await redisCpuUs(admin) : null
  const m = await load(server.port, amount, connections)
  const cpu1 = await server.cpuUs()
  const redis1 = admin ? await redisCpuUs(admin) : null
  const n = Math.max(1, m.requests)
  return {
    ...m,
    cpuUs: (cpu1 - cpu0) / n,
    redisCpuUs: admin ? (redis1 - redis0) / n : null,
  }
}

const us = (v) =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : `${fmtNum(v, v < 100 ? 1 : 0)} µs`

/** The target rows: Bulwark's server CPU per request ÷ each peer's, per framework and store (≤ 1 is met). */
export function httpTargets(frameworks) {
  const targets = []
  for (const f of frameworks) {
    for (const store of ['memory', 'redis']) {
      const bw = f.rows.find((r) => r.role === 'bulwark' && r.store === store)
      for (const role of ['peer', 'rlf']) {
        const peer = f.rows.find((r) => r.role === role && r.store === store)
        const ok = bw?.available && peer?.available
        const ratio = ok ? bw.cpuUs / peer.cpuUs : null
        const pass = ok ? ratio <= 1 : null
        targets.push({
          name: `HTTP ${f.framework} (${store}): Bulwark server CPU / request ≤ ${role === 'peer' ? PEER[f.framework] : 'rate-limiter-flexible'}`,
          measured: ok ? `${us(bw.cpuUs)} ÷ ${us(peer.cpuUs)} = ${fmtNum(ratio)}` : 'not available',
          ratio,
          pass,
          mark: mark(pass),
        })
      }
    }
  }
  return targets
}

function storeTable(frameworks, store, settings, redisNote) {
  const rows = []
  const notes = []
  for (const f of frameworks) {
    const bare = f.rows.find((r) => r.role === 'bare')
    const bw = f.rows.find((r) => r.role === 'bulwark' && r.store === store)
    for (const r of f.rows.filter((x) => x.role === 'bare' || x.store === store)) {
      if (!r.available) {
        rows.push(
          store === 'redis'
            ? [f.framework, r.label, '–', '–', '–', '–', '–', '–', '–', 'not available']
            : [f.framework, r.label, '–', '–', '–', '–', '–', '–', 'not available'],
        )
        notes.push(`${f.framework} / ${r.label}: ${r.reason}`)
        continue
      }
      const refused = r.non2xx + r.errors > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors` : ''
      const vs = r.role === 'bare' || !bw?.available ? '' : fmtNum(bw.cpuUs / r.cpuUs)
      const d = r.cpuUs - bare.cpuUs
      const over = r.role === 'bare' ? '' : `${d < 0 ? '−' : '+'}${us(Math.abs(d))}`
      const common = [f.framework, r.label, us(r.cpuUs), over]
      const tail = [fmtInt(r.rps), `${fmtNum(r.p99Ms, 0)} ms`, fmtNum(r.ratio), vs, refused]
      rows.push(
        store === 'redis'
          ? [...common, r.role === 'bare' ? '' : us(r.redisCpuUs), ...tail]
          : [...common, ...tail],
      )
    }
  }
  const method = `${settings.requests.toLocaleString('en-US')} requests per measurement, ${settings.connections} connections, no pipelining, after ${settings.warmup.toLocaleString('en-US')} warm-up requests per server; ${settings.rounds} round(s), every variant of a framework once per round in rotated order (bare included); every figure is the median over rounds (every round is in results/latest.json).${settings.pinned ? ' Each server runs on CPU 1 and the load generator on CPU 0 (taskset), so they never share a core.' : ''}`
  const headers =
    store === 'redis'
      ? [
          'framework',
          'middleware',
          'server CPU / req',
          'over bare',
          'redis-server CPU / req',
          'req/s',
          'p99',
          'req/s ÷ bare',
          'Bulwark ÷ this (server CPU)',
          'refused',
        ]
      : [
          'framework',
          'middleware',
          'server CPU / req',
          'over bare',
          'req/s',
          'p99',
          'req/s ÷ bare',
          'Bulwark ÷ this (server CPU)',
          'refused',
        ]
  return {
    title:
      store === 'redis'
        ? '2b. HTTP with Redis: server and redis-server CPU per request (trivial JSON route, autocannon in another process)'
        : '2. HTTP with the memory store: server CPU per request (trivial JSON route, autocannon in another process)',
    headers,
    rows,
    notes: [
      'server CPU / req: the server process\'s own CPU time (process.cpuUsage(), user + system) over the measurement ÷ the requests it served; "over bare": minus the bare server\'s. "Bulwark ÷ this" below 1 means Bulwark costs the server less than that limiter (the targets).',
      ...(store === 'redis'
        ? [
            'redis-server CPU / req: used_cpu_user + used_cpu_sys of redis-server (INFO cpu, network I/O included) over the measurement ÷ requests.',
          ]
        : []),
      method,
      `All traffic comes from 127.0.0.1, one client, so every limiter allows ${HTTP_LIMIT.toLocaleString('en-US')} requests per ${WINDOW_MS} ms (Bulwark: the burst limit; every other default rule on). "refused" must stay empty.`,
      "Two cores are shared by autocannon, the server and (for Redis rows) redis-server: req/s is low and moves with the machine's load; CPU per request is the steadier figure.",
      ...(store === 'redis' ? [`Redis: ${redisNote}.`] : []),
      ...notes,
    ],
  }
}

export async function run({ profile, log = () => {}, progress = () => {} }) {
  const settings = {
    requests: pick(profile, { full: 20_000, quick: 2_000, smoke: 100 }),
    // Enough for V8 to finish compiling the hot paths: with 3,000, compile work fell into the first measured round
    // (counted with callgrind: after 2,000 requests about a third of the instructions were V8's optimizing compiler).
    warmup: pick(profile, { full: 20_000, quick: 2_000, smoke: 50 }),
    rounds: pick(profile, { full: 3, quick: 1, smoke: 1 }),
    connections: 10,
    frameworks: FRAMEWORKS,
  }
  // The load generator (autocannon, in this process) on CPU 0 and every server on CPU 1, so that they never share a
  // core: unpinned, a server's CPU per request swung by ±40 % between rounds on two cores (it ran on the load
  // generator's core in some rounds and not in others); pinned, by about ±3 %. redis-server is left unpinned.
  const ownCpus = cpuListOf(process.pid)
  const pinned = pinToCpu(process.pid, 0)
  settings.pinned = pinned
  try {
    return await measureAll(settings, log, progress)
  } finally {
    if (pinned && ownCpus !== null) {
      try {
        execFileSync('taskset', ['-pc', ownCpus, String(process.pid)], { stdio: 'ignore' })
      } catch {}
    }
  }
}

async function measureAll(settings, log, progress) {
  const redis = await startRedis()
  const redisNote = redis.error ?? redis.note
  log(`http: Redis: ${redisNote}`)
  const admin = redis.error ? null : await client(redis.url)
  // Start every server first, four at a time (21 forks at once overwhelm two busy cores), then measure one at a time.
  const jobs = settings.frameworks.flatMap((framework) =>
    variantsFor(framework).map(
      (v) => () =>
        v.store === 'redis' && redis.error
          ? { error: redis.error }
          : startServer(
              {
                framework,
                limiter: v.limiter,
                store: v.store === '-' ? 'memory' : v.store,
                redisUrl: redis.url,
                limit: HTTP_LIMIT,
                windowMs: WINDOW_MS,
              },
              { timeoutMs: 60_000, cpu: settings.pinned ? 1 : undefined },
            ),
    ),
  )
  const t0 = Date.now()
  const startedList = new Array(jobs.length)
  let next = 0
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < jobs.length) {
        const i = next++
        startedList[i] = await jobs[i]()
      }
    }),
  )
  const per = variantsFor('express').length
  const all = settings.frameworks.map((_, fi) => startedList.slice(fi * per, (fi + 1) * per))
  log(`http: ${jobs.length} servers started in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  const frameworks = []
  try {
    const plans = settings.frameworks.map((framework, fi) => {
      const rows = variantsFor(framework).map((v, i) => {
        const s = all[fi][i]
        if (s.error) return { ...v, available: false, reason: s.error }
        return { ...v, available: true, server: s, rounds: [] }
      })
      const bare = rows[0]
      if (!bare.available) throw new Error(`${framework} bare server: ${bare.reason}`)
      return { framework, rows, live: rows.filter((r) => r.available) }
    })
    // Warm-ups are not measured: every server of a framework at once.
    for (const p of plans) {
      progress({ label: `${p.framework}: warm-up` })
      await Promise.all(p.live.map((r) => load(r.server.port, settings.warmup, settings.connections)))
    }
    const total = settings.rounds * plans.reduce((n, p) => n + p.live.length, 0)
    let done = 0
    for (let round = 0; round < settings.rounds; round++) {
      for (const p of plans) {
        const order = p.live.map((_, i) => p.live[(i + round) % p.live.length])
        for (const r of order) {
          progress({
            done,
            total,
            round: round + 1,
            rounds: settings.rounds,
            label: `${p.framework}, ${r.store === '-' ? 'bare' : r.store}: ${r.label}`,
          })
          const m = await measure(
            r.server,
            r.store === 'redis' ? admin : null,
            settings.requests,
            settings.connections,
          )
          r.rounds.push({ round: round + 1, ...m })
          done++
        }
        const bareRound = p.rows[0].rounds.at(-1)
        for (const r of order) r.rounds.at(-1).ratio = r.rounds.at(-1).rps / bareRound.rps
        log(
          `http: ${p.framework} round ${round + 1}/${settings.rounds}: bare ${fmtInt(bareRound.rps)} req/s, ${us(bareRound.cpuUs)} CPU/req`,
        )
      }
    }
    progress({ done: total, total })
    for (const p of plans) {
      const rows = p.rows.map((r) => {
        const base = { key: r.key, label: r.label, limiter: r.limiter, store: r.store, role: r.role }
        if (!r.available) return { ...base, available: false, reason: r.reason }
        const m = (k) => median(r.rounds.map((x) => x[k]))
        return {
          ...base,
          available: true,
          requests: settings.requests,
          cpuUs: m('cpuUs'),
          redisCpuUs: r.store === 'redis' ? m('redisCpuUs') : null,
          rps: m('rps'),
          p99Ms: m('p99Ms'),
          ratio: m('ratio'),
          non2xx: r.rounds.reduce((n, x) => n + x.non2xx, 0),
          errors: r.rounds.reduce((n, x) => n + x.errors, 0),
          rounds: r.rounds,
        }
      })
      const bare = rows[0]
      for (const r of rows) if (r.available) r.cpuOverBareUs = r.cpuUs - bare.cpuUs
      frameworks.push({ framework: p.framework, rows })
    }
  } finally {
    admin?.disconnect()
    await Promise.all(all.flat().map((s) => s.stop?.()))
    await redis.stop?.()
  }

  return {
    available: true,
    settings: { ...settings, limit: HTTP_LIMIT, windowMs: WINDOW_MS, redis: redisNote },
    frameworks,
    targets: httpTargets(frameworks),
    tables: [
      storeTable(frameworks, 'memory', settings, redisNote),
      storeTable(frameworks, 'redis', settings, redisNote),
    ],
  }
}
