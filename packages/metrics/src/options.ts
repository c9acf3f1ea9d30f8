import type { Store } from '@bulwark/core'
import { DEFAULT_BANS_CACHE_MS, DEFAULT_LATENCY_BUCKETS, DEFAULT_PREFIX } from './instruments.js'

/**
 * What the collectors read from a notifier: `stats()` of `@bulwark/notify`'s `createNotifier()` fits (its
 * per-channel `queued` and `dropped` counters).
 */
export interface NotifierStatsSource {
  stats(): {
    readonly channels: Readonly<Record<string, { readonly queued: number; readonly dropped: number }>>
  }
}

/** Options both collectors take. */
export interface CollectorOptions {
  /** Put before every instrument name. Default `bulwark_`. */
  prefix?: string
  /**
   * The store given to `createBulwark({ store })`, wrapped by `instrumentStore()`: its `hit()` calls are timed in
   * `store_latency_seconds`. Without it that histogram is not registered.
   */
  store?: Store
  /** A `@bulwark/notify` notifier: its queue depth and drops per channel. Without it those are not registered. */
  notifier?: NotifierStatsSource
  /** How long a listing of the active bans (`bans_active`) is reused, in ms of the engine's clock. Default 5000. */
  bansCacheMs?: number
  /** Bucket bounds of `store_latency_seconds`, in seconds, ascending. Default `DEFAULT_LATENCY_BUCKETS`. */
  latencyBuckets?: readonly number[]
}

export interface ResolvedCollectorOptions {
  prefix: string
  store: Store | undefined
  notifier: NotifierStatsSource | undefined
  bansCacheMs: number
  latencyBuckets: number[]
}

const PREFIX = /^([a-zA-Z_][a-zA-Z0-9_]*)?$/

export function resolveCollectorOptions(fn: string, options: CollectorOptions): ResolvedCollectorOptions {
  if (options === null || typeof options !== 'object') throw new TypeError(`${fn}: options must be an object`)
  const prefix = options.prefix ?? DEFAULT_PREFIX
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw new TypeError(
      `${fn}: options.prefix must be letters, digits and underscores, got ${String(prefix)}`,
    )
  }
  const bansCacheMs = options.bansCacheMs ?? DEFAULT_BANS_CACHE_MS
  if (typeof bansCacheMs !== 'number' || !Number.isFinite(bansCacheMs) || bansCacheMs < 0) {
    throw new TypeError(`${fn}: options.bansCacheMs must be a number of ms >= 0, got ${String(bansCacheMs)}`)
  }
  const buckets = options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS
  if (
    !Array.isArray(buckets) ||
    buckets.length === 0 ||
    buckets.some(
      (b, i) =>
        typeof b !== 'number' ||
        !(b > 0) ||
        !Number.isFinite(b) ||
        (i > 0 && b <= (buckets[i - 1] as number)),
    )
  ) {
    throw new TypeError(`${fn}: options.latencyBuckets must be positive numbers of seconds, ascending`)
  }
  const notifier = options.notifier
  if (notifier !== undefined && typeof notifier?.stats !== 'function') {
    throw new TypeError(`${fn}: options.notifier must have a stats() method (a @bulwark/notify notifier)`)
  }
  return { prefix, store: options.store, notifier, bansCacheMs, latencyBuckets: [...buckets] }
}

export function checkEngine(fn: string, engine: unknown): void {
  const e = engine as { on?: unknown; off?: unknown } | null
  if (e === null || typeof e !== 'object' || typeof e.on !== 'function' || typeof e.off !== 'function') {
    throw new TypeError(`${fn}(engine): expected a Bulwark engine (createBulwark(), or an adapter's .engine)`)
  }
}

/** Queue depth and drops per channel; empty when the notifier fails to answer. */
export function notifierChannels(
  notifier: NotifierStatsSource,
): [channel: string, queued: number, dropped: number][] {
  try {
    const channels = notifier.stats()?.channels ?? {}
    return Object.entries(channels).map(([name, c]) => [
      name,
      Number(c?.queued) || 0,
      Number(c?.dropped) || 0,
    ])
  } catch {
    return []
  }
}
