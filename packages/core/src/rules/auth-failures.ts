import { DEFAULTS } from '../defaults.js'
import { formatWindow } from '../format-window.js'
import type { EventsCount } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, modeOption, objectOption, positiveInt } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

/** The event adapters report for a response with an auth-failure status, and `reportAuthFailure()` reports. */
export const AUTH_FAILURE = 'auth-failure'

/**
 * More than `limit` failed authentications in `windowMs` → ban. Default: more than 10 in 60 s, counted per IP and per
 * API key. Counted when the app reports one: a response with status 401 (the adapters' `isAuthFailure`), or
 * `req.bulwark.reportAuthFailure()` / `engine.reportAuthFailure(facts)`.
 */
export function authFailures(options?: CountingRuleOptions): Rule {
  const o = objectOption(options, 'authFailures')
  const limit = positiveInt(o.limit ?? DEFAULTS.authFailures.limit, 'authFailures.limit')
  const windowMs = positiveInt(o.windowMs ?? DEFAULTS.authFailures.windowMs, 'authFailures.windowMs')
  const mode = modeOption(o.mode, 'authFailures')
  const count: EventsCount = { kind: 'events', rule: 'auth-failures', key: 'a', limit, windowMs, add: 1 }
  if (mode === 'monitor') count.monitor = true
  const ask: RuleAsk = Object.freeze({ count, by: byOption(o.by, 'authFailures', ['ip', 'apiKey']) })
  return {
    id: 'auth-failures',
    mode,
    on: AUTH_FAILURE,
    check: () => ask,
    describe: (ban: BanRecord) =>
      `Auth failures: ${ban.count} in ${formatWindow(windowMs)} (limit ${ban.limit})`,
  }
}
