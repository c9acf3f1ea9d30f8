// 3. Redis round trips per HTTP request, for Bulwark and each Redis peer: allowed, banned (over the limit) and
// whitelisted clients. On a private redis-server: MONITOR counts the commands clients sent (round trips; commands
// run inside Lua scripts are excluded) and INFO commandstats deltas count every command the server executed.
import { fmtNum, mark, pick, sleep } from '../lib/common.mjs'
import { client, commandStats, redisUnavailable, startRedis, statsDelta } from '../lib/redis.mjs'
import { closeAgent, get, startServer } from '../lib/servers.mjs'

const LIMITERS = [
  { limiter: 'bulwark', label: () => 'Bulwark (RedisStore)' },
  {
    limiter: 'peer',
    label: (f) =>
      ({
        express: 'express-rate-limit + rate-limit-redis',
        fastify: '@fastify/rate-limit (redis)',
        koa: 'koa-ratelimit (redis driver)',
      })[f],
  },
  { limiter: 'rate-limiter-flexible', label: () => 'rate-limiter-flexible (RateLimiterRedis)' },
]
const BANNED_LIMIT = 3

function serverFor(redisUrl, framework, limiter, kase) {
  const config = { framework, limiter, store: 'redis', redisUrl, windowMs: 60_000 }
  if (kase === 'allowed') config.limit = 1_000_000
  if (kase === 'banned') config.limit = BANNED_LIMIT
  if (kase === 'whitelisted') {
    config.limit = 1_000_000
    config.whitelist = true
  }
  return startServer(config)
}

async function measure(redisUrl, s, requests) {
  if (s.error) return { available: false, reason: s.error }
  const stats = await client(redisUrl)
  const mon = await client(redisUrl)
  try {
    // Warm up (scripts loaded, caches filled); the banned case gets banned / over its limit here.
    const warm = []
    for (let i = 0; i < BANNED_LIMIT + 3; i++) warm.push(await get(s.port))
    await sleep(50)
    const monitor = await mon.monitor()
    let sent = 0
    const byName = new Map()
    monitor.on('monitor', (_time, args, source) => {
      if (source === 'lua' || String(args[0]).toLowerCase() === 'info') return
      sent++
      const n = String(args[0]).toLowerCase()
      byName.set(n, (byName.get(n) ?? 0) + 1)
    })
    await sleep(50)
    const before = await commandStats(stats)
    const statuses = new Map()
    for (let i = 0; i < requests; i++) {
      const code = await get(s.port)
      statuses.set(code, (statuses.get(code) ?? 0) + 1)
    }
    await sleep(100)
    const after = await commandStats(stats)
    monitor.disconnect()
    const delta = statsDelta(before, after, [
      'info',
      'monitor',
      'ping',
      'select',
      'client|setname',
      'client|setinfo',
    ])
    const executed = [...delta.values()].reduce((a, b) => a + b, 0)
    return {
      available: true,
      requests,
      statuses: Object.fromEntries(statuses),
      roundTripsPerRequest: sent / requests,
      clientCommands: Object.fromEntries([...byName].map(([k, v]) => [k, v / requests])),
      executedPerRequest: executed / requests,
      executed: Object.fromEntries([...delta].map(([k, v]) => [k, v / requests])),
    }
  } finally {
    stats.disconnect()
    mon.disconnect()
    await s.stop()
  }
}

export async function run({ profile, log = () => {}, progress = () => {} }) {
  const requests = pick(profile, { full: 200, quick: 50, smoke: 20 })
  const frameworks = profile === 'full' ? ['express', 'fastify', 'koa'] : ['express']
  const redis = await startRedis()
  if (redis.error)
    return redisUnavailable('redis-trips', '3. Redis round trips per request', redis.error, log)
  const rows = []
  const plan = []
  for (const l of LIMITERS) {
    for (const kase of ['allowed', 'banned', 'whitelisted']) {
      if (l.limiter === 'rate-limiter-flexible' && kase === 'whitelisted') continue
      plan.push({ l, kase })
    }
  }
  const total = frameworks.length * plan.length
  try {
    for (const framework of frameworks) {
      // Servers start together; each is measured alone and stopped.
      const servers = await Promise.all(plan.map((p) => serverFor(redis.url, framework, p.l.limiter, p.kase)))
      for (let i = 0; i < plan.length; i++) {
        const { l, kase } = plan[i]
        progress({ label: `${framework}: ${l.label(framework)}, ${kase} client`, done: rows.length, total })
        const m = await measure(redis.url, servers[i], requests)
        rows.push({ framework, limiter: l.limiter, label: l.label(framework), case: kase, ...m })
      }
      log(`redis-trips: ${framework} done`)
    }
    progress({ done: total, total })
  } finally {
    closeAgent()
    await redis.stop()
  }
  const bw = (kase) => rows.filter((r) => r.limiter === 'bulwark' && r.case === kase && r.available)
  const check = (kase, want) => {
    const list = bw(kase)
    if (list.length === 0) return { measured: 'not available', pass: null }
    const worst = Math.max(...list.map((r) => r.roundTripsPerRequest))
    return {
      measured: `${fmtNum(worst)} per request (worst framework)`,
      pass: list.every(
        (r) => r.roundTripsPerRequest <= want + 1e-9 && (want === 0 || r.roundTripsPerRequest >= want - 1e-9),
      ),
    }
  }
  const targets = [
    { name: 'Bulwark: 1 Redis round trip per allowed request', ...check('allowed', 1) },
    { name: 'Bulwark: 0 Redis round trips for a banned client', ...check('banned', 0) },
    { name: 'Bulwark: 0 Redis round trips for a whitelisted client', ...check('whitelisted', 0) },
  ].map((t) => ({ ...t, mark: mark(t.pass) }))
  const top = (o) =>
    Object.entries(o ?? {})
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${fmtNum(v, 1)}`)
      .join(', ')
  return {
    available: true,
    redis: redis.note,
    rows,
    targets,
    tables: [
      {
        title: '3. Redis round trips per HTTP request',
        headers: [
          'framework',
          'limiter',
          'client',
          'round trips',
          'commands executed',
          'executed (per request)',
          'statuses',
        ],
        rows: rows.map((r) =>
          r.available
            ? [
                r.framework,
                r.label,
                r.case,
                fmtNum(r.roundTripsPerRequest),
                fmtNum(r.executedPerRequest),
                top(r.executed),
                Object.entries(r.statuses)
                  .map(([k, v]) => `${v}×${k}`)
                  .join(' '),
              ]
            : [r.framework, r.label, r.case, '–', '–', 'not available', ''],
        ),
        notes: [
          `${requests} sequential requests per row after ${BANNED_LIMIT + 3} warm-up requests. "round trips": commands clients sent (MONITOR, script-internal commands excluded); "commands executed": INFO commandstats delta, commands run inside Lua scripts included.`,
          `banned: limit ${BANNED_LIMIT} per 60 s, the client is over it (Bulwark: banned by its burst rule; peers: refused with 429). whitelisted: Bulwark whitelist, express-rate-limit skip(), @fastify/rate-limit allowList, koa-ratelimit whitelist(); rate-limiter-flexible has none.`,
          `Redis: ${redis.note}.`,
          ...rows
            .filter((r) => !r.available)
            .map((r) => `${r.framework} / ${r.label} / ${r.case}: ${r.reason}`),
        ],
      },
    ],
  }
}
