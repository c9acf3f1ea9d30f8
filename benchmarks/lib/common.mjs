// Shared helpers: options, optional imports, statistics, tables, machine description.
import { execFileSync } from 'node:child_process'
import os from 'node:os'

/** The three run sizes. `smoke` is for the test suite: tiny, checks that everything runs, measures nothing. */
export const PROFILES = ['full', 'quick', 'smoke']

export function profileFromArgv(argv = process.argv.slice(2)) {
  if (argv.includes('--smoke')) return 'smoke'
  if (argv.includes('--quick')) return 'quick'
  return 'full'
}

/** Pick the value for the current profile: `pick(profile, { full, quick, smoke })`. */
export function pick(profile, values) {
  return values[profile] ?? values.quick ?? values.full
}

/**
 * Import a package that may be missing (not installed, or not built yet). Returns `{ mod }` or
 * `{ error: 'not available: …' }`, never throws.
 */
export async function optionalImport(name) {
  try {
    const mod = await import(name)
    return { mod }
  } catch (error) {
    const code = error?.code ? `${error.code}: ` : ''
    return {
      error: `not available (${code}${String(error?.message ?? error)
        .split('\n')[0]
        .slice(0, 200)})`,
    }
  }
}

/** Find an export by any of several names, or the default export. */
export function exportOf(mod, ...names) {
  for (const n of names) if (mod?.[n] !== undefined) return mod[n]
  return mod?.default
}

export function median(values) {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Percentile of an already sorted numeric array (nearest rank). */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]
}

/** Deterministic PRNG (mulberry32) so every run replays the same traffic mix. */
export function rng(seed = 42) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

export function gc() {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc()
    globalThis.gc()
  }
}

// ------------------------------------------------------------------ formatting

export function fmtInt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–'
  return Math.round(n).toLocaleString('en-US')
}

export function fmtNum(n, digits = 2) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–'
  return Number(n).toFixed(digits)
}

export function fmtOps(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '–'
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`
  return n.toFixed(0)
}

export function fmtNs(ns) {
  if (ns === null || ns === undefined || Number.isNaN(ns)) return '–'
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`
  return `${Math.round(ns)} ns`
}

export function fmtBytes(b) {
  if (b === null || b === undefined || Number.isNaN(b)) return '–'
  const abs = Math.abs(b)
  if (abs >= 1024 ** 3) return `${(b / 1024 ** 3).toFixed(2)} GiB`
  if (abs >= 1024 ** 2) return `${(b / 1024 ** 2).toFixed(1)} MiB`
  if (abs >= 1024) return `${(b / 1024).toFixed(1)} KiB`
  return `${Math.round(b)} B`
}

export const mark = (ok) => (ok === null || ok === undefined ? '–' : ok ? '✓' : '✗')

/** A GitHub-flavoured markdown table. */
export function mdTable(headers, rows) {
  const esc = (c) => String(c ?? '').replace(/\|/g, '\\|')
  const lines = [`| ${headers.map(esc).join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`]
  for (const r of rows) lines.push(`| ${r.map(esc).join(' | ')} |`)
  return lines.join('\n')
}

/** A plain-text table for the terminal. */
export function textTable(headers, rows) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')))
  const widths = headers.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)))
  const line = (r) => r.map((c, i) => c + ' '.repeat(widths[i] - [...c].length)).join('  ')
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n')
}

// ------------------------------------------------------------------ machine

export function machineInfo() {
  const cpus = os.cpus()
  let redis = null
  try {
    redis = execFileSync('redis-server', ['--version'], { encoding: 'utf8', timeout: 2000 }).trim()
  } catch {
    redis = null
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    redisServer: redis,
  }
}

/** Versions of the packages compared, read from their package.json. */
export async function packageVersions(names) {
  const { readFileSync } = await import('node:fs')
  const out = {}
  for (const n of names) {
    out[n] = null
    for (const dir of ['../node_modules', '../../node_modules']) {
      try {
        out[n] = JSON.parse(
          readFileSync(new URL(`${dir}/${n}/package.json`, import.meta.url), 'utf8'),
        ).version
        break
      } catch {
        // try the next place
      }
    }
  }
  return out
}

/** The n-th client of a flood: `ipv4`, `ipv6-in-64` (1,000 addresses in each /64) or `ipv6-across-64` (one /64 each). */
export function floodAddress(scenario, i) {
  if (scenario === 'ipv4') return `${11 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.${(i * 7) & 255}`
  if (scenario === 'ipv6-in-64') {
    // 1,000 addresses rotating inside each /64, then the next /64.
    const p = Math.floor(i / 1000)
    return `2001:db8:${(p >>> 16).toString(16)}:${(p & 0xffff).toString(16)}::${((i % 1000) + 1).toString(16)}`
  }
  // Every address in its own /64.
  return `2001:db8:${(i >>> 16).toString(16)}:${(i & 0xffff).toString(16)}:${((i * 2654435761) >>> 16).toString(16)}::1`
}
