// 1. Engine cost: decisions per second and p50/p99 latency per call, memory stores, on a hot/cold key mix of
// 200 client IPs (10 hot ones take 20 % of the traffic), Bulwark against each peer's nearest single-limit call.
// Also the cost of answering an already banned (over-limit) client.
import { performance } from 'node:perf_hooks'
import { fmtNs, fmtNum, fmtOps, gc, mark, median, percentile, pick, rng } from '../lib/common.mjs'
import { MEMORY_LIMITERS, memoryLimiter } from '../lib/limiters.mjs'
import { listSizeTable } from './engine-lists.mjs'

const CLIENTS = 200
const HOT = 10
const HOT_SHARE = 0.2
const MIX = 1 << 16
/** High enough that no client of the mix is ever limited (a hot IP gets 2 % of ≤ 3 M calls/s), and said so. */
export const MIX_LIMIT = 100_000
const WINDOW_MS = 1000

export function trafficMix(seed = 7) {
  const ips = []
  for (let i = 0; i < CLIENTS; i++) ips.push(`198.51.${100 + (i >> 8)}.${i & 255}`)
  const r = rng(seed)
  const mix = new Uint16Array(MIX)
  for (let i = 0; i < MIX; i++) {
    mix[i] = r() < HOT_SHARE ? Math.floor(r() * HOT) : HOT + Math.floor(r() * (CLIENTS - HOT))
  }
  return { ips, mix }
}

async function throughput(decide, ips, mix, ms) {
  const mask = mix.length - 1
  let i = 0
  let n = 0
  const t0 = performance.now()
  const end = t0 + ms
  do {
    for (let k = 0; k < 2048; k++) {
      // Await only what is a promise: Bulwark's decide() answers synchronously from the memory store.
      const r = decide(ips[mix[i++ & mask]])
      if (r instanceof Promise) await r
    }
    n += 2048
  } while (performance.now() < end)
  return n / ((performance.now() - t0) / 1000)
}

async function latency(decide, ips, mix, count) {
  const mask = mix.length - 1
  const samples = new Float64Array(count)
  let denied = 0
  for (let k = 0; k < count; k++) {
    const ip = ips[mix[k & mask]]
    const t = process.hrtime.bigint()
    let ok = decide(ip)
    if (ok instanceof Promise) ok = await ok
    samples[k] = Number(process.hrtime.bigint() - t)
    if (ok !== true) denied++
  }
  samples.sort()
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), denied }
}

/** Runs every variant `rounds` times, rotating the order each round, and keeps the medians. */
async function interleaved(variants, ips, mix, { rounds, ms, samples, progress = () => {}, phase = '' }) {
  const acc = new Map(variants.map((v) => [v.name, { ops: [], p50: [], p99: [], denied: 0 }]))
  for (const v of variants) await throughput(v.decide, v.ips ?? ips, v.mix ?? mix, Math.min(300, ms)) // JIT warm-up
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length])
    for (const [k, v] of order.entries()) {
      progress({
        round: r + 1,
        rounds,
        label: `${phase}${v.name}`,
        done: r * order.length + k,
        total: rounds * order.length,
      })
      gc()
      // Steady state: every limiter gets the same traffic just before it is measured (Bulwark's burst rule keeps a
      // ring per busy client that it drops when the client calms down, which it does while the others run).
      await throughput(v.decide, v.ips ?? ips, v.mix ?? mix, Math.min(300, ms / 2))
      const a = acc.get(v.name)
      a.ops.push(await throughput(v.decide, v.ips ?? ips, v.mix ?? mix, ms))
      const l = await latency(v.decide, v.ips ?? ips, v.mix ?? mix, samples)
      a.p50.push(l.p50)
      a.p99.push(l.p99)
      a.denied += l.denied
    }
  }
  return variants.map((v) => {
    const a = acc.get(v.name)
    return {
      name: v.name,
      rules: v.rules,
      opsPerSec: median(a.ops),
      p50Ns: median(a.p50),
      p99Ns: median(a.p99),
      deniedInSamples: a.denied,
      rounds: a.ops.length,
    }
  })
}

/** Issue 14's engine targets, as ratios against the peers of the same run: decide() vs @fastify/rate-limit's
 * LocalStore, inspect() vs rate-limiter-flexible's consume (≥ 1 is met). */
export function peerTargets(rows) {
  const find = (name) => rows.find((r) => r.name === name)
  const pairs = [
    [
      'bulwark decide() (all rules)',
      '@fastify/rate-limit',
      'Engine: decide() (all rules) ≥ @fastify/rate-limit LocalStore decisions/s',
    ],
    [
      'bulwark (all rules)',
      'rate-limiter-flexible',
      "Engine: inspect() (all rules) ≥ rate-limiter-flexible's consume decisions/s",
    ],
  ]
  return pairs.map(([a, b, name]) => {
    const x = find(a)
    const y = find(b)
    const ratio = x && y ? x.opsPerSec / y.opsPerSec : null
    return {
      name,
      measured:
        ratio === null
          ? 'not available'
          : `${fmtOps(x.opsPerSec)}/s ÷ ${fmtOps(y.opsPerSec)}/s = ${fmtNum(ratio)}`,
      ratio,
      pass: ratio === null ? null : ratio >= 1,
    }
  })
}

export async function run({ profile, log = () => {}, progress = () => {} }) {
  const settings = {
    rounds: pick(profile, { full: 5, quick: 2, smoke: 1 }),
    ms: pick(profile, { full: 1000, quick: 150, smoke: 30 }),
    samples: pick(profile, { full: 100_000, quick: 10_000, smoke: 2_000 }),
  }
  const { ips, mix } = trafficMix()
  const notAvailable = []
  const allowed = [
    { name: 'baseline (await of an async no-op)', rules: '-', decide: async (ip) => ip.length > 0 },
  ]
  const add = async (list, name, rules, opts, label = name) => {
    try {
      const l = await memoryLimiter(name, opts)
      list.push({ name: label, rules, decide: l.decide, limiter: l })
    } catch (error) {
      notAvailable.push({ name: label, reason: String(error.message ?? error) })
    }
  }
  const mixOpts = { limit: MIX_LIMIT, windowMs: WINDOW_MS }
  await add(allowed, 'bulwark', 'all default rules', { ...mixOpts, rules: 'default' }, 'bulwark (all rules)')
  await add(allowed, 'bulwark', 'burst only', { ...mixOpts, rules: 'burst' }, 'bulwark (burst only)')
  await add(
    allowed,
    'bulwark-sync',
    'all default rules',
    { ...mixOpts, rules: 'default' },
    'bulwark decide() (all rules)',
  )
  for (const p of MEMORY_LIMITERS.slice(1)) await add(allowed, p, 'one limit', mixOpts)
  log(`engine: ${allowed.length} allowed-path variants, ${settings.rounds} rounds of ${settings.ms} ms`)
  const allowedRows = await interleaved(allowed, ips, mix, { ...settings, progress, phase: 'allowed: ' })

  // Banned or over-limit client: one IP, over its limit (Bulwark: banned with engine.ban()).
  const banned = [
    { name: 'baseline (await of an async no-op)', rules: '-', decide: async (ip) => ip.length > 0 },
  ]
  const bannedIp = '203.0.113.66'
  const one = { ips: [bannedIp], mix: new Uint16Array(1024) }
  const smallOpts = { limit: 5, windowMs: 3_600_000 }
  await add(
    banned,
    'bulwark',
    'all default rules, client banned',
    { ...smallOpts, rules: 'default' },
    'bulwark (banned)',
  )
  for (const p of MEMORY_LIMITERS.slice(1)) await add(banned, p, 'over the limit', smallOpts)
  for (const v of banned) {
    Object.assign(v, one)
    if (v.limiter?.engine) await v.limiter.engine.ban(bannedIp, { ttlMs: 3_600_000 })
    else for (let k = 0; k < 10; k++) await v.decide(bannedIp)
  }
  const bannedRows = await interleaved(banned, ips, mix, {
    ...settings,
    ms: Math.max(20, settings.ms / 2),
    samples: Math.max(1000, settings.samples / 4),
    progress,
    phase: 'banned: ',
  })
  for (const v of [...allowed, ...banned]) await v.limiter?.close?.()
  // Deny lists and whitelists of 0, 1,000 and 100,000 entries (issue 15).
  const lists = await listSizeTable({ profile, ips, limit: MIX_LIMIT, windowMs: WINDOW_MS })
  if (lists.error) notAvailable.push({ name: 'bulwark with lists', reason: lists.error })

  const find = (rows, prefix) => rows.find((r) => r.name.startsWith(prefix))
  const bw = find(allowedRows, 'bulwark (all rules)')
  const bwBurst = find(allowedRows, 'bulwark (burst only)')
  for (const r of allowedRows) {
    r.ratioVsBulwarkAllRules = bw ? bw.opsPerSec / r.opsPerSec : null
    r.ratioVsBulwarkBurstOnly = bwBurst ? bwBurst.opsPerSec / r.opsPerSec : null
  }
  const bwBan = find(bannedRows, 'bulwark')
  for (const r of bannedRows) r.ratioVsBulwark = bwBan ? bwBan.opsPerSec / r.opsPerSec : null
  const target = {
    name: 'Engine ≥ 2 M decisions/s (all rules, memory store)',
    measured: bw ? `${fmtOps(bw.opsPerSec)}/s` : 'not available',
    pass: bw ? bw.opsPerSec >= 2e6 : null,
  }
  const tables = [
    {
      title: '1. Engine cost per decision (memory stores, 200 IPs, 10 hot ones take 20 %)',
      headers: ['limiter', 'rules', 'decisions/s', 'p50', 'p99', 'Bulwark (all rules) ÷ this', 'denied'],
      rows: allowedRows.map((r) => [
        r.name,
        r.rules,
        fmtOps(r.opsPerSec),
        fmtNs(r.p50Ns),
        fmtNs(r.p99Ns),
        fmtNum(r.ratioVsBulwarkAllRules),
        r.deniedInSamples,
      ]),
      notes: [
        `Every limiter: limit ${MIX_LIMIT.toLocaleString('en-US')} per ${WINDOW_MS} ms, so no client of the mix is ever limited (denied must be 0). Latency is per awaited call, timer included; the baseline row is the floor (an awaited async no-op).`,
        'bulwark decide(): the synchronous entry point the adapters use (engine.decide answers without a promise when the store is the memory store); every other row awaits a promise per call.',
        `Median of ${settings.rounds} interleaved rounds of ${settings.ms} ms (order rotated each round), each after ${Math.min(300, settings.ms / 2)} ms of the same traffic; latency from ${settings.samples.toLocaleString('en-US')} timed calls per round.`,
        ...notAvailable.map((n) => `${n.name}: ${n.reason}`),
      ],
    },
    {
      title: '1b. Cost of answering a banned / over-limit client',
      headers: ['limiter', 'case', 'decisions/s', 'p50', 'p99', 'Bulwark ÷ this'],
      rows: bannedRows.map((r) => [
        r.name,
        r.rules,
        fmtOps(r.opsPerSec),
        fmtNs(r.p50Ns),
        fmtNs(r.p99Ns),
        fmtNum(r.ratioVsBulwark),
      ]),
      notes: [
        'Bulwark: the client was banned with engine.ban() (answered from the ban cache); peers: limit 5, client far over it.',
      ],
    },
  ]
  if (lists.table) tables.push(lists.table)
  return {
    available: bw !== undefined,
    settings: {
      ...settings,
      clients: CLIENTS,
      hot: HOT,
      hotShare: HOT_SHARE,
      limit: MIX_LIMIT,
      windowMs: WINDOW_MS,
      bannedLimit: smallOpts.limit,
    },
    allowed: allowedRows,
    banned: bannedRows,
    lists: lists.rows ?? [],
    notAvailable,
    targets: [target, ...peerTargets(allowedRows)].map((t) => ({ ...t, mark: mark(t.pass) })),
    tables,
  }
}
