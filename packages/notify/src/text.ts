import type { BanEvent } from '@bulwark/core'
import type { Digest, Notification } from './types.js'

/** Control characters (newlines included) become spaces, so one notification is one log line. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
}

/** Cuts a text to `max` characters (code points are not split), marking the cut with `…`. */
export function clamp(text: string, max: number): string {
  if (text.length <= max) return text
  let cut = text.slice(0, Math.max(0, max - 1))
  // do not leave half of a surrogate pair
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1)
  return `${cut}…`
}

/** `IP` or `Key` and the target, as the seed's line shows it. */
export function subjectLabel(event: { subject: string; target: string }): {
  label: 'IP' | 'Key'
  value: string
} {
  return event.subject.startsWith('key:')
    ? { label: 'Key', value: event.target }
    : { label: 'IP', value: event.target }
}

export function isMonitor(event: BanEvent): boolean {
  return event.enforced === false
}

/** `minute`, `5 minutes`, `30 seconds`, `hour` … for "in the last …". */
export function formatPeriod(ms: number): string {
  const units: [number, string][] = [
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ]
  for (const [size, name] of units) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size
      return n === 1 ? name : `${n} ${name}s`
    }
  }
  return `${ms} ms`
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** "37 more IPs banned in the last minute" (and unbans, when any were folded). */
export function digestSummary(digest: Digest): string {
  const period = formatPeriod(digest.intervalMs)
  if (digest.banned === 0)
    return `${plural(digest.unbanned, 'more unban', 'more unbans')} in the last ${period}`
  const noun = digest.allIps ? ['IP', 'IPs'] : ['subject', 'subjects']
  let text = `${plural(digest.banned, `more ${noun[0]}`, `more ${noun[1]}`)} banned in the last ${period}`
  if (digest.monitor > 0) text += ` (${digest.monitor} in monitor mode)`
  if (digest.unbanned > 0) text += `, ${plural(digest.unbanned, 'unban', 'unbans')}`
  return text
}

/** "203.0.113.1, 203.0.113.2 and 35 more". Empty when no target was folded. */
export function digestTargets(digest: Digest): string {
  if (digest.targets.length === 0) return ''
  const rest = digest.banned - digest.targets.length
  return digest.targets.join(', ') + (rest > 0 ? ` and ${rest} more` : '')
}

/** "burst 30, probe 7", most frequent first. */
export function digestRules(digest: Digest): string {
  return Object.entries(digest.rules)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([rule, n]) => `${rule} ${n}`)
    .join(', ')
}

/**
 * The one-line text of a notification, as the logger channel writes it:
 * `Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s`.
 * A monitor-mode ban reads `Security Block observed (monitor mode) | …`, as the engine's own log line does.
 */
export function formatText(notification: Notification): string {
  switch (notification.kind) {
    case 'ban': {
      const e = notification.event
      const who = subjectLabel(e)
      // the same wording as the engine's own log line
      const head = isMonitor(e) ? 'Security Block observed (monitor mode)' : 'Security Block activated'
      const parts = [head, `${who.label}: ${who.value}`]
      if (who.label === 'Key' && e.ip) parts.push(`IP: ${e.ip}`)
      parts.push(`Reason: ${e.reason}`, `Duration: ${e.ttlS}s`)
      return oneLine(parts.join(' | '))
    }
    case 'unban': {
      const who = subjectLabel(notification.event)
      return oneLine(`Security Block lifted | ${who.label}: ${who.value}`)
    }
    case 'digest': {
      const d = notification.digest
      const targets = digestTargets(d)
      const parts = [`Security Block digest | ${digestSummary(d)}${targets ? `: ${targets}` : ''}`]
      const rules = digestRules(d)
      if (rules) parts.push(`Rules: ${rules}`)
      return oneLine(parts.join(' | '))
    }
  }
}
