import type { BanRecord, BanRule } from './types.js'

export type MaybePromise<T> = T | Promise<T>

/** Count events in the sliding window `(now - windowMs, now]`; the rule trips when the count exceeds `limit`. */
export interface WindowLimit {
  limit: number
  windowMs: number
  /** A trip writes a ban that is observed, not enforced. */
  monitor?: boolean
}

/**
 * What one request (or one reported auth failure) does to one subject. Every field is optional; a store does only
 * the work the fields ask for.
 */
export interface SubjectOp {
  /** `ip:…` or `key:…`. Every key a store writes for this subject is derived from it. */
  key: string
  /** Exact sliding log: trips when more than `limit` requests fall in the window. */
  burst?: WindowLimit
  /** Add one failed authentication to an exact sliding log; trips when more than `limit` fall in the window. */
  authFailure?: WindowLimit
  /** Add `value` (a fixed-size fingerprint) to the distinct items seen in the window; trips when more than `limit`. */
  item?: WindowLimit & { value: string }
  /**
   * Sliding-window counter for an endpoint limit, kept per subject and `id`. Never bans. With
   * `w = floor(now / windowMs)`, `elapsed = now - w * windowMs`, `curr`/`prev` the counts of fixed windows `w` and
   * `w - 1`, and `estimate = prev * (windowMs - elapsed) / windowMs + curr`, the request is refused (and not counted)
   * when `estimate + 1 > limit`; otherwise `curr` grows by one. `remaining = max(0, floor(limit - estimate - 1))` for
   * an allowed request and 0 for a refused one; `resetMs = windowMs - elapsed`. A refused request adds one suspicion
   * event when `suspicion` is also set.
   */
  endpoint?: { id: string; limit: number; windowMs: number }
  /**
   * Add `add` events (0 adds none) to an exact sliding log, plus one for a refused endpoint request; trips when more
   * than `limit` fall in the window.
   */
  suspicion?: WindowLimit & { add: number }
  /** Ban now (scanner user agents). */
  force?: { rule: BanRule; monitor?: boolean; note?: string }
}

/** How a ban is written when a rule trips. */
export interface BanPolicy {
  ttlMs: number
  /** Each further ban within `historyMs` multiplies the TTL by `factor` (1 = no escalation), up to `maxTtlMs`. */
  factor: number
  maxTtlMs: number
  historyMs: number
  /** A random factor chosen by the engine, applied as `ttl * (1 + jitter)`. 0 for none. */
  jitter: number
}

export interface HitOp {
  /** Milliseconds since the epoch from the engine's clock. A store that keeps its own clock (Redis `TIME`) may ignore it. */
  now: number
  /** The IP subject first, then the API-key subject if the request carries one. */
  subjects: readonly SubjectOp[]
  ban: BanPolicy
}

/** What a store measured for one subject. A field is present when the op asked for it. */
export interface SubjectCounts {
  /** Requests in the burst window including this one. Present when the rule tripped. */
  burst?: number
  authFailures?: number
  items?: number
  suspicion?: number
  endpoint?: { allowed: boolean; remaining: number; resetMs: number }
}

export interface ActiveBan extends BanRecord {
  /** True for the call that wrote the ban. */
  created: boolean
}

export interface HitResult {
  /**
   * The ban in force for any subject of the op after this call, or null. An enforced ban wins over a monitored one.
   * When an enforced ban already existed, nothing was counted and `counts` is empty.
   */
  ban: ActiveBan | null
  /** Same order as `op.subjects`. */
  counts: SubjectCounts[]
  /** The store's clock for this call (ms), so the engine computes TTLs on the same clock. */
  now: number
}

/** A message a store relays between engines that share it (Redis pub/sub). */
export type StoreMessage =
  | { type: 'unban'; subject: string }
  | { type: 'ban'; subject: string; expiresAt: number }
  | { type: 'whitelist'; action: 'add' | 'remove'; entry: string }

/**
 * The state behind the engine. Every method is atomic. `hit` is called once per inspected request and must do all
 * of its work in one round trip. Methods may return a value directly (the memory store does) to keep the hot path
 * free of promises.
 */
export interface Store {
  /** A short name for logs and events: `memory`, `redis`. */
  readonly name: string
  hit(op: HitOp): MaybePromise<HitResult>
  /** Write or replace a ban (manual bans). Returns the stored record. */
  setBan(ban: Omit<BanRecord, 'offense'> & { offense?: number }): MaybePromise<BanRecord>
  /** Remove a ban, and forget the subject's counters so it starts clean. Resolves true when a ban existed. */
  deleteBan(subject: string): MaybePromise<boolean>
  getBan(subject: string, now: number): MaybePromise<BanRecord | null>
  listBans(now: number): MaybePromise<BanRecord[]>
  /** A whitelist shared by every engine on this store. Entries are IPs, CIDRs or `key:` hashes. */
  whitelistAdd(entry: string): MaybePromise<void>
  whitelistRemove(entry: string): MaybePromise<boolean>
  whitelistList(): MaybePromise<string[]>
  /**
   * Shared stores only: receive the changes made through this store by any process (setBan, deleteBan, whitelist
   * add/remove publish them, including to the process that made them), so every engine can update its in-memory
   * caches within a second. Returns an unsubscribe function.
   */
  subscribe?(listener: (message: StoreMessage) => void): () => void
  close(): MaybePromise<void>
}

/**
 * The rule a trip writes into a ban, in the order a store checks them when several trip for one subject in one
 * call: `force` (its own rule), `burst`, `authFailure`, `item`, `suspicion`. The first subject whose rule trips gives
 * the ban that `hit` returns; every tripped subject is banned.
 */
export const TRIP_RULES = {
  burst: 'burst',
  authFailure: 'auth-failures',
  item: 'scraping',
  suspicion: 'suspicion',
} as const satisfies Record<string, BanRule>
