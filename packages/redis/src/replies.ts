import type { ActiveBan, BanRecord, BanRule, HitResult, SubjectCounts } from '@bulwark/core'

/** `encode_ban` in lua/shared.ts: subject, rule, createdAt, expiresAt, offense, enforced, created, note, count, limit. */
type BanReply = [string, string, number, number, number, number, number, string | null, number, number]
type CountsReply = [number, number, number, number, number, number, number]

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
  return ban
}

/** A ban as `getBan`/`listBans` return it (no `created`). */
export function toRecord(ban: ActiveBan): BanRecord {
  const { created: _, ...record } = ban
  return record
}

function decodeCounts(c: CountsReply): SubjectCounts {
  const out: SubjectCounts = {}
  if (c[0] >= 0) out.burst = c[0]
  if (c[1] >= 0) out.authFailures = c[1]
  if (c[2] >= 0) out.items = c[2]
  if (c[3] >= 0) out.suspicion = c[3]
  if (c[4] >= 0) out.endpoint = { allowed: c[4] === 1, remaining: c[5], resetMs: c[6] }
  return out
}

/**
 * One op's entry in a `hit.lua` reply: an error message (that op failed alone), `now` alone (no ban, nothing
 * measured: the common request), or the full answer.
 */
export function decodeOpReply(reply: unknown, subjects: number): HitResult {
  if (typeof reply === 'string') throw new Error(reply)
  if (typeof reply === 'number') {
    const counts: SubjectCounts[] = []
    for (let i = 0; i < subjects; i++) counts.push({})
    return { ban: null, counts, now: reply }
  }
  return decodeHit(reply)
}

export function decodeHit(reply: unknown): HitResult {
  const [now, ban, counts] = reply as [number, BanReply | null, CountsReply[]]
  return { ban: ban === null ? null : decodeBan(ban), counts: counts.map(decodeCounts), now }
}

/** Merge per-slot partial results of one op split across cluster slots, as one call would have answered. */
export function mergeHits(parts: readonly HitResult[]): HitResult {
  const now = parts[0]?.now ?? 0
  for (const p of parts) {
    // Empty counts: an enforced ban already existed on this subject.
    if (p.counts.length === 0) return { ban: p.ban, counts: [], now }
  }
  let result: ActiveBan | null = null
  let observed: ActiveBan | null = null
  for (const p of parts) {
    const b = p.ban
    if (b === null) continue
    if (b.created) {
      if (result === null || (!result.enforced && b.enforced)) result = b
    } else {
      observed ??= b
    }
  }
  return { ban: result ?? observed, counts: parts.map((p) => p.counts[0] ?? {}), now }
}
