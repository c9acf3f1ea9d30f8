import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as api from '../src/index.js'
import * as otel from '../src/otel.js'

test('the public API is exactly this (a change here is a change for users)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'DEFAULT_LATENCY_BUCKETS',
    'INSTRUMENTS',
    'bulwarkMetrics',
    'instrumentStore',
  ])
  expect(Object.keys(otel).sort()).toEqual([
    'DEFAULT_LATENCY_BUCKETS',
    'INSTRUMENTS',
    'bulwarkOtelMetrics',
    'instrumentStore',
  ])
})

test('the instruments and their defaults cannot be changed by accident', () => {
  expect(Object.isFrozen(api.INSTRUMENTS)).toBe(true)
  for (const spec of Object.values(api.INSTRUMENTS)) {
    expect(Object.isFrozen(spec)).toBe(true)
    expect(Object.isFrozen(spec.labels)).toBe(true)
  }
  expect(Object.isFrozen(api.DEFAULT_LATENCY_BUCKETS)).toBe(true)
  expect(
    Object.fromEntries(Object.entries(api.INSTRUMENTS).map(([k, s]) => [k, [s.type, s.name, ...s.labels]])),
  ).toEqual({
    decisions: ['counter', 'decisions_total', 'conclusion', 'rule'],
    bansCreated: ['counter', 'bans_created_total', 'rule'],
    bansActive: ['gauge', 'bans_active', 'rule'],
    storeDegraded: ['gauge', 'store_degraded'],
    storeFallbackSeconds: ['counter', 'store_fallback_seconds_total'],
    storeLatency: ['histogram', 'store_latency_seconds', 'store', 'outcome'],
    notifierQueueDepth: ['gauge', 'notifier_queue_depth', 'channel'],
    notifierDropped: ['counter', 'notifier_dropped_total', 'channel'],
    suspiciousEvents: ['counter', 'suspicious_events_total', 'kind'],
    diagnostics: ['counter', 'diagnostics_total', 'code'],
  })
  // both entry points share one definition
  expect(otel.INSTRUMENTS).toBe(api.INSTRUMENTS)
})

/** The local modules an entry point loads, and the packages they import. */
function packagesLoadedBy(entry: string): Set<string> {
  const seen = new Set<string>()
  const packages = new Set<string>()
  const visit = (file: string) => {
    if (seen.has(file)) return
    seen.add(file)
    const source = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8')
    // value imports and re-exports only: `import type` and `export type` load nothing
    for (const [, kind, from] of source.matchAll(/^(?:import|export)(\s+type)?\b[^'"]*?from\s+'([^']+)'/gm)) {
      if (kind) continue
      if (from!.startsWith('./')) visit(from!.slice(2).replace(/\.js$/, '.ts'))
      else packages.add(from!)
    }
  }
  visit(entry)
  return packages
}

test('prom-client users never load OpenTelemetry, and OpenTelemetry users never load prom-client', () => {
  expect([...packagesLoadedBy('index.ts')]).toEqual(['prom-client'])
  expect([...packagesLoadedBy('otel.ts')]).toEqual(['@opentelemetry/api'])
})

test('the package exports both entry points for ESM and CommonJS', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(Object.keys(pkg.exports)).toEqual(['.', './otel', './package.json'])
  expect(pkg.peerDependencies).toMatchObject({ 'prom-client': '^15.0.0', '@opentelemetry/api': '^1.7.0' })
  expect(pkg.peerDependenciesMeta).toEqual({ '@opentelemetry/api': { optional: true } })
  expect(pkg.engines).toEqual({ node: '>=20.18.1' })
})
