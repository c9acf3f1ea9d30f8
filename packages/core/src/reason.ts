import type { BanRecord, BanRule } from './types.js'

/** `1s`, `60s`, `5 min`, `24h`: a window as people say it. */
export function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000} min`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}

/** Windows of the rules, to word a ban's reason. */
export type RuleWindows = Partial<Record<BanRule, number>>

export const DEFAULT_WINDOWS: Required<
  Pick<RuleWindows, 'burst' | 'auth-failures' | 'scraping' | 'suspicion'>
> = {
  burst: 1000,
  'auth-failures': 60_000,
  scraping: 300_000,
  suspicion: 86_400_000,
}

/** The reason of a ban, e.g. `Burst: 51 req/s (limit 50)`. */
export function describeBan(
  ban: Pick<BanRecord, 'rule' | 'count' | 'limit' | 'note'>,
  windows: RuleWindows = {},
): string {
  const w = { ...DEFAULT_WINDOWS, ...windows }
  const { count, limit } = ban
  switch (ban.rule) {
    case 'burst':
      return w.burst === 1000
        ? `Burst: ${count} req/s (limit ${limit})`
        : `Burst: ${count} requests in ${formatWindow(w.burst)} (limit ${limit})`
    case 'auth-failures':
      return `Auth failures: ${count} in ${formatWindow(w['auth-failures'])} (limit ${limit})`
    case 'scraping':
      return `Scraping: ${count} distinct items in ${formatWindow(w.scraping)} (limit ${limit})`
    case 'suspicion':
      return `Suspicious activity: ${count} events in ${formatWindow(w.suspicion)} (ban at ${(limit ?? 0) + 1})`
    case 'scanner':
      return `Scanner user agent: ${ban.note ?? 'unknown'}`
    case 'probe':
      return `Probe path: ${ban.note ?? 'unknown'}`
    case 'manual':
      return ban.note ? `Manual block: ${ban.note}` : 'Manual block'
    default:
      return ban.note ?? String(ban.rule)
  }
}
