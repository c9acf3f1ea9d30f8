import type { BanPolicy, HitOp, SubjectOp } from '@bulwark/core'
import type { KeySpace } from './keys.js'

export type ScriptArg = string | number

const flag = (b: boolean | undefined): string => (b === true ? '1' : '0')

/** KEYS and ARGV of one `hit.lua` call (see its header for the layout). */
export interface HitCall {
  keys: string[]
  args: ScriptArg[]
}

/** A call with no op yet; `indexed` keeps the ban index (single server) in the same call. */
export function hitCall(keys: KeySpace, indexed: boolean): HitCall {
  return indexed ? { keys: [keys.banIndex], args: ['1'] } : { keys: [], args: ['0'] }
}

/** Append one op (or, on a cluster, the op's subjects that share a slot). Only the sections they carry are sent. */
export function appendOp(
  call: HitCall,
  keys: KeySpace,
  op: HitOp,
  subjects: readonly SubjectOp[],
  now: string,
): void {
  const k = call.keys
  const a = call.args
  a.push(now, policyArg(op.ban), subjects.length)
  for (const s of subjects) {
    // The ban key (the script derives the subject's other keys from it) and the endpoint key when asked for.
    const base = keys.base(s.key)
    k.push(`${base}ban`)
    a.push(s.key, sectionsOf(s))
    if (s.force)
      a.push(s.force.rule, flag(s.force.monitor), s.force.note === undefined ? '' : `=${s.force.note}`)
    if (s.burst) a.push(s.burst.limit, s.burst.windowMs, flag(s.burst.monitor))
    if (s.authFailure) a.push(s.authFailure.limit, s.authFailure.windowMs, flag(s.authFailure.monitor))
    if (s.item) a.push(s.item.limit, s.item.windowMs, flag(s.item.monitor), s.item.value)
    if (s.endpoint) {
      a.push(s.endpoint.limit, s.endpoint.windowMs)
      k.push(`${base}e:${s.endpoint.id}`)
    }
    if (s.suspicion)
      a.push(s.suspicion.limit, s.suspicion.windowMs, flag(s.suspicion.monitor), s.suspicion.add)
  }
}

/** An engine sends the same policy object with every op (unless it jitters ban TTLs): format it once. */
const policyArgs = new WeakMap<BanPolicy, string>()
function policyArg(ban: BanPolicy): string {
  let arg = policyArgs.get(ban)
  if (arg === undefined) {
    arg = `${ban.ttlMs}:${ban.factor}:${ban.maxTtlMs}:${ban.historyMs}:${ban.jitter}`
    policyArgs.set(ban, arg)
  }
  return arg
}

/** The letters of the sections the subject carries, in the order their fields follow. */
function sectionsOf(s: SubjectOp): string {
  return (
    (s.force ? 'f' : '') +
    (s.burst ? 'b' : '') +
    (s.authFailure ? 'a' : '') +
    (s.item ? 'i' : '') +
    (s.endpoint ? 'e' : '') +
    (s.suspicion ? 's' : '')
  )
}
