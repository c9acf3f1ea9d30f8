import { DEFAULTS } from '../defaults.js'
import { fingerprint } from '../fingerprint.js'
import { formatWindow } from '../format-window.js'
import type { EventsCount, SpreadCount } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, modeOption, objectOption, positiveInt } from './options.js'
import type { By, Rule, RuleAsk } from './rule.js'

/** The event adapters report for a response with an auth-failure status, and `reportAuthFailure()` reports. */
export const AUTH_FAILURE = 'auth-failure'
/**
 * Reported before the handler of an authentication route runs (`mw.auth()`, fastify `config.bulwark.auth`): the
 * attempt is counted as a failure up front (a reservation), so concurrent guesses cannot race past the limit.
 */
export const AUTH_ATTEMPT = 'auth-attempt'
/** Reported when a reserved attempt did not fail: the reservation is given back. */
export const AUTH_REFUND = 'auth-refund'

export interface AuthFailuresOptions extends CountingRuleOptions {
  /**
   * An API key, a user (or a `by` function's key) is banned only when its failures — more than `limit` in `windowMs`
   * — come from at least this many clients (distinct addresses, IPv6 by `ipv6Prefix`). Default 3. One attacker
   * sending a victim's key or user name with wrong passwords then gets only their own address banned, while a
   * credential-stuffing campaign from many addresses still bans the key. `1` bans on the failures alone. The client's
   * own address (`by: 'ip'`) is always banned on its failures alone.
   */
  minClients?: number
}

/**
 * More than `limit` failed authentications in `windowMs` → ban. Default: more than 10 in 60 s, counted per IP and per
 * API key; the key is banned only when its failures come from 3 clients or more (`minClients`). Counted when the app
 * reports one: a response with status 401 (the adapters' `isAuthFailure`), or `req.bulwark.reportAuthFailure()` /
 * `engine.reportAuthFailure(facts)`. On an authentication route (`mw.auth()` in express and koa,
 * `config.bulwark.auth` in fastify) every attempt is counted before its handler runs and given back when the answer
 * is not a failure: at most `limit` failures can be in flight or done per window, concurrently or not (the attempt
 * that would be the `limit + 1`-th bans).
 */
export function authFailures(options?: AuthFailuresOptions): Rule {
  const o = objectOption(options, 'authFailures') as AuthFailuresOptions
  const limit = positiveInt(o.limit ?? DEFAULTS.authFailures.limit, 'authFailures.limit')
  const windowMs = positiveInt(o.windowMs ?? DEFAULTS.authFailures.windowMs, 'authFailures.windowMs')
  const minClients = positiveInt(o.minClients ?? DEFAULTS.authFailures.minClients, 'authFailures.minClients')
  const mode = modeOption(o.mode, 'authFailures')
  const count: EventsCount = { kind: 'events', rule: 'auth-failures', key: 'a', limit, windowMs, add: 1 }
  if (mode === 'monitor') count.monitor = true
  const by = byOption(o.by, 'authFailures', ['ip', 'apiKey'])
  const list: readonly By[] = Array.isArray(by) ? by : [by as By]
  const others = list.filter((b) => b !== 'ip')
  const ask: RuleAsk = Object.freeze({ count, by })
  const refund: RuleAsk = Object.freeze({ count: { ...count, add: -1 }, by })
  const describe = (ban: BanRecord) =>
    `Auth failures: ${ban.count} in ${formatWindow(windowMs)} (limit ${ban.limit})`
  if (minClients === 1 || others.length === 0) {
    return {
      id: 'auth-failures',
      mode,
      on: [AUTH_FAILURE, AUTH_ATTEMPT, AUTH_REFUND],
      check: (request) => (request.event === AUTH_REFUND ? refund : ask),
      describe,
    }
  }
  const perClient = list.includes('ip') ? [{ count, by: 'ip' as const }] : []
  const perClientRefund = list.includes('ip')
    ? [{ count: refund.count as EventsCount, by: 'ip' as const }]
    : []
  const sharedBy: By | readonly By[] = others.length === 1 ? (others[0] as By) : others
  return {
    id: 'auth-failures',
    mode,
    on: [AUTH_FAILURE, AUTH_ATTEMPT, AUTH_REFUND],
    check(request) {
      const back = request.event === AUTH_REFUND
      const spread: SpreadCount = {
        kind: 'spread',
        rule: 'auth-failures',
        key: 'a',
        limit,
        windowMs,
        add: back ? -1 : 1,
        source: fingerprint(request.client),
        sources: minClients,
      }
      if (mode === 'monitor') spread.monitor = true
      return { counts: [...(back ? perClientRefund : perClient), { count: spread, by: sharedBy }] }
    },
    describe,
  }
}
