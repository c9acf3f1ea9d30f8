import type { Diagnostic } from './diagnostics.js'
import type { BulwarkError } from './errors.js'
import type { BanRule, Decision } from './types.js'

/** Emitted for every decision other than a plain allow (and for every decision when `emitAllDecisions` is on). */
export interface DecisionEvent {
  type: 'decision'
  /** `request` for `inspect`/`decide`; the reported event (`auth-failure`, yours) for `report` (no method or path). */
  source: 'request' | 'auth-failure' | (string & {})
  at: number
  decision: Decision
  method: string
  path: string
  userAgent?: string
}

/**
 * A ban was created: by a rule (once, by the engine whose store call wrote it) or by `engine.ban()`. A ban is state on
 * a subject; while it lasts, the subject's requests are blocked (decisions with `conclusion: 'block'`, status 403).
 */
export interface BanEvent {
  type: 'ban'
  at: number
  /** `ip:…`, `key:…`, `user:…` or `by:…` */
  subject: string
  /** The IP, or the subject for the others. */
  target: string
  /** The client IP of the request that caused it; absent for manual bans. */
  ip?: string
  rule: BanRule
  /** e.g. `Burst: 51 req/s (limit 50)` */
  reason: string
  ttlS: number
  expiresAt: number
  offense: number
  /** False when the rule is in monitor mode. */
  enforced: boolean
  method?: string
  path?: string
  userAgent?: string
}

/** A ban was lifted by `engine.unban()` (not when it expires). */
export interface UnbanEvent {
  type: 'unban'
  at: number
  subject: string
  target: string
}

/**
 * @deprecated Use `BanEvent` and the `'ban'` event. The deprecated `'block'` event carries the same fields with
 * `type: 'block'`.
 */
export interface BlockEvent extends Omit<BanEvent, 'type'> {
  type: 'block'
}

/**
 * @deprecated Use `UnbanEvent` and the `'unban'` event. The deprecated `'unblock'` event carries the same fields with
 * `type: 'unblock'`.
 */
export interface UnblockEvent extends Omit<UnbanEvent, 'type'> {
  type: 'unblock'
}

/**
 * The store dropped an active ban before its end to make room for a new one (the memory store's ban table was full:
 * the ban closing soonest goes first). The subject is answered again from then on.
 */
export interface EvictedEvent {
  type: 'evicted'
  at: number
  subject: string
  target: string
  /** When the dropped ban would have ended. */
  expiresAt: number
}

/** A request raised a suspicious signal (probe path, oversized body, refused rate limit, your rule's). */
export interface SuspiciousEvent {
  type: 'suspicious'
  at: number
  subject: string
  ip: string
  kind: 'probe' | 'body-size' | 'endpoint' | (string & {})
  /** Suspicion events in the window after this one. */
  count: number
  /** Events that lead to a ban. */
  threshold: number
  method: string
  path: string
  detail: string
}

/** The store became unavailable (decisions now come from the fallback) or recovered. Once per change. */
export interface StoreEvent {
  type: 'store'
  at: number
  state: 'degraded' | 'recovered'
  store: string
  error?: string
}

export interface BulwarkEvents {
  decision: [DecisionEvent]
  ban: [BanEvent]
  unban: [UnbanEvent]
  /** @deprecated Use `'ban'`: emitted (with `type: 'block'`) only while it has listeners. */
  block: [BlockEvent]
  /** @deprecated Use `'unban'`: emitted (with `type: 'unblock'`) only while it has listeners. */
  unblock: [UnblockEvent]
  suspicious: [SuspiciousEvent]
  /** A ban was dropped before its end because the store's ban table was full. */
  evicted: [EvictedEvent]
  store: [StoreEvent]
  /** A setup problem, once per code (see `DIAGNOSTICS`). */
  diagnostic: [Diagnostic]
  error: [BulwarkError]
}

export type BulwarkEventName = keyof BulwarkEvents
export type BulwarkListener<E extends BulwarkEventName> = (...args: BulwarkEvents[E]) => void
