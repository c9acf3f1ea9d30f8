import { DEFAULTS } from '../defaults.js'
import { formatWindow } from '../format-window.js'
import { constantAsk } from '../rule-plan.js'
import type { RequestsCount } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, modeOption, objectOption, positiveInt } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

/**
 * More than `limit` requests in any `windowMs` → ban. Default: more than 50 requests from one IP within any second.
 * Exact: the store keeps a sliding log of request times, so the 51st request within 1 s trips, never the 50th.
 */
export function burst(options?: CountingRuleOptions): Rule {
  const o = objectOption(options, 'burst')
  const limit = positiveInt(o.limit ?? DEFAULTS.burst.limit, 'burst.limit')
  const windowMs = positiveInt(o.windowMs ?? DEFAULTS.burst.windowMs, 'burst.windowMs')
  const mode = modeOption(o.mode, 'burst')
  const count: RequestsCount = { kind: 'requests', rule: 'burst', key: 'b', limit, windowMs }
  if (mode === 'monitor') count.monitor = true
  const ask: RuleAsk = Object.freeze({ count, by: byOption(o.by, 'burst', 'ip') })
  const rule: Rule = {
    id: 'burst',
    mode,
    on: 'request',
    check: () => ask,
    describe: (ban: BanRecord) =>
      windowMs === 1000
        ? `Burst: ${ban.count} req/s (limit ${ban.limit})`
        : `Burst: ${ban.count} requests in ${formatWindow(windowMs)} (limit ${ban.limit})`,
  }
  return constantAsk(rule, ask)
}
