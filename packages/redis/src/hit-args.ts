import type { HitOp, SubjectOp } from '@bulwark/core'
import type { KeySpace } from './keys.js'

export type ScriptArg = string | number

const flag = (b: boolean | undefined): string => (b === true ? '1' : '0')

/** KEYS and ARGV of one `hit.lua` call (see its header for the layout). */
export interface HitCall {
  keys: string[]
  args: ScriptArg[]
}

/** Only the sections a subject's op carries are sent, and only their keys. */
export function hitCall(
  keys: KeySpace,
  op: HitOp,
  subjects: readonly SubjectOp[],
  now: string,
  indexed: boolean,
): HitCall {
  const k: string[] = []
  const { ban } = op
  const a: ScriptArg[] = [
    now,
    ban.ttlMs,
    ban.factor,
    ban.maxTtlMs,
    ban.historyMs,
    ban.jitter,
    indexed ? '1' : '0',
  ]
  if (indexed) k.push(keys.banIndex)
  for (const s of subjects) {
    // The ban key (the script derives the subject's other keys from it) and the endpoint key when asked for.
    const base = keys.base(s.key)
    k.push(`${base}ban`)
    let sections = ''
    const fields: ScriptArg[] = []
    if (s.force) {
      sections += 'f'
      fields.push(s.force.rule, flag(s.force.monitor), s.force.note === undefined ? '' : `=${s.force.note}`)
    }
    if (s.burst) {
      sections += 'b'
      fields.push(s.burst.limit, s.burst.windowMs, flag(s.burst.monitor))
    }
    if (s.authFailure) {
      sections += 'a'
      fields.push(s.authFailure.limit, s.authFailure.windowMs, flag(s.authFailure.monitor))
    }
    if (s.item) {
      sections += 'i'
      fields.push(s.item.limit, s.item.windowMs, flag(s.item.monitor), s.item.value)
    }
    if (s.endpoint) {
      sections += 'e'
      fields.push(s.endpoint.limit, s.endpoint.windowMs)
    }
    if (s.suspicion) {
      sections += 's'
      fields.push(s.suspicion.limit, s.suspicion.windowMs, flag(s.suspicion.monitor), s.suspicion.add)
    }
    if (s.endpoint) k.push(`${base}e:${s.endpoint.id}`)
    a.push(s.key, sections, ...fields)
  }
  return { keys: k, args: a }
}
