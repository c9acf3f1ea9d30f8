/** One instrument: its name after the prefix, its help text, and its labels (attributes in OpenTelemetry). */
export interface InstrumentSpec {
  readonly name: string
  readonly help: string
  readonly type: 'counter' | 'gauge' | 'histogram'
  readonly labels: readonly string[]
  /** The OpenTelemetry unit (UCUM; `{…}` annotations for counts of things). */
  readonly unit: string
}

const spec = (
  name: string,
  type: InstrumentSpec['type'],
  unit: string,
  labels: readonly string[],
  help: string,
): InstrumentSpec => Object.freeze({ name, help, type, labels: Object.freeze([...labels]), unit })

/**
 * Every instrument both collectors register, by key, with the name that follows the prefix (`bulwark_` by default).
 * Labels are all bounded: rules, conclusions, kinds and codes come from your configuration, never from a request.
 */
export const INSTRUMENTS = Object.freeze({
  decisions: spec(
    'decisions_total',
    'counter',
    '{decision}',
    ['conclusion', 'rule'],
    'Decisions of the Bulwark engine by conclusion (allow, limit, block) and rule ("none" when no rule decided); plain allows are counted only when the engine has emitAllows: true',
  ),
  bansCreated: spec(
    'bans_created_total',
    'counter',
    '{ban}',
    ['rule'],
    'Bans created, by the rule that wrote them ("manual" for engine.ban()); monitor-mode bans included',
  ),
  bansActive: spec(
    'bans_active',
    'gauge',
    '{ban}',
    ['rule'],
    'Bans in force now, by rule, as listed from the store (cached for a few seconds); monitor-mode bans included',
  ),
  storeDegraded: spec(
    'store_degraded',
    'gauge',
    '1',
    [],
    '1 while the store is unavailable (decisions come from the local fallback, or are refused with failureMode: closed), else 0',
  ),
  storeFallbackSeconds: spec(
    'store_fallback_seconds_total',
    'counter',
    's',
    [],
    'Seconds spent with the store unavailable (degraded)',
  ),
  storeLatency: spec(
    'store_latency_seconds',
    'histogram',
    's',
    ['store', 'outcome'],
    "Duration of the store's hit() call, one per request that needs the store, by store name and outcome (ok, error)",
  ),
  notifierQueueDepth: spec(
    'notifier_queue_depth',
    'gauge',
    '{notification}',
    ['channel'],
    'Notifications waiting in the queue of each notifier channel (not counting the one being sent)',
  ),
  notifierDropped: spec(
    'notifier_dropped_total',
    'counter',
    '{notification}',
    ['channel'],
    'Notifications dropped without an attempt, per notifier channel (queue full, channel disabled, close() deadline)',
  ),
  suspiciousEvents: spec(
    'suspicious_events_total',
    'counter',
    '{event}',
    ['kind'],
    "Suspicious events raised by requests, by kind (probe, body-size, endpoint, or your rule's kind)",
  ),
  diagnostics: spec(
    'diagnostics_total',
    'counter',
    '{diagnostic}',
    ['code'],
    'Setup problems the engine reported, by code (see DIAGNOSTICS of @bulwark/core; each code at most once per engine)',
  ),
})

export type InstrumentKey = keyof typeof INSTRUMENTS

/** Buckets of `store_latency_seconds`: 100 µs (the memory store) to 1 s (past any sane store deadline). */
export const DEFAULT_LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
])

export const DEFAULT_PREFIX = 'bulwark_'

/** How long a listing of the active bans is reused, in ms. */
export const DEFAULT_BANS_CACHE_MS = 5000
