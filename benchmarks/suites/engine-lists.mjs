// 1c. Engine cost with deny lists and whitelists of 0, 1,000 and 100,000 entries: decide() decisions/s on the same
// 200-IP mix (none of them listed, so every request still runs every rule after the lookups), and the cost of
// answering a listed client. Lookups are one hash probe per prefix length in use, so the rows should stay flat.
import { performance } from 'node:perf_hooks'
import { fmtNs, fmtOps, gc, median, optionalImport, percentile, pick } from '../lib/common.mjs'
import { bulwarkRules } from '../lib/limiters.mjs'

const HEADERS = { 'user-agent': 'bench/1.0' }

/** `n` distinct entries, half /24 networks in 10.0.0.0/8–, half single addresses in 100.64.0.0/10, none in the mix. */
export function listEntries(n) {
  const out = []
  for (let i = 0; i < n; i++) {
    const k = i >> 1
    out.push(
      i % 2 === 0
        ? `${10 + (k >>> 16)}.${(k >>> 8) & 255}.${k & 255}.0/24`
        : `100.${64 + ((k >>> 16) & 63)}.${(k >>> 8) & 255}.${k & 255}`,
    )
  }
  return out
}

/** `n` distinct IPv6 entries: half /64 networks in 2001:db8::/32, half single addresses in 2a00::/12 (spread). */
export function listEntries6(n) {
  const out = []
  for (let i = 0; i < n; i++) {
    const k = i >> 1
    const hex = (x) => (x & 0xffff).toString(16)
    out.push(
      i % 2 === 0
        ? `2001:db8:${hex(k >>> 16)}:${hex(k)}::/64`
        : `2a0${k & 7}:${hex(Math.imul(k, 7919))}:${hex(k >>> 16)}:${hex(k)}::${hex(k * 13 + 1)}`,
    )
  }
  return out
}

/** 200 IPv6 clients in no listed range: each pays the IPv6 lookup (two prefix lengths) and then every rule. */
const IPS6 = Array.from({ length: 200 }, (_, i) => `2001:db9:${i.toString(16)}::${(i * 7 + 1).toString(16)}`)

async function timed(decide, ips, ms, samples) {
  for (let w = 0, t = performance.now(); performance.now() - t < Math.min(200, ms); w++)
    decide(ips[w % ips.length])
  gc()
  let n = 0
  const t0 = performance.now()
  do {
    for (let k = 0; k < 1024; k++) decide(ips[(n + k) % ips.length])
    n += 1024
  } while (performance.now() - t0 < ms)
  const ops = n / ((performance.now() - t0) / 1000)
  const lat = new Float64Array(samples)
  for (let k = 0; k < samples; k++) {
    const t = process.hrtime.bigint()
    decide(ips[k % ips.length])
    lat[k] = Number(process.hrtime.bigint() - t)
  }
  lat.sort()
  return { ops, p50: percentile(lat, 50), p99: percentile(lat, 99) }
}

/**
 * Rows of decide() decisions/s by list size. `ips`: the allowed traffic (not listed). Returns `{ rows, table }`, or
 * `{ error }` when core cannot be loaded.
 */
export async function listSizeTable({ profile, ips, limit, windowMs }) {
  const r = await optionalImport('@bulwark/core')
  if (r.error) return { error: `@bulwark/core ${r.error}` }
  const { createBulwark, MemoryStore } = r.mod
  const rounds = pick(profile, { full: 5, quick: 2, smoke: 1 })
  const ms = pick(profile, { full: 700, quick: 120, smoke: 20 })
  const samples = pick(profile, { full: 50_000, quick: 5_000, smoke: 500 })
  const sizes = pick(profile, { full: [0, 1000, 100_000], quick: [0, 1000, 100_000], smoke: [0, 1000] })
  const variants = []
  for (const size of sizes) {
    variants.push({ kind: 'deny list', size, traffic: 'not listed', deny: size })
    if (size > 0) variants.push({ kind: 'whitelist', size, traffic: 'not listed', whitelist: size })
  }
  const biggest = sizes[sizes.length - 1]
  variants.push({
    kind: 'deny list',
    size: biggest,
    traffic: 'listed (refused)',
    deny: biggest,
    listed: true,
  })
  // IPv6 lists: the entries read by the hand-written IPv6 parser, kept in one hash map per prefix length.
  variants.push({
    kind: 'deny list (IPv6)',
    size: biggest,
    traffic: 'not listed (IPv6)',
    deny: biggest,
    v6: true,
  })
  variants.push({
    kind: 'deny list (IPv6)',
    size: biggest,
    traffic: 'listed (refused)',
    deny: biggest,
    v6: true,
    listed: true,
  })
  const rows = []
  for (const v of variants) {
    const entries = (v.v6 ? listEntries6 : listEntries)(v.deny ?? v.whitelist ?? 0)
    const loadStart = performance.now()
    const source = {
      name: 'bench-list',
      start: (sink) => void sink.replace(entries.map((target) => ({ target }))),
    }
    const engine = createBulwark({
      logger: false,
      store: new MemoryStore(),
      ...bulwarkRules('default', limit, windowMs),
      ...(v.deny ? { deny: [source] } : {}),
      ...(v.whitelist ? { whitelist: entries } : {}),
    })
    await engine.ready
    const loadMs = performance.now() - loadStart
    // A listed client: an address inside the last /24 (or /64) of the list.
    const traffic = v.listed
      ? [
          v.v6
            ? entries[entries.length - 2].replace('::/64', '::9')
            : entries[entries.length - 2].replace('.0/24', '.9'),
        ]
      : v.v6
        ? IPS6
        : ips
    const decide = (ip) => engine.decide({ ip, method: 'GET', path: '/api/items', headers: HEADERS })
    const runs = []
    for (let k = 0; k < rounds; k++) runs.push(await timed(decide, traffic, ms, samples))
    const sample = decide(traffic[0])
    await engine.close()
    rows.push({
      kind: v.kind,
      entries: v.deny ?? v.whitelist ?? 0,
      traffic: v.traffic,
      opsPerSec: median(runs.map((x) => x.ops)),
      p50Ns: median(runs.map((x) => x.p50)),
      p99Ns: median(runs.map((x) => x.p99)),
      conclusion: sample.conclusion,
      loadMs,
    })
  }
  const base = rows.find((x) => x.entries === 0)?.opsPerSec
  return {
    rows,
    table: {
      title:
        '1c. decide() with deny lists and whitelists of 0, 1,000 and 100,000 entries (memory store, all rules)',
      headers: ['list', 'entries', 'traffic', 'decisions/s', 'p50', 'p99', '÷ no list', 'load'],
      rows: rows.map((x) => [
        x.kind,
        x.entries.toLocaleString('en-US'),
        `${x.traffic} → ${x.conclusion}`,
        fmtOps(x.opsPerSec),
        fmtNs(x.p50Ns),
        fmtNs(x.p99Ns),
        base ? (x.opsPerSec / base).toFixed(2) : '–',
        `${Math.round(x.loadMs)} ms`,
      ]),
      notes: [
        'Entries: half /24 networks, half single addresses (two prefix lengths); the 200-IP mix is not listed, so each request pays the lookup and then every rule. A listed client is refused before any store work (rule deny).',
        'IPv6 rows: half /64 networks, half single addresses spread over 2a00::/12; 200 IPv6 clients not listed. Their load used to take about 4.5 s per 100,000 entries (ipaddr.js parsing and a Map per 32-bit word of each range); IPv6 text is now read by hand and each prefix length is one Map keyed by a hash of the masked words.',
        'Whitelist rows: the same entries given as `whitelist` (looked up first on every request). Before the prefix table the whitelist scanned its ranges: 89 µs per request at 5,000 CIDRs.',
        `Median of ${rounds} runs of ${ms} ms each after a warm-up; latency from ${samples.toLocaleString('en-US')} timed calls per run (timer included). load: building the engine with its list.`,
      ],
    },
  }
}
