// 3b. What one decision costs with a Redis store, split between the app (Node CPU of this process) and Redis (the
// redis-server's own CPU, from INFO cpu), library level: each limiter's per-request store call, 10 in flight, no
// HTTP. Two traffic shapes: one client (as in the HTTP suite, where concurrent requests share a subject) and the
// engine suite's 200-client hot/cold mix. Every limiter gets its own ioredis client (auto-pipelining on).
import { fmtInt, fmtNum, median, pick } from '../lib/common.mjs'
import { REDIS_LIMITERS, redisLimiter } from '../lib/limiters.mjs'
import { client, commandStats, redisUnavailable, startRedis, statsDelta } from '../lib/redis.mjs'
import { trafficMix } from './engine.mjs'

const IN_FLIGHT = 10
const LIMIT = 1_000_000_000

async function redisCpuSeconds(c) {
  const text = await c.info('cpu')
  const num = (k) => Number(text.match(new RegExp(`${k}:([\\d.]+)`))?.[1] ?? 0)
  return num('used_cpu_user') + num('used_cpu_sys')
}

/** Commands Redis executed between two `commandStats` readings (its own INFO and PING left out). */
const executed = (before, after) => [...statsDelta(before, after).values()].reduce((a, b) => a + b, 0)

/** `ms` of decisions with IN_FLIGHT loops; returns how many were made and what they cost. */
async function measure(l, admin, nextIp, ms) {
  const cpu0 = process.cpuUsage()
  const redis0 = await redisCpuSeconds(admin)
  const stats0 = await commandStats(admin)
  const t0 = performance.now()
  const end = t0 + ms
  let n = 0
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        await l.decide(nextIp())
        n++
      }
    }),
  )
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const redisCpu = (await redisCpuSeconds(admin)) - redis0
  const calls = executed(stats0, await commandStats(admin))
  return {
    perSec: n / seconds,
    nodeUs: (cpu.user + cpu.system) / n,
    redisUs: (redisCpu * 1e6) / n,
    commands: calls / n,
  }
}

/** The fixed-window peers of table 3b (koa-ratelimit keeps a sorted-set log, so it is not one of them). */
const FIXED_WINDOW = ['rate-limiter-flexible', 'express-rate-limit + rate-limit-redis', '@fastify/rate-limit']

/** Issue 14: Bulwark's redis-server CPU per decision ≤ every fixed-window peer's, per traffic shape. */
export function redisCpuTargets(rows) {
  const shapes = [...new Set(rows.map((r) => r.shape))]
  return shapes.map((shape) => {
    const of = rows.filter((r) => r.shape === shape && r.available)
    const bw = of.find((r) => r.name === 'bulwark')
    const peers = of.filter((r) => FIXED_WINDOW.includes(r.name))
    const best = peers.length ? Math.min(...peers.map((r) => r.redisUs)) : null
    const pass = bw && best !== null ? bw.redisUs <= best : null
    return {
      name: `Redis CPU / decision (${shape}): Bulwark ≤ the fixed-window peers'`,
      measured:
        pass === null
          ? 'not available'
          : `${fmtNum(bw.redisUs, 1)} µs against ${peers.map((r) => `${fmtNum(r.redisUs, 1)}`).join(' / ')} µs`,
      ratio: pass === null ? null : bw.redisUs / best,
      pass,
      mark: pass === null ? '–' : pass ? '✓' : '✗',
    }
  })
}

export async function run({ profile, log = () => {}, progress = () => {} }) {
  const ms = pick(profile, { full: 2000, quick: 500, smoke: 100 })
  const warmMs = pick(profile, { full: 300, quick: 200, smoke: 50 })
  const rounds = pick(profile, { full: 3, quick: 1, smoke: 1 })
  const redis = await startRedis()
  if (redis.error) return redisUnavailable('redis-cost', '3b. Cost per decision with Redis', redis.error, log)
  const { ips, mix } = trafficMix()
  const shapes = [
    { name: 'one client', next: () => () => '10.0.0.1' },
    {
      name: '200 clients (hot/cold mix)',
      next: () => {
        let i = 0
        return () => ips[mix[i++ & (mix.length - 1)]]
      },
    },
  ]
  const admin = await client(redis.url)
  const rows = []
  try {
    for (const shape of shapes) {
      const limiters = []
      for (const name of REDIS_LIMITERS) {
        const c = await client(redis.url, { enableAutoPipelining: true })
        try {
          limiters.push({
            name,
            c,
            l: await redisLimiter(name, c, { limit: LIMIT, windowMs: 1000 }),
            runs: [],
          })
        } catch (error) {
          c.disconnect()
          rows.push({ shape: shape.name, name, available: false, reason: String(error?.message ?? error) })
        }
      }
      for (let round = 0; round < rounds; round++) {
        // Rotated order, so slow drifts in machine load do not favour one limiter.
        for (let k = 0; k < limiters.length; k++) {
          const x = limiters[(k + round) % limiters.length]
          const at = shapes.indexOf(shape) * rounds * limiters.length + round * limiters.length + k
          progress({
            round: round + 1,
            rounds,
            label: `${shape.name} / ${x.name}`,
            done: at,
            total: shapes.length * rounds * limiters.length,
          })
          await measure(x.l, admin, shape.next(), warmMs)
          x.runs.push(await measure(x.l, admin, shape.next(), ms))
        }
      }
      for (const x of limiters) {
        const m = (key) => median(x.runs.map((r) => r[key]))
        rows.push({
          shape: shape.name,
          name: x.name,
          available: true,
          perSec: m('perSec'),
          nodeUs: m('nodeUs'),
          redisUs: m('redisUs'),
          commands: m('commands'),
        })
        await x.l.close?.()
        x.c.disconnect()
      }
      log(`redis-cost: ${shape.name} done`)
    }
  } finally {
    admin.disconnect()
    await redis.stop()
  }
  return {
    available: true,
    redis: redis.note,
    rows,
    targets: redisCpuTargets(rows),
    tables: [
      {
        title: '3b. Cost per decision with Redis (library level, no HTTP)',
        headers: [
          'traffic',
          'limiter',
          'decisions/s',
          'Node CPU / decision',
          'Redis CPU / decision',
          'commands',
        ],
        rows: rows.map((r) =>
          r.available
            ? [
                r.shape,
                r.name,
                fmtInt(r.perSec),
                `${fmtNum(r.nodeUs, 1)} µs`,
                `${fmtNum(r.redisUs, 1)} µs`,
                fmtNum(r.commands, 2),
              ]
            : [r.shape, r.name, '–', '–', '–', `not available: ${r.reason}`],
        ),
        notes: [
          `${IN_FLIGHT} decisions in flight, limit ${fmtInt(LIMIT)} per second (never refused); median of ${rounds} round(s) of ${ms} ms, limiters in rotated order, each after ${warmMs} ms of warm-up.`,
          'Node CPU: process.cpuUsage() of the benchmark process per decision (the limiter, ioredis and the loop). Redis CPU: used_cpu_user + used_cpu_sys of redis-server (INFO cpu) per decision, network I/O included. commands: every command Redis executed per decision (INFO commandstats, commands inside scripts included).',
          'Bulwark runs every default rule; the peers one limit. With one client, concurrent decisions of one event-loop turn share one Bulwark script call.',
          `Redis: ${redis.note}.`,
        ],
      },
    ],
  }
}
