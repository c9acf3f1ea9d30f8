import type { BanRecord, BanRule } from './types.js'

export type MaybePromise<T> = T | Promise<T>

/**
 * What a rule asks a store to count for one subject. A store knows these six algorithms and nothing about the rules
 * that use them: a rule (built in or yours) picks one and gives it its numbers. Every count names the rule that asked
 * (`rule`, written into a ban it trips) and the counter's key among the subject's keys (`key`).
 */
export type Count = RequestsCount | EventsCount | SpreadCount | DistinctCount | WindowCount | BanNowCount

interface CountBase {
  /** The rule that asked; a ban this count trips carries it. */
  rule: BanRule
  /**
   * The counter's name among the subject's keys: `b`, `a`, `i`, `s` for the built-in burst, auth-failure, item and
   * suspicion counters, `e:<id>` for endpoint windows, `r:<rule id>` for other rules. Printable ASCII, no `{` or `}`.
   */
  key: string
}

/** Trips (and bans) when more than `limit` events fall in the sliding window `(now - windowMs, now]`. */
interface Tripping {
  limit: number
  windowMs: number
  /** A trip writes a ban that is observed, not enforced. */
  monitor?: boolean
}

/**
 * Exact sliding log of requests (burst): this request trips when, counting it, more than `limit` requests fall in the
 * window. A tripped request is not recorded. Measures the count only when it trips (`-1` otherwise).
 */
export interface RequestsCount extends CountBase, Tripping {
  kind: 'requests'
}

/**
 * Exact sliding log of events (auth failures, suspicion, your own): adds `add` events (0 reads without adding), plus
 * one for each refused `window` count and each over-limit `distinct` count of the same subject earlier in this op
 * whose `suspicious` is set, when `addRefused` is true. A negative `add` takes back that many of the newest events (a refunded reservation) and
 * never trips. Measures the events in the window after adding.
 */
export interface EventsCount extends CountBase, Tripping {
  kind: 'events'
  add: number
  addRefused?: boolean
}

/**
 * Events from several sources (auth failures on an API key or a user): an exact sliding log of event times, as
 * `events`, and the sources they came from (`source`, a fixed-size fingerprint of the client). Trips only when more
 * than `limit` events fall in the window **and** they came from at least `sources` distinct sources with an event in
 * the window — so one client cannot get a key or a user banned for everyone, while a campaign from many clients
 * still is. A negative `add` takes back that many of the newest events and one event of `source` (a refunded
 * reservation: a source whose events were all refunded no longer counts) and never trips. A store keeps at most
 * `max(4 × sources, 16)` sources per subject, the most recently seen. Measures the events in the window.
 */
export interface SpreadCount extends CountBase, Tripping {
  kind: 'spread'
  add: number
  source: string
  sources: number
}

/**
 * Distinct values seen in the window (scraping, 404 enumeration): adds `value`, a fixed-size fingerprint. Measures the
 * distinct count.
 */
export interface DistinctCount extends CountBase, Tripping {
  kind: 'distinct'
  value: string
  /**
   * Never trips: while more than `limit` distinct values are in the window, each count is a suspicious refusal for an
   * `events` count with `addRefused` later in the same subject (404 enumeration counts towards the suspicion ban).
   */
  suspicious?: boolean
}

/**
 * Sliding-window counter (rate limits). Never bans. With `w = floor(now / windowMs)`, `elapsed = now - w * windowMs`,
 * `curr`/`prev` the totals of fixed windows `w` and `w - 1`, and `estimate = prev * (windowMs - elapsed) / windowMs +
 * curr`, the request is refused (and not counted) when `estimate + cost > limit`; otherwise `curr` grows by `cost`.
 * `remaining = max(0, floor(limit - estimate - cost))` for an allowed request and 0 for a refused one;
 * `resetMs = windowMs - elapsed`.
 */
export interface WindowCount extends CountBase {
  kind: 'window'
  limit: number
  windowMs: number
  /** What this request costs. Default 1. */
  cost?: number
  /** A refusal is a suspicious event for an `events` count with `addRefused` later in the same subject. */
  suspicious?: boolean
}

/** Ban now (scanner user agents). */
export interface BanNowCount extends CountBase {
  kind: 'ban'
  monitor?: boolean
  note?: string
}

/** What one request (or one reported event) does to one subject: its counts, applied in order. */
export interface SubjectOp {
  /** `ip:…`, `key:…`, `user:…` or `by:…`. Every key a store writes for this subject is derived from it. */
  key: string
  /** May be empty: the subject's ban is still checked. */
  counts: readonly Count[]
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
  /**
   * A suspected proxy's short limit, in ms: on an `ip:` subject the ban lasts the window of the count that tripped,
   * at most this long (this long for a count without a window, such as `ban`), with no escalation or jitter; it is no
   * offense and is marked `limited`. Other subjects of the op (a key, a user) are banned with the rest of the policy.
   */
  tripWindow?: number
}

export interface HitOp {
  /** Milliseconds since the epoch from the engine's clock. A store that keeps its own clock (Redis `TIME`) may ignore it. */
  now: number
  subjects: readonly SubjectOp[]
  ban: BanPolicy
}

/** A `window` count's answer. */
export interface WindowMeasure {
  allowed: boolean
  remaining: number
  resetMs: number
}

/**
 * What a store measured for one count: a number for `requests` (the count when it tripped), `events` and `distinct`,
 * a `WindowMeasure` for `window`; `-1` (or a missing entry) when nothing was measured (`ban`, an untripped
 * `requests`).
 */
export type Measure = number | WindowMeasure

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
  /**
   * Per subject (same order as `op.subjects`), per count (same order as its `counts`). An entry may be missing or
   * shorter when nothing was measured (the common request answers with empty lists).
   */
  counts: (readonly Measure[] | undefined)[]
  /** The store's clock for this call (ms), so the engine computes TTLs on the same clock. */
  now: number
}

/** A message a store relays between engines that share it (Redis pub/sub). */
export type StoreMessage =
  | { type: 'unban'; subject: string }
  | { type: 'ban'; subject: string; expiresAt: number }
  | { type: 'whitelist'; action: 'add' | 'remove'; entry: string }
  /** A full ban table dropped this ban (the one ending soonest) for a newer one. */
  | { type: 'evicted'; subject: string; expiresAt: number }

/** What a store can do, declared instead of recognised by class. */
export interface StoreCapabilities {
  /**
   * The state lives in this process only (the memory store): the engine needs no fallback store, no deadline and no
   * shared API-key secret.
   */
  local?: boolean
}

/**
 * The state behind the engine. Every method is atomic. `hit` is called once per inspected request and must do all
 * of its work in one round trip. Methods may return a value directly (the memory store does) to keep the hot path
 * free of promises.
 */
export interface Store {
  /** A short name for logs and events: `memory`, `redis`. */
  readonly name: string
  readonly capabilities?: StoreCapabilities
  hit(op: HitOp): MaybePromise<HitResult>
  /** Write or replace a ban (manual bans). Returns the stored record. */
  setBan(ban: Omit<BanRecord, 'offense'> & { offense?: number }): MaybePromise<BanRecord>
  /** Remove a ban, and forget the subject's counters so it starts clean. Resolves true when a ban existed. */
  deleteBan(subject: string): MaybePromise<boolean>
  listBans(now: number): MaybePromise<BanRecord[]>
  /** Optional: the engine never calls it; tools and tests may. */
  getBan?(subject: string, now: number): MaybePromise<BanRecord | null>
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

/** The counter keys of the built-in rules, which `deleteBan` and a new ban clear besides the op's own. */
export const BUILTIN_COUNTER_KEYS = ['b', 'a', 'i', 's'] as const
