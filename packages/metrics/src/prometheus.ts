import { Counter, Gauge, Histogram, type Metric, type Registry, register } from 'prom-client'
import { EngineWatch, type MetricsEngine } from './engine.js'
import { INSTRUMENTS, type InstrumentKey } from './instruments.js'
import { type CollectorOptions, checkEngine, notifierChannels, resolveCollectorOptions } from './options.js'
import { timeStore } from './store.js'

export interface BulwarkMetricsOptions extends CollectorOptions {
  /** The registry to join (`registry.registerMetric()`). Default: prom-client's global `register`. */
  registry?: Registry
}

export interface BulwarkMetrics {
  /** The registry the instruments joined. */
  readonly registry: Registry
  /** The names registered, e.g. `bulwark_decisions_total`. */
  readonly names: readonly string[]
  /**
   * Stops collecting: removes every listener from the engine and the store timer, and removes the instruments
   * from the registry (so a new collector can register them again). Safe to call twice.
   */
  close(): void
}

const FN = 'bulwarkMetrics'

/**
 * Prometheus metrics of one engine, registered in your prom-client registry (the global one by default) next to
 * your own metrics: serve `await registry.metrics()` on `/metrics` as usual. See `INSTRUMENTS` for what is there.
 */
export function bulwarkMetrics(engine: MetricsEngine, options: BulwarkMetricsOptions = {}): BulwarkMetrics {
  checkEngine(FN, engine)
  const o = resolveCollectorOptions(FN, options)
  const registry = options.registry ?? register
  if (typeof registry?.registerMetric !== 'function') {
    throw new TypeError(`${FN}: options.registry must be a prom-client Registry`)
  }
  const wanted: InstrumentKey[] = [
    'decisions',
    'bansCreated',
    'bansActive',
    'storeDegraded',
    'storeFallbackSeconds',
    'suspiciousEvents',
    'diagnostics',
  ]
  if (o.store !== undefined) wanted.push('storeLatency')
  if (o.notifier !== undefined) wanted.push('notifierQueueDepth', 'notifierDropped')
  const nameOf = (key: InstrumentKey) => o.prefix + INSTRUMENTS[key].name
  const taken = wanted.map(nameOf).filter((name) => registry.getSingleMetric(name) !== undefined)
  if (taken.length > 0) {
    throw new Error(
      `${FN}: the registry already has ${taken.join(', ')}; one collector per engine and registry (close() the previous one, or give another prefix)`,
    )
  }
  const config = <K extends InstrumentKey>(key: K) => ({
    name: nameOf(key),
    help: INSTRUMENTS[key].help,
    labelNames: [...INSTRUMENTS[key].labels],
    registers: [] as Registry[],
  })

  const decisions = new Counter(config('decisions'))
  const bansCreated = new Counter(config('bansCreated'))
  const suspicious = new Counter(config('suspiciousEvents'))
  const diagnostics = new Counter(config('diagnostics'))
  const watch = new EngineWatch(
    engine,
    {
      decision: (conclusion, rule) => decisions.inc({ conclusion, rule }),
      ban: (rule) => bansCreated.inc({ rule }),
      suspicious: (kind) => suspicious.inc({ kind }),
      diagnostic: (code) => diagnostics.inc({ code }),
    },
    o.bansCacheMs,
  )
  const metrics: Metric[] = [
    decisions,
    bansCreated,
    new Gauge({
      ...config('bansActive'),
      async collect() {
        const byRule = await watch.bansActive()
        this.reset()
        if (byRule === null) return
        for (const rule of watch.banRules) this.set({ rule }, byRule.get(rule) ?? 0)
      },
    }),
    new Gauge({
      ...config('storeDegraded'),
      collect() {
        this.set(watch.degraded() ? 1 : 0)
      },
    }),
    new Counter({
      ...config('storeFallbackSeconds'),
      collect() {
        this.reset()
        this.inc(watch.fallbackSeconds())
      },
    }),
    suspicious,
    diagnostics,
  ]
  let untime: (() => void) | undefined
  if (o.store !== undefined) {
    const latency = new Histogram({ ...config('storeLatency'), buckets: o.latencyBuckets })
    untime = timeStore(o.store, (seconds, outcome, store) => latency.observe({ store, outcome }, seconds))
    metrics.push(latency)
  }
  const notifier = o.notifier
  if (notifier !== undefined) {
    metrics.push(
      new Gauge({
        ...config('notifierQueueDepth'),
        collect() {
          this.reset()
          for (const [channel, queued] of notifierChannels(notifier)) this.set({ channel }, queued)
        },
      }),
      new Counter({
        ...config('notifierDropped'),
        collect() {
          this.reset()
          for (const [channel, , dropped] of notifierChannels(notifier)) this.inc({ channel }, dropped)
        },
      }),
    )
  }
  for (const metric of metrics) registry.registerMetric(metric)
  const names = Object.freeze(wanted.map(nameOf))
  let closed = false
  return {
    registry,
    names,
    close() {
      if (closed) return
      closed = true
      watch.close()
      untime?.()
      for (const name of names) {
        if (metrics.includes(registry.getSingleMetric(name) as Metric)) registry.removeSingleMetric(name)
      }
    },
  }
}
