// Prometheus metrics through prom-client. The OpenTelemetry variant is `@bulwark/metrics/otel`.
export type { MetricsEngine } from './engine.js'
export type { InstrumentKey, InstrumentSpec } from './instruments.js'
export { DEFAULT_LATENCY_BUCKETS, INSTRUMENTS } from './instruments.js'
export type { CollectorOptions, NotifierStatsSource } from './options.js'
export type { BulwarkMetrics, BulwarkMetricsOptions } from './prometheus.js'
export { bulwarkMetrics } from './prometheus.js'
export { instrumentStore } from './store.js'
