import type { DenySink, DenySource } from '@bulwark/core'
import { type BackoffOptions, backoffDelay } from './backoff.js'
import { DecisionTable, type HeldDecision, readDecision, type TableChanges } from './decision-table.js'
import { CrowdSecError } from './errors.js'
import { type FetchLike, type LapiConnection, lapiRequest, lapiUrl } from './http.js'
import { type ErrorListener, ErrorListeners, positiveInt } from './shared.js'

export interface CrowdSecBouncerOptions {
  /** The Local API, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** A bouncer's key, from `cscli bouncers add <name>`. */
  apiKey: string
  /** The pause between two pulls of the stream, in ms. Default 10 000 (CrowdSec's bouncers use 10 s). */
  intervalMs?: number
  /**
   * Ask for the full list again at least this often, in ms, even when every pull succeeds: a LAPI whose database was
   * replaced answers deltas that cannot say what it forgot. Default 3 600 000 (1 h).
   */
  resyncMs?: number
  /** Decision types applied as bans. Default `['ban']` (Bulwark has no captcha). */
  types?: readonly string[]
  /** Only decisions of these origins (`crowdsec`, `cscli`, `CAPI`, `lists` …). Default: all. */
  origins?: readonly string[]
  /** Decisions held at most (a community blocklist is ~15 000–50 000); beyond, new ones are ignored. Default 200 000. */
  maxDecisions?: number
  /** Largest stream answer read, in bytes. Default 64 MiB. */
  maxResponseBytes?: number
  /** One request's deadline, in ms. Default 10 000. */
  timeoutMs?: number
  /** Waits between attempts while the Local API is unreachable. Default `{ baseMs: 1000, maxMs: 30_000 }`. */
  backoff?: Partial<BackoffOptions>
  /** The source's name, shown as the source of its bans in `listBans()` and decisions. Default `crowdsec`. */
  name?: string
  /** Observe only: matching requests are decided as bans marked `enforced: false`. Default false. */
  monitor?: boolean
  /** Default the global `fetch`. */
  fetch?: FetchLike
  /** Clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
  /** For tests: the jitter's random source. Default `Math.random`. */
  random?: () => number
}

export interface CrowdSecBouncerStats {
  /** Decisions held (several may ban one target). */
  decisions: number
  /** Targets (addresses and ranges) banned. */
  targets: number
  /** Successful pulls of the stream. */
  pulls: number
  /** Full resyncs (`startup=true`): the first pull, and the first after every failure. */
  resyncs: number
  /** Failed pulls (each retried with backoff; the decisions held stay in force meanwhile). */
  failures: number
  /** When the last pull succeeded (ms since the epoch), or undefined before the first. */
  lastPullAt: number | undefined
  /** `starting` before the first pull, `synced`, `retrying` after a failure, `closed`. */
  state: 'starting' | 'synced' | 'retrying' | 'closed'
}

/** One ban the bouncer hands to the engine. */
export interface BouncerBan {
  /** An address or a CIDR. */
  target: string
  /** What is left of the decision, in ms. */
  ttlMs: number
  /** e.g. `CrowdSec crowdsecurity/ssh-bf (crowdsec)` */
  reason: string
}

/** Where the bouncer's bans go: the engine's deny source sink. */
export interface BouncerSink {
  /** Replaces every ban the bouncer had given before (a full resync). */
  replace(bans: BouncerBan[]): void
  /** Adds or extends one ban. */
  add(ban: BouncerBan): void
  /** Lifts one ban (the decision was deleted or expired on the Local API). */
  remove(target: string): void
  /** Reports a failure to the engine (its `error` event), when the bouncer has no `error` listener of its own. */
  error?(error: unknown): void
}

const DEFAULTS = {
  intervalMs: 10_000,
  resyncMs: 3_600_000,
  types: ['ban'],
  maxDecisions: 200_000,
  maxResponseBytes: 64 << 20,
  timeoutMs: 10_000,
  backoff: { baseMs: 1000, maxMs: 30_000 },
  name: 'crowdsec',
} as const

/** The bouncer's moving parts, independent of how the engine takes bans. */
export class BouncerCore {
  readonly name: string
  readonly #conn: LapiConnection
  readonly #apiKey: string
  readonly #interval: number
  readonly #resyncMs: number
  #lastResyncAt = 0
  readonly #types: ReadonlySet<string>
  readonly #origins: readonly string[] | undefined
  readonly #backoff: BackoffOptions
  readonly #now: () => number
  readonly #random: () => number
  readonly #table: DecisionTable
  readonly #errors: ErrorListeners
  #sink: BouncerSink | undefined
  #timer: NodeJS.Timeout | undefined
  #inflight: Promise<void> | undefined
  #needStartup = true
  #retry = 0
  #closed = false
  #tooManyReported = false
  #firstPull: { promise: Promise<void>; resolve: () => void }
  #stats = { pulls: 0, resyncs: 0, failures: 0, lastPullAt: undefined as number | undefined }

  constructor(options: CrowdSecBouncerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new CrowdSecError('ERR_BULWARK_CROWDSEC_OPTIONS', 'crowdsecBouncer() needs { url, apiKey }')
    }
    const url = lapiUrl(options.url, 'crowdsecBouncer({ url })')
    if (typeof options.apiKey !== 'string' || options.apiKey === '') {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_OPTIONS',
        'crowdsecBouncer({ apiKey }) is required: the key printed by `cscli bouncers add <name>`',
      )
    }
    this.#apiKey = options.apiKey
    this.#interval = positiveInt(options.intervalMs, DEFAULTS.intervalMs, 'crowdsecBouncer({ intervalMs })')
    this.#resyncMs = positiveInt(options.resyncMs, DEFAULTS.resyncMs, 'crowdsecBouncer({ resyncMs })')
    const types = options.types ?? DEFAULTS.types
    if (!Array.isArray(types) || types.length === 0 || types.some((t) => typeof t !== 'string')) {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_OPTIONS',
        "crowdsecBouncer({ types }) must list decision types, e.g. ['ban']",
      )
    }
    this.#types = new Set(types.map((t) => t.toLowerCase()))
    if (options.origins !== undefined) {
      if (!Array.isArray(options.origins) || options.origins.some((o) => typeof o !== 'string' || o === '')) {
        throw new CrowdSecError(
          'ERR_BULWARK_CROWDSEC_OPTIONS',
          'crowdsecBouncer({ origins }) must list origin names',
        )
      }
    }
    this.#origins = options.origins
    this.#backoff = {
      baseMs: positiveInt(
        options.backoff?.baseMs,
        DEFAULTS.backoff.baseMs,
        'crowdsecBouncer({ backoff.baseMs })',
      ),
      maxMs: positiveInt(
        options.backoff?.maxMs,
        DEFAULTS.backoff.maxMs,
        'crowdsecBouncer({ backoff.maxMs })',
      ),
    }
    this.#conn = {
      url,
      timeoutMs: positiveInt(options.timeoutMs, DEFAULTS.timeoutMs, 'crowdsecBouncer({ timeoutMs })'),
      maxResponseBytes: positiveInt(
        options.maxResponseBytes,
        DEFAULTS.maxResponseBytes,
        'crowdsecBouncer({ maxResponseBytes })',
      ),
      userAgent: 'bulwark-crowdsec-bouncer/0',
      fetch: options.fetch ?? ((u, init) => fetch(u, init)),
    }
    this.#table = new DecisionTable(
      positiveInt(options.maxDecisions, DEFAULTS.maxDecisions, 'crowdsecBouncer({ maxDecisions })'),
    )
    this.name = options.name ?? DEFAULTS.name
    if (typeof this.name !== 'string' || this.name === '') {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_OPTIONS',
        'crowdsecBouncer({ name }) must be a non-empty string',
      )
    }
    this.#now = options.now ?? Date.now
    this.#random = options.random ?? Math.random
    this.#errors = new ErrorListeners('@bulwark/crowdsec bouncer')
    let resolve!: () => void
    const promise = new Promise<void>((r) => {
      resolve = r
    })
    this.#firstPull = { promise, resolve }
  }

  get errors(): ErrorListeners {
    return this.#errors
  }

  /**
   * Starts pulling into `sink`. Resolves after the first attempt, successful or not: a Local API that is down at
   * boot never holds the app up; the bouncer keeps trying in the background.
   */
  start(sink: BouncerSink): Promise<void> {
    if (this.#closed)
      return Promise.reject(new CrowdSecError('ERR_BULWARK_CROWDSEC_CLOSED', 'start() after close()'))
    if (this.#sink !== undefined) return this.#firstPull.promise
    this.#sink = sink
    if (typeof sink.error === 'function') this.#errors.fallback = (e) => sink.error?.(e)
    void this.#pull()
    return this.#firstPull.promise
  }

  /** Pulls now (and reschedules), without waiting for the timer. Resolves when that pull is over. */
  async pullNow(): Promise<void> {
    if (this.#closed || this.#sink === undefined) return
    if (this.#inflight !== undefined) await this.#inflight
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#pull()
  }

  stats(): CrowdSecBouncerStats {
    return {
      decisions: this.#table.size,
      targets: this.#table.targets().size,
      ...this.#stats,
      state: this.#closed
        ? 'closed'
        : this.#stats.pulls === 0
          ? 'starting'
          : this.#needStartup
            ? 'retrying'
            : 'synced',
    }
  }

  async close(): Promise<void> {
    this.#closed = true
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#firstPull.resolve()
    await this.#inflight?.catch(() => {})
  }

  #pull(): Promise<void> {
    const run = this.#pullOnce().finally(() => {
      this.#inflight = undefined
    })
    this.#inflight = run
    return run
  }

  async #pullOnce(): Promise<void> {
    const startup = this.#needStartup || this.#now() - this.#lastResyncAt >= this.#resyncMs
    let params = `startup=${startup}&scopes=ip,range`
    if (this.#origins !== undefined) params += `&origins=${encodeURIComponent(this.#origins.join(','))}`
    let delay = this.#interval
    try {
      const answer = await lapiRequest(this.#conn, {
        method: 'GET',
        path: `/v1/decisions/stream?${params}`,
        headers: { 'x-api-key': this.#apiKey },
      })
      if (this.#closed) return
      this.#applyAnswer(answer, startup)
      this.#needStartup = false
      this.#retry = 0
      this.#stats.pulls++
      if (startup) {
        this.#stats.resyncs++
        this.#lastResyncAt = this.#now()
      }
      this.#stats.lastPullAt = this.#now()
      this.#errors.reset()
    } catch (error) {
      if (this.#closed) return
      this.#stats.failures++
      this.#retry++
      // The Local API may have restarted, lost its database or missed our last pull: start over from a full list.
      // Meanwhile the decisions held stay in force until their own end.
      this.#needStartup = true
      delay = backoffDelay(this.#retry, this.#backoff, this.#random)
      this.#errors.emit(error)
    } finally {
      this.#firstPull.resolve()
      if (!this.#closed) {
        clearTimeout(this.#timer)
        this.#timer = setTimeout(() => void this.#pull(), delay)
        this.#timer.unref?.()
      }
    }
  }

  #applyAnswer(answer: unknown, startup: boolean): void {
    if (answer === null || typeof answer !== 'object') {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_RESPONSE',
        'GET /v1/decisions/stream: not { new, deleted }',
      )
    }
    const { new: added, deleted } = answer as { new?: unknown; deleted?: unknown }
    if ((added != null && !Array.isArray(added)) || (deleted != null && !Array.isArray(deleted))) {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_RESPONSE',
        'GET /v1/decisions/stream: new/deleted are not lists',
      )
    }
    const now = this.#now()
    const held: HeldDecision[] = []
    for (const raw of (added ?? []) as unknown[]) {
      const d = readDecision(raw, now, this.#types)
      if (d !== undefined) held.push(d)
    }
    const deletedIds: number[] = []
    for (const raw of (deleted ?? []) as unknown[]) {
      const id = (raw as { id?: unknown } | null)?.id
      if (typeof id === 'number') deletedIds.push(id)
    }
    this.#table.prune(now)
    const { changes, refused } = startup
      ? this.#table.replace(held, now)
      : this.#table.apply(held, deletedIds, now)
    if (refused > 0 && !this.#tooManyReported) {
      this.#tooManyReported = true
      this.#errors.emit(
        new CrowdSecError(
          'ERR_BULWARK_CROWDSEC_TOO_MANY',
          `the bouncer holds ${this.#table.size} decisions (maxDecisions); ${refused} more were ignored`,
        ),
      )
    } else if (refused === 0) {
      this.#tooManyReported = false
    }
    this.#deliver(changes, startup, now)
  }

  #deliver(changes: TableChanges, startup: boolean, now: number): void {
    const sink = this.#sink
    if (sink === undefined) return
    const ban = (target: string, d: { until: number; scenario: string; origin: string }): BouncerBan => ({
      target,
      ttlMs: Math.max(1, d.until - now),
      reason: `CrowdSec ${d.scenario || 'decision'}${d.origin ? ` (${d.origin})` : ''}`,
    })
    if (startup) {
      sink.replace([...this.#table.targets()].map(([target, d]) => ban(target, d)))
      return
    }
    for (const target of changes.removals) sink.remove(target)
    for (const [target, d] of changes.upserts) sink.add(ban(target, d))
  }
}

/**
 * A CrowdSec bouncer as a Bulwark deny source: register it with `createBulwark({ deny: [bouncer] })`. The engine
 * starts it; it pulls `/v1/decisions/stream` (the full list first, then deltas every `intervalMs`) and keeps the
 * engine's in-memory deny set in step, so a banned client is refused with no store round trip.
 */
export interface CrowdSecBouncer extends DenySource {
  readonly name: string
  readonly monitor: boolean
  /** Called by the engine. Resolves after the first pull, successful or not (the bouncer keeps trying). */
  start(sink: DenySink): Promise<void>
  /** Pull now instead of at the next tick. Resolves when that pull is over. */
  sync(): Promise<void>
  stats(): CrowdSecBouncerStats
  on(event: 'error', listener: ErrorListener): CrowdSecBouncer
  off(event: 'error', listener: ErrorListener): CrowdSecBouncer
  /** Stops pulling; no timer is left behind. Called by `engine.close()`. */
  close(): Promise<void>
}

/** A bouncer for a CrowdSec Local API, to register as a deny source: `createBulwark({ deny: [crowdsecBouncer(…)] })`. */
export function crowdsecBouncer(options: CrowdSecBouncerOptions): CrowdSecBouncer {
  const core = new BouncerCore(options)
  const monitor = options.monitor === true
  const bouncer: CrowdSecBouncer = {
    name: core.name,
    monitor,
    start: (sink) => core.start(sink),
    sync: () => core.pullNow(),
    stats: () => core.stats(),
    on(event, listener) {
      if (event === 'error') core.errors.add(listener)
      return bouncer
    },
    off(event, listener) {
      if (event === 'error') core.errors.delete(listener)
      return bouncer
    },
    close: () => core.close(),
  }
  return bouncer
}

export type { ErrorListener }
