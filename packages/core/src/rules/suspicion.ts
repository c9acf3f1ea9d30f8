import { DEFAULTS } from '../defaults.js'
import { formatWindow } from '../format-window.js'
import type { EventsCount } from '../store.js'
import type { BanRecord, Mode } from '../types.js'
import { BODY_TOO_LARGE } from './body-size.js'
import { modeOption, objectOption, positiveInt } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

export interface SuspicionOptions {
  /** Suspicious events in `windowMs` that lead to a ban. Default 5 in 24 h. */
  events?: number
  windowMs?: number
  mode?: Mode
}

/**
 * `events` suspicious events per IP in `windowMs` → ban. The events are the signals of the rules before it (probe
 * paths, oversized bodies — declared, or cut while read: the `BODY_TOO_LARGE` report) and refused rate limits
 * (counted by the store, atomically, when the limit counts the IP). Runs after every other rule.
 */
export function suspicion(options?: SuspicionOptions): Rule & { readonly events: number } {
  const o = objectOption(options, 'suspicion')
  const events = positiveInt(o.events ?? DEFAULTS.suspicion.events, 'suspicion.events')
  const windowMs = positiveInt(o.windowMs ?? DEFAULTS.suspicion.windowMs, 'suspicion.windowMs')
  const mode = modeOption(o.mode, 'suspicion')
  // One ask per number of signals this request raised (0 still counts refused limits); more than 2 are rare.
  const asks: RuleAsk[] = [0, 1, 2].map((add) => {
    const count: EventsCount = {
      kind: 'events',
      rule: 'suspicion',
      key: 's',
      limit: events - 1,
      windowMs,
      add,
      addRefused: true,
    }
    if (mode === 'monitor') count.monitor = true
    return Object.freeze({ count, by: 'ip' as const })
  })
  return {
    id: 'suspicion',
    mode,
    on: ['request', BODY_TOO_LARGE],
    events,
    check(request) {
      const n = request.signals.length
      if (n === 0 && !request.suspiciousLimit) return null
      const ask = asks[n]
      if (ask !== undefined) return ask
      return { count: { ...(asks[0]!.count as EventsCount), add: n }, by: 'ip' }
    },
    describe: (ban: BanRecord) =>
      `Suspicious activity: ${ban.count} events in ${formatWindow(windowMs)} (ban at ${(ban.limit ?? 0) + 1})`,
  }
}
