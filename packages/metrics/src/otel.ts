import {
  type Meter,
  type MetricOptions,
  metrics,
  type Observable,
  type ObservableCallback,
  ValueType,
} from '@opentelemetry/api'
import { EngineWatch, type MetricsEngine } from './engine.js'
import { INSTRUMENTS, type InstrumentKey } from './instruments.js'
import { type CollectorOptions, checkEngine, notifierChannels, resolveCollectorOptions } from './options.js'
import { timeStore } from './store.js'

export type { MetricsEngine } from './engine.js'
export type { InstrumentKey, InstrumentSpec } from './instruments.js'
export { DEFAULT_LATENCY_BUCKETS, INSTRUMENTS } from './instruments.js'
export type { CollectorOptions, NotifierStatsSource } from './options.js'
export { instrumentStore } from './store.js'

export interface OtelMetricsOptions extends CollectorOptions {
  /** The meter to create the instruments with. Default: `metrics.getMeter('@bulwark/metrics')` (the global provider). */
  meter?: Meter
}

export interface BulwarkOtelMetrics {
  /** The instrument names, e.g. `bulwark_decisions_total`. */
  readonly names: readonly string[]
  /**
   * Stops collecting: removes every listener from the engine, the store timer and the observable callbacks. The
   * meter keeps the instruments (OpenTelemetry cannot remove one); they stop changing. Safe to call twice.
   */
  close(): void
}

const FN = 'bulwarkOtelMetrics'

/**
 * The same instruments as `bulwarkMetrics()` (same names, descriptions and attributes), through an OpenTelemetry
 * meter: counters and a histogram updated as the engine decides, observable gauges and counters read at each
 * collection.
 */
export function bulwarkOtelMetrics(
  engine: MetricsEngine,
  options: OtelMetricsOptions = {},
): BulwarkOtelMetrics {
  checkEngine(FN, engine)
  const o = resolveCollectorOptions(FN, options)
  const meter = options.meter ?? metrics.getMeter('@bulwark/metrics')
  if (typeof meter?.createCounter !== 'function') {
    throw new TypeError(`${FN}: options.meter must be an OpenTelemetry Meter`)
  }
  const names: string[] = []
  const optionsOf = (key: InstrumentKey, valueType = ValueType.INT): [string, MetricOptions] => {
    const spec = INSTRUMENTS[key]
    const name = o.prefix + spec.name
    names.push(name)
    return [name, { description: spec.help, unit: spec.unit, valueType }]
  }
  const decisions = meter.createCounter(...optionsOf('decisions'))
  const bansCreated = meter.createCounter(...optionsOf('bansCreated'))
  const suspicious = meter.createCounter(...optionsOf('suspiciousEvents'))
  const diagnostics = meter.createCounter(...optionsOf('diagnostics'))
  const watch = new EngineWatch(
    engine,
    {
      decision: (conclusion, rule) => decisions.add(1, { conclusion, rule }),
      ban: (rule) => bansCreated.add(1, { rule }),
      suspicious: (kind) => suspicious.add(1, { kind }),
      diagnostic: (code) => diagnostics.add(1, { code }),
    },
    o.bansCacheMs,
  )
  const observed: [Observable, ObservableCallback][] = []
  const observe = (instrument: Observable, callback: ObservableCallback) => {
    instrument.addCallback(callback)
    observed.push([instrument, callback])
  }
  observe(meter.createObservableGauge(...optionsOf('bansActive')), async (result) => {
    const byRule = await watch.bansActive()
    if (byRule === null) return
    for (const rule of watch.banRules) result.observe(byRule.get(rule) ?? 0, { rule })
  })
  observe(meter.createObservableGauge(...optionsOf('storeDegraded')), (result) => {
    result.observe(watch.degraded() ? 1 : 0)
  })
  observe(meter.createObservableCounter(...optionsOf('storeFallbackSeconds', ValueType.DOUBLE)), (result) => {
    result.observe(watch.fallbackSeconds())
  })
  let untime: (() => void) | undefined
  if (o.store !== undefined) {
    const [name, opts] = optionsOf('storeLatency', ValueType.DOUBLE)
    const latency = meter.createHistogram(name, {
      ...opts,
      advice: { explicitBucketBoundaries: o.latencyBuckets },
    })
    untime = timeStore(o.store, (seconds, outcome, store) => latency.record(seconds, { store, outcome }))
  }
  const notifier = o.notifier
  if (notifier !== undefined) {
    observe(meter.createObservableGauge(...optionsOf('notifierQueueDepth')), (result) => {
      for (const [channel, queued] of notifierChannels(notifier)) result.observe(queued, { channel })
    })
    observe(meter.createObservableCounter(...optionsOf('notifierDropped')), (result) => {
      for (const [channel, , dropped] of notifierChannels(notifier)) result.observe(dropped, { channel })
    })
  }
  let closed = false
  return {
    names: Object.freeze(names),
    close() {
      if (closed) return
      closed = true
      watch.close()
      untime?.()
      for (const [instrument, callback] of observed.splice(0)) instrument.removeCallback(callback)
    },
  }
}
