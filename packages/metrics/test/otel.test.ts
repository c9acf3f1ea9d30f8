import { EventEmitter } from 'node:events'
import { createBulwark } from '@bulwark/core'
import { createNotifier } from '@bulwark/notify'
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import { afterEach, describe, expect, test } from 'vitest'
import { bulwarkOtelMetrics, DEFAULT_LATENCY_BUCKETS, INSTRUMENTS } from '../src/otel.js'
import { attack, EXPECTED, setup } from './helpers/attack.js'
import { sorted } from './helpers/exposition.js'

/** A meter whose instruments the test reads with the SDK's in-memory exporter. */
function sdk() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const provider = new MeterProvider({ readers: [reader] })
  const meter = provider.getMeter('test')
  /** The metrics as exported now, by name. */
  const read = async (): Promise<Map<string, MetricData>> => {
    exporter.reset()
    await reader.forceFlush()
    const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    return new Map(metrics.map((m) => [m.descriptor.name, m]))
  }
  return { meter, read, close: () => provider.shutdown() }
}

/** `{ labels, value }` of a counter or gauge, sorted, as in the prom-client tests. */
function points(metric: MetricData | undefined): { labels: Record<string, unknown>; value: number }[] {
  if (metric === undefined) return []
  const list = (metric.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]).map((p) => ({
    labels: { ...p.attributes },
    value: p.value as number,
  }))
  return sorted(list as { labels: Record<string, string>; value: number }[])
}

const closers: (() => unknown)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

describe('bulwarkOtelMetrics()', () => {
  test('after the scripted attack, the instruments hold the same values as the prom-client scrape', async () => {
    const { engine, store, storeCalls } = setup()
    const otel = sdk()
    const metrics = bulwarkOtelMetrics(engine, { meter: otel.meter, store })
    closers.push(otel.close, () => engine.close(), metrics.close)
    await attack(engine)
    const read = await otel.read()

    const decisions = read.get('bulwark_decisions_total')
    expect(decisions?.dataPointType).toBe(DataPointType.SUM)
    expect(decisions?.descriptor).toMatchObject({
      description: INSTRUMENTS.decisions.help,
      unit: '{decision}',
    })
    expect(points(decisions)).toEqual(sorted(EXPECTED.decisions))
    expect(points(read.get('bulwark_bans_created_total'))).toEqual(sorted(EXPECTED.bansCreated))
    expect(read.get('bulwark_bans_active')?.dataPointType).toBe(DataPointType.GAUGE)
    expect(points(read.get('bulwark_bans_active'))).toEqual(sorted(EXPECTED.bansActive))
    expect(points(read.get('bulwark_suspicious_events_total'))).toEqual(EXPECTED.suspicious)
    expect(points(read.get('bulwark_diagnostics_total'))).toEqual(EXPECTED.diagnostics)
    expect(points(read.get('bulwark_store_degraded'))).toEqual([{ labels: {}, value: 0 }])
    expect(points(read.get('bulwark_store_fallback_seconds_total'))).toEqual([{ labels: {}, value: 0 }])

    const latency = read.get('bulwark_store_latency_seconds')
    expect(latency?.dataPointType).toBe(DataPointType.HISTOGRAM)
    expect(latency?.descriptor.unit).toBe('s')
    expect(storeCalls()).toBe(EXPECTED.storeCalls)
    const [point, ...others] = latency!.dataPoints as {
      attributes: Record<string, unknown>
      value: { count: number; sum?: number; buckets: { boundaries: number[]; counts: number[] } }
    }[]
    expect(others).toEqual([])
    expect(point!.attributes).toEqual({ store: 'memory', outcome: 'ok' })
    expect(point!.value.count).toBe(EXPECTED.storeCalls)
    expect(point!.value.buckets.boundaries).toEqual(DEFAULT_LATENCY_BUCKETS)
    expect(point!.value.buckets.counts.reduce((a, b) => a + b, 0)).toBe(EXPECTED.storeCalls)

    // every instrument has the name, description and unit of INSTRUMENTS
    expect([...read.keys()].sort()).toEqual([...metrics.names].sort())
    for (const spec of Object.values(INSTRUMENTS)) {
      const m = read.get(`bulwark_${spec.name}`)
      if (m === undefined) continue // the notifier's, without a notifier
      expect(m.descriptor).toMatchObject({ description: spec.help, unit: spec.unit })
    }
  })

  test('degraded store time, and the notifier, through observable instruments', async () => {
    const clock = { now: 1_000_000 }
    const engine = new EventEmitter() as EventEmitter & {
      options: { clock: () => number }
      storeState: string
    }
    engine.options = { clock: () => clock.now }
    engine.storeState = 'primary'
    const notifier = {
      stats: () => ({ channels: { slack: { queued: 4, dropped: 7 }, audit: { queued: 0, dropped: 0 } } }),
    }
    const otel = sdk()
    closers.push(
      otel.close,
      bulwarkOtelMetrics(engine, { meter: otel.meter, notifier, prefix: 'edge_' }).close,
    )
    engine.storeState = 'fallback'
    engine.emit('store', { type: 'store', state: 'degraded', at: clock.now })
    clock.now += 2500
    let read = await otel.read()
    expect(points(read.get('edge_store_degraded'))).toEqual([{ labels: {}, value: 1 }])
    expect(points(read.get('edge_store_fallback_seconds_total'))).toEqual([{ labels: {}, value: 2.5 }])
    expect(points(read.get('edge_notifier_queue_depth'))).toEqual([
      { labels: { channel: 'audit' }, value: 0 },
      { labels: { channel: 'slack' }, value: 4 },
    ])
    expect(read.get('edge_notifier_dropped_total')?.dataPointType).toBe(DataPointType.SUM)
    expect(points(read.get('edge_notifier_dropped_total'))).toEqual([
      { labels: { channel: 'audit' }, value: 0 },
      { labels: { channel: 'slack' }, value: 7 },
    ])
    // no listing method on this engine: no data points
    expect(points(read.get('edge_bans_active'))).toEqual([])
    engine.storeState = 'primary'
    engine.emit('store', { type: 'store', state: 'recovered', at: clock.now + 500 })
    clock.now += 60_000
    read = await otel.read()
    expect(points(read.get('edge_store_degraded'))).toEqual([{ labels: {}, value: 0 }])
    expect(points(read.get('edge_store_fallback_seconds_total'))).toEqual([{ labels: {}, value: 3 }])
  })

  test('with a real notifier', async () => {
    const { engine } = setup()
    const notifier = createNotifier({ channels: [{ name: 'audit', send: async () => {} }] })
    notifier.attach(engine)
    const otel = sdk()
    closers.push(
      otel.close,
      () => engine.close(),
      () => notifier.close(),
      bulwarkOtelMetrics(engine, { meter: otel.meter, notifier }).close,
    )
    await engine.ban('192.0.2.1')
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(notifier.stats().channels.audit).toMatchObject({ sent: 1, queued: 0 })
    const read = await otel.read()
    expect(points(read.get('bulwark_notifier_queue_depth'))).toEqual([
      { labels: { channel: 'audit' }, value: 0 },
    ])
    expect(points(read.get('bulwark_notifier_dropped_total'))).toEqual([
      { labels: { channel: 'audit' }, value: 0 },
    ])
    expect(points(read.get('bulwark_bans_created_total'))).toEqual([{ labels: { rule: 'manual' }, value: 1 }])
  })

  test('close() removes every listener and observable callback', async () => {
    const { engine, store } = setup()
    const events = ['decision', 'ban', 'block', 'suspicious', 'store', 'diagnostic', 'error'] as const
    const count = () => events.map((e) => engine.listenerCount(e))
    const before = count()
    const otel = sdk()
    const metrics = bulwarkOtelMetrics(engine, { meter: otel.meter, store })
    closers.push(otel.close, () => engine.close())
    expect(count()).not.toEqual(before)
    expect(engine.listenerCount('block')).toBe(0)
    await engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })
    metrics.close()
    metrics.close()
    expect(count()).toEqual(before)
    await engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })
    const read = await otel.read()
    // counters keep what they counted before close(); observables report nothing after it
    expect(points(read.get('bulwark_decisions_total'))).toEqual([
      { labels: { conclusion: 'allow', rule: 'none' }, value: 1 },
    ])
    const latency = read.get('bulwark_store_latency_seconds')!.dataPoints[0]!.value as { count: number }
    expect(latency.count).toBe(1)
    expect(points(read.get('bulwark_store_degraded'))).toEqual([])
  })

  test("uses the global meter provider when no meter is given, and refuses what isn't a meter", () => {
    const engine = createBulwark({ logger: false })
    closers.push(() => engine.close())
    const metrics = bulwarkOtelMetrics(engine) // the no-op global meter: fine
    closers.push(metrics.close)
    expect(metrics.names).toContain('bulwark_decisions_total')
    expect(() => bulwarkOtelMetrics(engine, { meter: {} as never })).toThrow(/options.meter/)
    expect(() => bulwarkOtelMetrics(undefined as never)).toThrow(/expected a Bulwark engine/)
  })
})
