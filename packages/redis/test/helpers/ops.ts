import type { BanPolicy, HitOp, SubjectOp } from '@bulwark/core'

export const HOUR = 3_600_000
export const POLICY: BanPolicy = {
  ttlMs: HOUR,
  factor: 2,
  maxTtlMs: 24 * HOUR,
  historyMs: 7 * 24 * HOUR,
  jitter: 0,
}

let seq = 0
/** A prefix no other test (or test run) uses. */
export function uniquePrefix(name: string): string {
  return `t:${name}:${process.pid}:${Date.now().toString(36)}:${seq++}:`
}

export function op(now: number, subjects: SubjectOp[], ban: BanPolicy = POLICY): HitOp {
  return { now, subjects, ban }
}
