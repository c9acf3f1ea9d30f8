import type { BanInfo } from '@bulwark/core'
import { formatDuration } from './duration.js'

/** Plain columns, padded to the widest cell; no colours so it pipes well. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/**
 * The active bans, one a line: where each comes from (`SOURCE`: the rule that wrote it, `manual`, or a deny source's
 * name, a list or `crowdsec`), and how long it has left (`until removed` for a deny source's entry, which lasts until
 * its source drops it).
 */
export function bansTable(bans: readonly BanInfo[], now: number): string {
  if (bans.length === 0) return 'No active bans.'
  return table(
    ['TARGET', 'RULE', 'SOURCE', 'REASON', 'TIME LEFT', 'OFFENSE', 'MODE'],
    bans.map((b) => [
      b.target,
      b.rule,
      // An admin API of an older release sends no source: the rule is where the ban came from.
      typeof b.source === 'string' && b.source !== '' ? b.source : b.rule,
      b.reason,
      b.expiresAt === 0 ? 'until removed' : formatDuration(b.expiresAt - now),
      String(b.offense),
      b.enforced ? 'enforced' : 'monitor',
    ]),
  )
}

/** Decisions per rule: the rule, then allowed, limited, blocked and the total; the busiest first. */
export function rulesTable(rules: Record<string, { allow: number; limit: number; block: number }>): string {
  const rows = Object.entries(rules)
    .map(([rule, c]) => ({ rule, ...c, total: c.allow + c.limit + c.block }))
    .sort((a, b) => b.total - a.total || a.rule.localeCompare(b.rule))
  if (rows.length === 0) return 'No decisions yet.'
  return table(
    ['RULE', 'ALLOWED', 'LIMITED', 'BLOCKED', 'TOTAL'],
    rows.map((r) => [r.rule, String(r.allow), String(r.limit), String(r.block), String(r.total)]),
  )
}
