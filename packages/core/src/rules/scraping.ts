import { DEFAULTS } from '../defaults.js'
import { fingerprint } from '../fingerprint.js'
import { formatWindow } from '../format-window.js'
import type { DistinctCount } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, modeOption, objectOption, positiveInt } from './options.js'
import type { By, Rule, RuleAsk, RuleRequest } from './rule.js'

/**
 * More than `limit` distinct queried items in `windowMs` → ban. Default: more than 500 in 5 min, per IP and per API
 * key. The item is what the adapters' `item(req)` option reads (an id, a hash); requests without one are not counted.
 */
export function scraping(options?: CountingRuleOptions): Rule {
  const o = objectOption(options, 'scraping')
  const limit = positiveInt(o.limit ?? DEFAULTS.scraping.limit, 'scraping.limit')
  const windowMs = positiveInt(o.windowMs ?? DEFAULTS.scraping.windowMs, 'scraping.windowMs')
  const mode = modeOption(o.mode, 'scraping')
  const by: By | readonly By[] = byOption(o.by, 'scraping', ['ip', 'apiKey'])
  const monitor = mode === 'monitor'
  return {
    id: 'scraping',
    mode,
    on: 'request',
    check(request: RuleRequest): RuleAsk | null {
      const item = request.facts.item
      if (typeof item !== 'string' || item.length === 0) return null
      const count: DistinctCount = {
        kind: 'distinct',
        rule: 'scraping',
        key: 'i',
        limit,
        windowMs,
        value: fingerprint(item),
      }
      if (monitor) count.monitor = true
      return { count, by }
    },
    describe: (ban: BanRecord) =>
      `Scraping: ${ban.count} distinct items in ${formatWindow(windowMs)} (limit ${ban.limit})`,
  }
}
