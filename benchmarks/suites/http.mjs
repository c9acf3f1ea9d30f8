// 2. HTTP overhead: requests/s and p99 of a trivial route per framework, bare and with each limiter (memory and
// Redis). autocannon runs here; every server is a forked child process. Variants are measured in rotated order
// within each round, each right after its own measurement of the bare server; each variant is reported as the
// median over rounds of its rps divided by that bare rps.
import autocannon from 'autocannon'
import { fmtInt, fmtNum, mark, median, pick } from '../lib/common.mjs'
import { startRedis } from '../lib/redis.mjs'
import { startServer } from '../lib/servers.mjs'

/** Every request comes from 127.0.0.1: one client. Limits are raised so that it is never limited. */
export const HTTP_LIMIT = 1_000_000
const WINDOW_MS = 1000

const PEER = { express: 'express-rate-limit', fastify: '@fastify/rate-limit', koa: 'koa-ratelimit' }
const PEER_REDIS = {
  express: 'express-rate-limit + rate-limit-redis',
  fastify: '@fastify/rate-limit (redis)',
  koa: 'koa-ratelimit (redis driver)',
}
export const HTTP_TARGETS = {
  memory: { fastify: 0.95, koa: 0.93, express: 0.9 },
  redis: { fastify: 0.7, koa: 0.7, express: 0.85 },
}

function variantsFor(framework, withRlf) {
  const v = [
    { key: 'bulwark-memory', label: 'Bulwark (memory)', limiter: 'bulwark', store: 'memory' },
    { key: 'peer-memory', label: PEER[framework], limiter: 'peer', store: 'memory' },
    { key: 'bulwark-redis', label: 'Bulwark (Redis)', limiter: 'bulwark', store: 'redis' },
    { key: 'peer-redis', label: PEER_REDIS[framework], limiter: 'peer', store: 'redis' },
  ]
  if (withRlf) {
    v.push({
      key: 'rlf-memory',
      label: 'rate-limiter-flexible (memory)',
      limiter: 'rate-limiter-flexible',
      store: 'memory',
    })
    v.push({
      key: 'rlf-redis',
      label: 'rate-limiter-flexible (Redis)',
      limiter: 'rate-limiter-flexible',
      store: 'redis',
    })
  }
  return v
}

/** `length`: `{ seconds }` (autocannon rounds up to whole seconds) or `{ amount }` requests. */
function load(port, length, connections) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections, pipelining: 1, ...length }, (err, r) => {
      if (err) reject(err)
      else
        resolve({
          rps: r.requests.total / Math.max(0.001, r.duration),
          p99Ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors + r.timeouts,
        })
    })
  })
}

export async function run({ profile, log = () => {} }) {
  const settings = {
    measure: pick(profile, { full: { duration: 1 }, quick: { duration: 1 }, smoke: { amount: 300 } }),
    warmup: pick(profile, { full: { amount: 3000 }, quick: { amount: 1000 }, smoke: { amount: 100 } }),
    rounds: pick(profile, { full: 5, quick: 1, smoke: 1 }),
    connections: 10,
    withRlf: profile === 'full',
    parallel: profile === 'smoke',
    paired: profile === 'full',
    frameworks: ['express', 'fastify', 'koa'],
  }
  const redis = await startRedis()
  const redisNote = redis.error ?? redis.note
  log(`http: Redis: ${redisNote}`)
  const frameworks = []
  // Start every server first (the forks load in parallel, before anything is measured), then measure one at a time.
  const startAll = (framework) => {
    const variants = variantsFor(framework, settings.withRlf)
    return Promise.all([
      startServer({ framework, limiter: 'none' }),
      ...variants.map((v) =>
        v.store === 'redis' && redis.error
          ? { error: redis.error }
          : startServer({
              framework,
              limiter: v.limiter,
              store: v.store,
              redisUrl: redis.url,
              limit: HTTP_LIMIT,
              windowMs: WINDOW_MS,
            }),
      ),
    ])
  }
  const t0 = Date.now()
  const all = await Promise.all(settings.frameworks.map(startAll))
  log(`http: ${all.flat().length} servers started in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  try {
    for (const [fi, framework] of settings.frameworks.entries()) {
      const variants = variantsFor(framework, settings.withRlf)
      const servers = new Map()
      const [bare, ...started] = all[fi]
      if (bare.error) throw new Error(`${framework} bare server: ${bare.error}`)
      servers.set('bare', bare)
      const rows = variants.map((v, i) => {
        const s = started[i]
        if (s.error) return { ...v, available: false, reason: s.error }
        servers.set(v.key, s)
        return { ...v, available: true, rps: [], p99: [], ratios: [], non2xx: 0, errors: 0 }
      })
      const live = rows.filter((r) => r.available)
      if (!settings.parallel) {
        // Warm-ups are not measured: every server of the framework at once.
        await Promise.all(
          ['bare', ...live.map((r) => r.key)].map((key) =>
            load(servers.get(key).port, settings.warmup, settings.connections),
          ),
        )
      }
      const bareRps = []
      const bareP99 = []
      for (let round = 0; round < settings.rounds; round++) {
        const order = live.map((_, i) => live[(i + round) % live.length])
        // Pairs: each variant right after its own bare measurement, so slow drifts in machine load cancel.
        const pairs = []
        if (settings.parallel) {
          // Smoke runs check that the machinery works, not speed: every load at once (autocannon takes ≥ 1 s each).
          const all = await Promise.all(
            ['bare', ...order.map((r) => r.key)].map((k) =>
              load(servers.get(k).port, settings.measure, settings.connections),
            ),
          )
          for (const [i, r] of order.entries()) pairs.push([r, all[0], all[i + 1]])
        } else {
          // Quick runs measure the bare server once per round and every variant after it.
          let b = settings.paired ? null : await load(bare.port, settings.measure, settings.connections)
          for (const r of order) {
            if (settings.paired) b = await load(bare.port, settings.measure, settings.connections)
            pairs.push([r, b, await load(servers.get(r.key).port, settings.measure, settings.connections)])
          }
        }
        for (const [r, b, m] of pairs) {
          bareRps.push(b.rps)
          bareP99.push(b.p99Ms)
          r.rps.push(m.rps)
          r.p99.push(m.p99Ms)
          r.ratios.push(m.rps / b.rps)
          r.non2xx += m.non2xx
          r.errors += m.errors
        }
        const base = median(pairs.map((p) => p[1].rps))
        log(`http: ${framework} round ${round + 1}/${settings.rounds}: bare ${fmtInt(base)} rps`)
      }
      const out = [
        {
          key: 'bare',
          label: 'no middleware',
          limiter: 'none',
          store: '-',
          available: true,
          rps: median(bareRps),
          p99Ms: median(bareP99),
          ratio: 1,
          non2xx: 0,
          errors: 0,
        },
      ]
      for (const r of rows) {
        if (!r.available) {
          out.push({
            key: r.key,
            label: r.label,
            limiter: r.limiter,
            store: r.store,
            available: false,
            reason: r.reason,
          })
          continue
        }
        const row = {
          key: r.key,
          label: r.label,
          limiter: r.limiter,
          store: r.store,
          available: true,
          rps: median(r.rps),
          p99Ms: median(r.p99),
          ratio: median(r.ratios),
          non2xx: r.non2xx,
          errors: r.errors,
        }
        if (r.limiter === 'bulwark') {
          row.target = HTTP_TARGETS[r.store][framework]
          row.pass = row.ratio >= row.target
        }
        out.push(row)
      }
      frameworks.push({ framework, rows: out })
    }
  } finally {
    await Promise.all(all.flat().map((s) => s.stop?.()))
    await redis.stop?.()
  }

  const targets = []
  for (const f of frameworks) {
    for (const store of ['memory', 'redis']) {
      const r = f.rows.find((x) => x.key === `bulwark-${store}`)
      const t = HTTP_TARGETS[store][f.framework]
      targets.push({
        name: `HTTP ${f.framework} + Bulwark (${store}) ÷ bare ≥ ${t}`,
        measured: r?.available ? fmtNum(r.ratio) : 'not available',
        pass: r?.available ? r.ratio >= t : null,
        mark: mark(r?.available ? r.ratio >= t : null),
      })
    }
  }
  const tableRows = []
  const notes = []
  for (const f of frameworks) {
    for (const r of f.rows) {
      if (!r.available) {
        tableRows.push([f.framework, r.label, '–', '–', '–', 'not available', ''])
        notes.push(`${f.framework} / ${r.label}: ${r.reason}`)
        continue
      }
      tableRows.push([
        f.framework,
        r.label,
        fmtInt(r.rps),
        `${fmtNum(r.p99Ms, 0)} ms`,
        fmtNum(r.ratio),
        r.target === undefined ? '' : `≥ ${r.target} ${mark(r.pass)}`,
        r.non2xx + r.errors > 0 ? `${r.non2xx} non-2xx, ${r.errors} errors` : '',
      ])
    }
  }
  return {
    available: true,
    settings: { ...settings, limit: HTTP_LIMIT, windowMs: WINDOW_MS, redis: redisNote },
    frameworks,
    targets,
    tables: [
      {
        title: '2. HTTP overhead (trivial JSON route, autocannon in another process)',
        headers: ['framework', 'middleware', 'req/s', 'p99', '÷ bare', 'target', 'refused'],
        rows: tableRows,
        notes: [
          `autocannon: ${settings.connections} connections, no pipelining, ${settings.measure.duration ? `${settings.measure.duration} s` : `${settings.measure.amount} requests`} per measurement after ${settings.warmup.amount} warm-up requests per server (sent to all servers of a framework at once); ${settings.rounds} round(s), variants in rotated order, ${settings.paired ? 'each measured right after its own bare-server measurement' : 'after one bare-server measurement per round'}; "÷ bare" is the median over rounds of (variant rps ÷ the bare rps just before it); req/s and p99 are medians.`,
          `All traffic comes from 127.0.0.1, one client, so every limiter allows ${HTTP_LIMIT.toLocaleString('en-US')} requests per ${WINDOW_MS} ms (Bulwark: the burst limit; every other default rule on). "refused" must stay empty.`,
          'Two cores are shared by autocannon, the server and (for Redis rows) redis-server: absolute req/s are low and the ratios are what to read.',
          `Redis: ${redisNote}.`,
          ...notes,
        ],
      },
    ],
  }
}
