import type { BulwarkError } from './errors.js'
import type { BanRule, Decision } from './types.js'

/** Emitted for every decision other than a plain allow (and for every decision when `emitAllDecisions` is on). */
export interface DecisionEvent {
  type: 'decision'
  /** `request` for `inspect`/`decide`; `auth-failure` for `reportAuthFailure` (no method or path). */
  source: 'request' | 'auth-failure'
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
  /** `ip:…` or `key:…` */
  subject: string
  /** The IP or the hashed key, without the prefix. */
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

/** A request added a suspicion event (probe path, oversized body, endpoint limit hit). */
export interface SuspiciousEvent {
  type: 'suspicious'
  at: number
  subject: string
  ip: string
  kind: 'probe' | 'body-size' | 'endpoint'
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
  error: [BulwarkError]
}

export type BulwarkEventName = keyof BulwarkEvents
export type BulwarkListener<E extends BulwarkEventName> = (...args: BulwarkEvents[E]) => void
