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

export function bansTable(bans: readonly BanInfo[], now: number): string {
  if (bans.length === 0) return 'No active bans.'
  return table(
    ['TARGET', 'RULE', 'REASON', 'TIME LEFT', 'OFFENSE', 'MODE'],
    bans.map((b) => [
      b.target,
      b.rule,
      b.reason,
      formatDuration(b.expiresAt - now),
      String(b.offense),
      b.enforced ? 'enforced' : 'monitor',
    ]),
  )
}
