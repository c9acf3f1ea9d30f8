import { DEFAULTS } from '../defaults.js'
import { formatWindow } from '../format-window.js'
import type { EventsCount } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, modeOption, objectOption, positiveInt } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

/** The event adapters report for a response with an auth-failure status, and `reportAuthFailure()` reports. */
export const AUTH_FAILURE = 'auth-failure'
/**
 * Reported before the handler of an authentication route runs (`mw.auth()`, fastify `config.bulwark.auth`): the
 * attempt is counted as a failure up front (a reservation), so concurrent guesses cannot race past the limit.
 */
export const AUTH_ATTEMPT = 'auth-attempt'
/** Reported when a reserved attempt did not fail: the reservation is given back. */
export const AUTH_REFUND = 'auth-refund'

/**
 * More than `limit` failed authentications in `windowMs` → ban. Default: more than 10 in 60 s, counted per IP and per
 * API key. Counted when the app reports one: a response with status 401 (the adapters' `isAuthFailure`), or
 * `req.bulwark.reportAuthFailure()` / `engine.reportAuthFailure(facts)`. On an authentication route
 * (`mw.auth()` in express and koa, `config.bulwark.auth` in fastify) every attempt is counted before its handler
 * runs and given back when the answer is not a failure: at most `limit` failures can be in flight or done per
 * window, concurrently or not (the attempt that would be the `limit + 1`-th bans).
 */
export function authFailures(options?: CountingRuleOptions): Rule {
  const o = objectOption(options, 'authFailures')
  const limit = positiveInt(o.limit ?? DEFAULTS.authFailures.limit, 'authFailures.limit')
  const windowMs = positiveInt(o.windowMs ?? DEFAULTS.authFailures.windowMs, 'authFailures.windowMs')
  const mode = modeOption(o.mode, 'authFailures')
  const count: EventsCount = { kind: 'events', rule: 'auth-failures', key: 'a', limit, windowMs, add: 1 }
  if (mode === 'monitor') count.monitor = true
  const by = byOption(o.by, 'authFailures', ['ip', 'apiKey'])
  const ask: RuleAsk = Object.freeze({ count, by })
  const refund: RuleAsk = Object.freeze({ count: { ...count, add: -1 }, by })
  return {
    id: 'auth-failures',
    mode,
    on: [AUTH_FAILURE, AUTH_ATTEMPT, AUTH_REFUND],
    check: (request) => (request.event === AUTH_REFUND ? refund : ask),
    describe: (ban: BanRecord) =>
      `Auth failures: ${ban.count} in ${formatWindow(windowMs)} (limit ${ban.limit})`,
  }
}
