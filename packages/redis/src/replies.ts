import type { ActiveBan, BanRecord, BanRule, HitResult, Measure } from '@bulwark/core'

/** `encode_ban` in lua/shared.ts: subject, rule, createdAt, expiresAt, offense, enforced, created, note, count, limit. */
type BanReply = [
  string,
  string,
  number,
  number,
  number,
  number,
  number,
  string | null,
  number,
  number,
  number?,
]
/** A measure as `hit.lua` sends it: a number, or `[allowed (1/0), remaining, resetMs]` for a window. */
type MeasureReply = number | [number, number, number]

export function decodeBan(r: BanReply): ActiveBan {
  const ban: ActiveBan = {
    subject: r[0],
    rule: r[1] as BanRule,
    createdAt: r[2],
    expiresAt: r[3],
    offense: r[4],
    enforced: r[5] === 1,
    created: r[6] === 1,
  }
  if (r[7] !== null) ban.note = r[7]
  if (r[8] >= 0) ban.count = r[8]
  if (r[9] >= 0) ban.limit = r[9]
  if (r[10] === 1) ban.limited = true
  return ban
}

/** A ban as `getBan`/`listBans` return it (no `created`). */
export function toRecord(ban: ActiveBan): BanRecord {
  const { created: _, ...record } = ban
  return record
}

/**
 * One op's entry in a `hit.lua` reply: an error message (that op failed alone), `now` alone (no ban, nothing
 * measured: the common request, answered with empty counts), or the full answer.
 */
export function decodeOpReply(reply: unknown): HitResult {
  if (typeof reply === 'string') throw new Error(reply)
  if (typeof reply === 'number') return { ban: null, counts: [], now: reply }
  return decodeHit(reply)
}

export function decodeHit(reply: unknown): HitResult {
  const [now, ban, counts] = reply as [number, BanReply | null, MeasureReply[][]]
  // The reply's own lists become the measures: only a window's triple is replaced, in place.
  for (const measures of counts) {
    for (let j = 0; j < measures.length; j++) {
      const m = measures[j] as MeasureReply
      if (typeof m !== 'number') {
        ;(measures as Measure[])[j] = { allowed: m[0] === 1, remaining: m[1], resetMs: m[2] }
      }
    }
  }
  return { ban: ban === null ? null : decodeBan(ban), counts: counts as Measure[][], now }
}

/**
 * Merge per-slot partial results of one op split across cluster slots (one subject each, in the op's order), as one
 * call would have answered.
 */
export function mergeHits(parts: readonly HitResult[]): HitResult {
  const now = parts[0]?.now ?? 0
  for (const p of parts) {
    // An enforced ban that already existed answers the request: nothing counted, empty counts.
    const b = p.ban
    if (b?.enforced && !b.created) return { ban: b, counts: [], now }
  }
  let result: ActiveBan | null = null
  let observed: ActiveBan | null = null
  let measured = false
  for (const p of parts) {
    if (p.counts.length > 0) measured = true
    const b = p.ban
    if (b === null) continue
    if (b.created) {
      if (result === null || (!result.enforced && b.enforced)) result = b
    } else {
      observed ??= b
    }
  }
  const ban = result ?? observed
  // As one call: empty counts when nothing was measured and no ban, else one list per subject.
  const counts = measured || ban !== null ? parts.map((p) => p.counts[0] ?? []) : []
  return { ban, counts, now }
}
