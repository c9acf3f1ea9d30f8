// Smoke test: every benchmark suite still runs (tiny sizes) and writes well-formed results. Never checks speed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { redisAvailability } from '../lib/redis.mjs'
import { main, SUITES } from '../run.mjs'

const CI = process.env.CI === 'true'
const REDIS_SUITES = ['redis-trips', 'redis-cost']

let out
let dir
let redis
/** What the run printed: a pipe's view (not a TTY), so the plain progress format. */
const printed = {
  isTTY: false,
  text: '',
  write(s) {
    this.text += s
    return true
  },
}

function expectTable(t) {
  expect(typeof t.title).toBe('string')
  expect(Array.isArray(t.headers)).toBe(true)
  expect(Array.isArray(t.rows)).toBe(true)
  for (const row of t.rows) expect(row).toHaveLength(t.headers.length)
  for (const n of t.notes ?? []) expect(typeof n).toBe('string')
}

const finiteOrNull = (v) => v === null || Number.isFinite(v)

beforeAll(async () => {
  redis = await redisAvailability()
  if (!redis.ok) {
    if (CI) throw new Error(`Redis is required when CI=true but is unreachable: ${redis.reason}`)
    console.warn(
      `⚠️  REDIS UNREACHABLE (${redis.reason}): the Redis parts of the benchmark smoke test are skipped`,
    )
  }
  dir = mkdtempSync(join(os.tmpdir(), 'bulwark-bench-smoke-'))
  out = await main(['--smoke', `--out=${dir}`], { stream: printed })
}, 300_000) // about a minute alone; the margin is for CI, where turbo runs every package's tests at once

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
})

describe('benchmark smoke run', () => {
  it('writes latest.json and latest.md with the machine and every suite', () => {
    expect(existsSync(join(dir, 'latest.json'))).toBe(true)
    const json = JSON.parse(readFileSync(join(dir, 'latest.json'), 'utf8'))
    expect(json.schema).toBe(1)
    expect(json.profile).toBe('smoke')
    expect(json.machine.cores).toBeGreaterThan(0)
    expect(typeof json.machine.node).toBe('string')
    expect(Object.keys(json.suites).sort()).toEqual([...SUITES].sort())
    const md = readFileSync(join(dir, 'latest.md'), 'utf8')
    expect(md).toContain('Targets')
    expect(md).toContain('Machine:')
  })

  it.each(SUITES.filter((s) => !REDIS_SUITES.includes(s)))(
    'suite %s ran and has well-formed tables',
    (suite) => {
      const r = out.suites[suite]
      expect(r.error ?? null).toBeNull()
      expect(r.status).toBe('ok')
      for (const t of r.result.tables) expectTable(t)
      for (const t of r.result.targets) {
        expect(typeof t.name).toBe('string')
        expect([true, false, null]).toContain(t.pass)
      }
    },
  )

  it('engine rows carry numbers', () => {
    const e = out.suites.engine.result
    expect(e.allowed.length).toBeGreaterThan(0)
    for (const row of [...e.allowed, ...e.banned]) {
      expect(row.opsPerSec).toBeGreaterThan(0)
      expect(row.p50Ns).toBeGreaterThan(0)
      expect(row.p99Ns).toBeGreaterThanOrEqual(row.p50Ns)
      expect(finiteOrNull(row.ratioVsBulwarkAllRules ?? row.ratioVsBulwark ?? null)).toBe(true)
    }
    // Limits are set so that the hot/cold mix is never limited.
    for (const row of e.allowed) expect(row.deniedInSamples).toBe(0)
    // Deny lists and whitelists by size, IPv4 and IPv6 (the IPv6 rows: not listed, then listed and refused).
    expect(e.lists.filter((r) => r.kind === 'deny list (IPv6)').map((r) => r.conclusion)).toEqual([
      'allow',
      'block',
    ])
    for (const row of e.lists) expect(row.loadMs).toBeGreaterThan(0)
  })

  it('memory and accuracy rows are well-formed', () => {
    const m = out.suites.memory.result
    for (const r of m.heap) {
      if (r.error) continue
      expect(r.tracked === null || r.tracked >= 0).toBe(true)
      expect(Number.isFinite(r.heapDelta)).toBe(true)
    }
    const a = out.suites.accuracy.result
    for (const r of a.rows) {
      if (r.error) continue
      expect(r.allowed).toBeGreaterThanOrEqual(0)
      expect(r.expected).toBe(Math.min(r.sent, r.limit))
    }
    if (!redis.ok) return
    for (const r of m.redis) expect(r.error ?? null).toBeNull()
    expect(a.rows.some((r) => r.store === 'redis')).toBe(true)
  })

  it('http: both tables (memory, Redis) have server CPU per request beside req/s, every round kept', () => {
    const h = out.suites.http.result
    const [memory, redisTable] = h.tables
    expect(memory.headers.slice(0, 5)).toEqual([
      'framework',
      'middleware',
      'server CPU / req',
      'over bare',
      'req/s',
    ])
    expect(redisTable.headers.slice(0, 6)).toEqual([
      'framework',
      'middleware',
      'server CPU / req',
      'over bare',
      'redis-server CPU / req',
      'req/s',
    ])
    // 3 frameworks × (bare + Bulwark + usual limiter + rate-limiter-flexible) per table
    expect(memory.rows).toHaveLength(12)
    expect(redisTable.rows).toHaveLength(12)
    for (const row of memory.rows) if (row[2] !== '–') expect(row[2]).toMatch(/^\d+(\.\d)? µs$/)
    expect(h.frameworks.map((f) => f.framework)).toEqual(['express', 'fastify', 'koa'])
    for (const f of h.frameworks) {
      expect(f.rows[0].key).toBe('bare')
      expect(f.rows.map((r) => r.role)).toEqual(['bare', 'bulwark', 'peer', 'rlf', 'bulwark', 'peer', 'rlf'])
      for (const r of f.rows) {
        if (r.store === 'redis' && !redis.ok) continue
        expect(r.available).toBe(true)
        expect(r.cpuUs).toBeGreaterThan(0)
        expect(r.rps).toBeGreaterThan(0)
        expect(r.ratio).toBeGreaterThan(0)
        expect(r.rounds).toHaveLength(h.settings.rounds)
        for (const m of r.rounds) expect(m.requests).toBe(h.settings.requests)
        if (r.store === 'redis') expect(Number.isFinite(r.redisCpuUs)).toBe(true)
        else expect(r.redisCpuUs ?? null).toBeNull()
      }
    }
    // Targets: Bulwark ÷ the usual limiter and ÷ rate-limiter-flexible, per framework and store.
    const names = h.targets.map((t) => t.name)
    expect(names).toHaveLength(12)
    expect(names).toContain('HTTP fastify (memory): Bulwark server CPU / request ≤ @fastify/rate-limit')
    expect(names).toContain('HTTP koa (redis): Bulwark server CPU / request ≤ rate-limiter-flexible')
    for (const t of h.targets) {
      if (t.pass === null) continue
      expect(t.pass).toBe(t.ratio <= 1)
      expect(t.measured).toMatch(/ µs ÷ .* µs = \d+\.\d\d$/)
    }
  })

  it('prints its progress as plain lines in a pipe: suite, round, variant, count and the time left', () => {
    const text = printed.text
    expect(text).not.toMatch(/[\r\x1b]/)
    const lines = text.split('\n')
    expect(lines[0]).toMatch(/^Bulwark benchmarks — smoke run on .+ \(\d+ cores\), Node v\d+/)
    const progress = lines.filter((l) => l.startsWith('  … '))
    for (const l of progress)
      expect(l).toMatch(
        /^ {2}… [a-z-]+ \(suite [1-7]\/7\)( · round \d+\/\d+)?( · [^·]+)*? · (about (\d+ s|\d+ min( \d+ s)?) left|almost done)$/,
      )
    // Each suite: its heading, then where the run is and what is left, ..., then how it ended.
    SUITES.forEach((suite, i) => {
      const at = lines.indexOf(`▶ ${suite}`)
      expect(at, suite).toBeGreaterThan(0)
      expect(lines[at + 1]).toMatch(new RegExp(`^ {2}… ${suite} \\(suite ${i + 1}/7\\) · `))
      expect(lines.slice(at).find((l) => /^ {2}(ok|failed) in /.test(l))).toMatch(/^ {2}ok in \d+\.\d s$/)
    })
    // The variants being measured, with the round where a suite has rounds.
    const of = (suite) => progress.filter((l) => l.startsWith(`  … ${suite} (`))
    expect(
      of('engine').some((l) => / · round \d+\/\d+ · allowed: bulwark \(all rules\) · \d+\/\d+ · /.test(l)),
    ).toBe(true)
    expect(of('http').some((l) => / · round 1\/\d+ · express, memory: /.test(l))).toBe(true)
    expect(of('memory').some((l) => / · ipv4 \/ /.test(l))).toBe(true)
    expect(of('accuracy').some((l) => / · memory: Bulwark \(burst rule → ban\) · 0\/\d+ · /.test(l))).toBe(
      true,
    )
    if (redis.ok) {
      expect(
        of('redis-trips').some((l) =>
          / · express: Bulwark \(RedisStore\), banned client · \d+\/8 · /.test(l),
        ),
      ).toBe(true)
      expect(of('redis-cost').some((l) => / · round 1\/\d+ · one client \/ bulwark · /.test(l))).toBe(true)
    }
    expect(text).toMatch(/\nwrote .+latest\.json, latest\.md and http-cpu\.svg, engine\.svg, memory\.svg/)
  })

  it('writes the four charts next to latest.md', () => {
    for (const f of ['http-cpu.svg', 'engine.svg', 'memory.svg']) {
      expect(readFileSync(join(dir, f), 'utf8')).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    }
    expect(existsSync(join(dir, 'redis-commands.svg'))).toBe(redis.ok)
  })

  it('engine and Redis-cost targets are ratios against the peers', () => {
    const e = out.suites.engine.result.targets.map((t) => t.name)
    expect(e).toContain('Engine: decide() (all rules) ≥ @fastify/rate-limit LocalStore decisions/s')
    expect(e).toContain("Engine: inspect() (all rules) ≥ rate-limiter-flexible's consume decisions/s")
    if (!redis.ok) return
    const r = out.suites['redis-cost'].result.targets
    expect(r.map((t) => t.name)).toEqual([
      "Redis CPU / decision (one client): Bulwark ≤ the fixed-window peers'",
      "Redis CPU / decision (200 clients (hot/cold mix)): Bulwark ≤ the fixed-window peers'",
    ])
  })

  it('validators either report rows or say why not', () => {
    const v = out.suites.validators.result
    if (v.available) {
      for (const row of v.rows) {
        expect(typeof row.name).toBe('string')
        expect(row.opsPerSec).toBeGreaterThan(0)
      }
    } else expect(v.reason).toMatch(/not available/)
  })
})

describe('benchmark smoke run (Redis)', () => {
  it('redis-cost rows carry numbers for every limiter and both traffic shapes', () => {
    if (!redis.ok) return
    const rows = out.suites['redis-cost'].result.rows
    expect(new Set(rows.map((r) => r.shape)).size).toBe(2)
    for (const r of rows.filter((x) => x.available)) {
      expect(r.perSec).toBeGreaterThan(0)
      expect(r.nodeUs).toBeGreaterThan(0)
      expect(r.commands).toBeGreaterThan(0)
      expect(Number.isFinite(r.redisUs)).toBe(true)
    }
    expect(rows.find((r) => r.name === 'bulwark' && r.available)).toBeDefined()
  })

  it.each(REDIS_SUITES)('suite %s ran against Redis or said why not', (suite) => {
    if (!redis.ok) return
    const r = out.suites[suite]
    expect(r.error ?? null).toBeNull()
    expect(r.status).toBe('ok')
    for (const t of r.result.tables) expectTable(t)
  })
})
