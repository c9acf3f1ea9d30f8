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

/** A ban was created: by a rule (once, by the engine whose store call wrote it) or by `engine.block()`. */
export interface BlockEvent {
  type: 'block'
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

export interface UnblockEvent {
  type: 'unblock'
  at: number
  subject: string
  target: string
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
  block: [BlockEvent]
  unblock: [UnblockEvent]
  suspicious: [SuspiciousEvent]
  store: [StoreEvent]
  /** A setup problem, once per code (see `DIAGNOSTICS`). */
  diagnostic: [Diagnostic]
  error: [BulwarkError]
}

export type BulwarkEventName = keyof BulwarkEvents
export type BulwarkListener<E extends BulwarkEventName> = (...args: BulwarkEvents[E]) => void
