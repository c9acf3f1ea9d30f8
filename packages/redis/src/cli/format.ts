import type { BanInfo } from '@bulwark/core'
import type { AdminStats } from './backend.js'
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

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

/** `50 in 1s`: a limit and its window. */
function perWindow(limit: unknown, windowMs: unknown): string {
  return `${String(limit)} in ${typeof windowMs === 'number' ? formatDuration(windowMs) : String(windowMs)}`
}

/** `10 MiB`, `512 kB`, `300 B`. */
function bytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} kB`
  return `${n} B`
}

type Rec = Record<string, unknown>
const isRec = (v: unknown): v is Rec => v !== null && typeof v === 'object' && !Array.isArray(v)

/** One built-in rule's settings from `GET /api/info`, in a few words; `off` when it is switched off. */
function ruleSetting(name: string, r: unknown): string {
  if (!isRec(r)) return r === false || r === undefined || r === null ? 'off' : JSON.stringify(r)
  const mode = typeof r.mode === 'string' && r.mode !== 'enforce' ? ` (${r.mode})` : ''
  switch (name) {
    case 'burst':
    case 'authFailures':
      return `${perWindow(r.limit, r.windowMs)}${mode}`
    case 'scraping':
      return `${String(r.limit)} distinct items in ${formatDuration(Number(r.windowMs))}${mode}`
    case 'suspicion':
      return `${String(r.events)} suspicious events in ${formatDuration(Number(r.windowMs))}${mode}`
    case 'bodySize':
      return `${bytes(Number(r.maxBytes))}${mode}`
    case 'ban': {
      const escalates = typeof r.factor === 'number' && r.factor > 1
      return `${formatDuration(Number(r.ttlMs))}${escalates ? `, ×${r.factor} for repeat offenders up to ${formatDuration(Number(r.maxTtlMs))}` : ''}`
    }
    default:
      return JSON.stringify(r)
  }
}

/**
 * `GET /api/info` for people: the mode, the store, each rule's limit, each endpoint limit, then whatever the app
 * added (`info()` of `createAdmin`), as JSON.
 */
export function infoTable(info: Rec): string {
  const rows: string[][] = []
  if (info.mode !== undefined) rows.push(['mode', String(info.mode)])
  if (isRec(info.store)) rows.push(['store', `${String(info.store.name)} (${String(info.store.state)})`])
  if (isRec(info.rules))
    for (const [name, r] of Object.entries(info.rules)) rows.push([name, ruleSetting(name, r)])
  if (Array.isArray(info.endpoints))
    for (const e of info.endpoints as Rec[])
      rows.push([
        `endpoint ${String(e.match)}`,
        `${perWindow(e.limit, e.windowMs)}${e.id ? ` (${String(e.id)})` : ''}`,
      ])
  for (const [key, value] of Object.entries(info)) {
    if (['service', 'mode', 'store', 'rules', 'endpoints'].includes(key)) continue
    rows.push([key, typeof value === 'string' ? value : JSON.stringify(value)])
  }
  return table(['SETTING', 'VALUE'], rows)
}

/**
 * `GET /api/stats` for people: two lines of totals, the decisions per rule, then the deny sources and the crawlers
 * seen, when there are any.
 */
export function statsText(stats: AdminStats): string {
  const t = stats.totals
  const parts = [
    `Since start: ${t.allow} allowed, ${t.limit} limited, ${t.block} blocked; ${plural(t.authFailures, 'failed authentication')}; ${plural(t.bans, 'ban')} created`,
    `Now: ${plural(stats.banCount, 'active ban')}, store ${stats.store.name} (${stats.store.state}), mode ${stats.mode}${stats.banError ? ` (bans could not be listed: ${stats.banError})` : ''}`,
    '',
    rulesTable(stats.rules),
  ]
  const sources = [
    ...new Set([...Object.keys(stats.denied ?? {}), ...Object.keys(stats.denyEntries ?? {})]),
  ].sort()
  if (sources.length > 0)
    parts.push(
      '',
      table(
        ['DENY SOURCE', 'ENTRIES', 'REFUSED'],
        sources.map((s) => [s, String(stats.denyEntries?.[s] ?? 0), String(stats.denied?.[s] ?? 0)]),
      ),
    )
  if (stats.bots !== undefined && stats.bots.length > 0)
    parts.push(
      '',
      table(
        ['CRAWLER', 'IP', 'STATUS', 'SEEN', 'DETAIL'],
        stats.bots.map((b) => [b.bot, b.ip, b.status, String(b.count), b.detail]),
      ),
    )
  return parts.join('\n')
}

/** Column widths of the `bulwark events` lines; the last column (what) takes the rest. */
const EVENT_COLUMNS = [8, 8, 10, 14, 6, 24] as const
export const EVENTS_HEADER = eventRow(['TIME', 'EVENT', 'OUTCOME', 'RULE', 'STATUS', 'CLIENT', 'WHAT'])

function eventRow(cells: readonly string[]): string {
  return cells
    .map((c, i) => {
      const w = EVENT_COLUMNS[i]
      return w === undefined ? c : c.length > w ? `${c.slice(0, w - 1)}…` : c.padEnd(w)
    })
    .join('  ')
    .trimEnd()
}

const clock = (at: unknown) =>
  typeof at === 'number' && Number.isFinite(at) ? new Date(at).toISOString().slice(11, 19) : '--:--:--'
const str = (v: unknown) => (typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v))

/**
 * What one event of the stream prints, for people: one line per decision of a batch (and one for those the app
 * skipped), one per ban, unban, store change or stats tick. `hello` prints nothing.
 */
export function eventLines(event: string, data: unknown): string[] {
  const d = isRec(data) ? data : {}
  switch (event) {
    case 'decisions': {
      const items = Array.isArray(d.items) ? (d.items as Rec[]) : []
      const lines = items.map((i) =>
        eventRow([
          clock(i.at),
          'decision',
          `${str(i.conclusion)}${i.enforced === false ? '*' : ''}`,
          str(i.rule ?? 'none'),
          str(i.status),
          str(i.ip),
          `${str(i.method)} ${str(i.path)}${i.reason ? ` · ${str(i.reason)}` : ''}${i.source && i.source !== i.rule ? ` (${str(i.source)})` : ''}`,
        ]),
      )
      if (typeof d.skipped === 'number' && d.skipped > 0)
        lines.push(
          eventRow([
            clock(items.at(-1)?.at),
            'skipped',
            '',
            '',
            '',
            '',
            `${d.skipped} more decisions the app did not send (at most 40 per 250 ms)`,
          ]),
        )
      return lines
    }
    case 'ban':
      return [
        eventRow([
          clock(d.at),
          'ban',
          d.enforced === false ? 'monitor' : 'banned',
          str(d.rule),
          '',
          str(d.target),
          `${formatDuration(Number(d.ttlS) * 1000)} · ${str(d.reason)}${typeof d.offense === 'number' && d.offense > 1 ? ` (offense ${d.offense})` : ''}`,
        ]),
      ]
    case 'unban':
      return [eventRow([clock(d.at), 'unban', 'lifted', '', '', str(d.target), ''])]
    case 'store':
      return [
        eventRow([
          clock(d.at),
          'store',
          str(d.state),
          '',
          '',
          '',
          `${str(d.store)}${d.error ? `: ${str(d.error)}` : ''}`,
        ]),
      ]
    case 'stats': {
      const t = isRec(d.totals) ? d.totals : {}
      return [
        eventRow([
          clock(d.now),
          'stats',
          '',
          '',
          '',
          '',
          `${str(t.allow)} allowed, ${str(t.limit)} limited, ${str(t.block)} blocked, ${str(d.banCount)} active bans`,
        ]),
      ]
    }
    case 'hello':
      return []
    default:
      return [eventRow([clock(d.at), event.slice(0, 8), '', '', '', '', JSON.stringify(data)])]
  }
}
