/**
 * What a collector needs from an engine: its events, and (optionally) its ban listing, store state and clock.
 * `createBulwark()`'s engine fits, before and after the `block` → `ban` rename: the collector listens to `'ban'` and
 * lists with `listBans()` when the engine has them, and falls back to `'block'` and `listBlocks()` otherwise.
 */
export interface MetricsEngine {
  on(event: string, listener: (...args: unknown[]) => void): unknown
  off(event: string, listener: (...args: unknown[]) => void): unknown
  /** `primary`, or `fallback` while the store is unavailable. */
  readonly storeState?: string
  /** The engine's clock, so cached listings and degraded time follow it (a fake clock in tests). */
  readonly options?: { readonly clock?: () => number }
  listBans?(): Promise<readonly { readonly rule: string }[]>
  /** @deprecated name of `listBans()`, used when an engine has no `listBans()`. */
  listBlocks?(): Promise<readonly { readonly rule: string }[]>
}

/** What the watcher reports as it happens; the rest is read at collection time. */
export interface WatchHooks {
  decision(conclusion: string, rule: string): void
  ban(rule: string): void
  suspicious(kind: string): void
  diagnostic(code: string): void
}

interface DecisionLike {
  decision?: { conclusion?: unknown; rule?: unknown }
}

const label = (value: unknown, none: string): string =>
  value === null || value === undefined ? none : String(value)

/**
 * Listens to one engine for one collector: counts through the hooks, tracks the store's degraded time, and lists
 * active bans on demand with a cache and at most one listing in flight.
 */
export class EngineWatch {
  /** Every rule a ban was seen for, so a rule whose bans all ended reads 0 rather than vanishing. */
  readonly banRules = new Set<string>()
  private readonly listeners: [string, (...args: unknown[]) => void][] = []
  private readonly list: (() => Promise<readonly { readonly rule: string }[]>) | undefined
  private degradedSince: number | null
  private degradedMs = 0
  private cache: { at: number; value: ReadonlyMap<string, number> | null } | null = null
  private pending: Promise<ReadonlyMap<string, number> | null> | null = null
  private closed = false

  constructor(
    private readonly engine: MetricsEngine,
    hooks: WatchHooks,
    private readonly bansCacheMs: number,
  ) {
    const modern = typeof engine.listBans === 'function'
    const lister = modern ? engine.listBans : engine.listBlocks
    this.list = typeof lister === 'function' ? () => lister.call(engine) : undefined
    this.degradedSince = engine.storeState === 'fallback' ? this.now() : null
    this.listen('decision', (e: DecisionLike) => {
      hooks.decision(label(e?.decision?.conclusion, 'unknown'), label(e?.decision?.rule, 'none'))
    })
    this.listen(modern ? 'ban' : 'block', (e: { rule?: unknown }) => {
      const rule = label(e?.rule, 'unknown')
      this.banRules.add(rule)
      hooks.ban(rule)
    })
    this.listen('suspicious', (e: { kind?: unknown }) => hooks.suspicious(label(e?.kind, 'unknown')))
    this.listen('diagnostic', (e: { code?: unknown }) => hooks.diagnostic(label(e?.code, 'unknown')))
    this.listen('store', (e: { state?: unknown; at?: unknown }) => {
      const at = typeof e?.at === 'number' && Number.isFinite(e.at) ? e.at : this.now()
      if (e?.state === 'degraded' && this.degradedSince === null) this.degradedSince = at
      else if (e?.state === 'recovered' && this.degradedSince !== null) {
        this.degradedMs += Math.max(0, at - this.degradedSince)
        this.degradedSince = null
      }
    })
  }

  private listen<T>(event: string, listener: (event: T) => void): void {
    const fn = listener as (...args: unknown[]) => void
    this.engine.on(event, fn)
    this.listeners.push([event, fn])
  }

  private now(): number {
    const clock = this.engine.options?.clock
    return typeof clock === 'function' ? clock() : Date.now()
  }

  /** True while the store is unavailable: the engine's `storeState` when it has one, else its `store` events. */
  degraded(): boolean {
    const state = this.engine.storeState
    if (state === 'primary' || state === 'fallback') return state === 'fallback'
    return this.degradedSince !== null
  }

  /** Seconds spent degraded since the collector started, the current stretch included. */
  fallbackSeconds(): number {
    const current = this.degradedSince === null ? 0 : Math.max(0, this.now() - this.degradedSince)
    return (this.degradedMs + current) / 1000
  }

  /**
   * Active bans by rule, or null when they cannot be listed (no listing method, or the store failed). A listing is
   * reused for `bansCacheMs` (by the engine's clock), failures too; concurrent callers share one listing.
   */
  bansActive(): Promise<ReadonlyMap<string, number> | null> {
    if (this.list === undefined || this.closed) return Promise.resolve(null)
    const now = this.now()
    const cached = this.cache
    if (cached !== null && now >= cached.at && now - cached.at < this.bansCacheMs) {
      return Promise.resolve(cached.value)
    }
    if (this.pending !== null) return this.pending
    const list = this.list
    const pending = (async (): Promise<ReadonlyMap<string, number> | null> => {
      try {
        const bans = await list()
        const byRule = new Map<string, number>()
        for (const ban of bans) {
          const rule = label(ban?.rule, 'unknown')
          byRule.set(rule, (byRule.get(rule) ?? 0) + 1)
          this.banRules.add(rule)
        }
        return byRule
      } catch {
        return null // the store is unavailable: no value rather than a wrong one
      }
    })().then((value) => {
      this.cache = { at: now, value }
      this.pending = null
      return value
    })
    this.pending = pending
    return pending
  }

  /** Removes every listener this watcher added. */
  close(): void {
    if (this.closed) return
    this.closed = true
    for (const [event, fn] of this.listeners.splice(0)) this.engine.off(event, fn)
  }
}
