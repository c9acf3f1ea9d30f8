import type { BanPolicy, Count, HitOp, SubjectOp } from '@bulwark/core'
import type { KeySpace } from './keys.js'
import { COUNT_SECTIONS, type CountSection } from './lua/counts/index.js'

export type ScriptArg = string | number

/** KEYS and ARGV of one `hit.lua` call (see its header in lua/hit.ts for the layout). */
export interface HitCall {
  keys: string[]
  args: ScriptArg[]
}

/** A call with no op yet; `indexed` keeps the ban index (single server) in the same call. */
export function hitCall(keys: KeySpace, indexed: boolean): HitCall {
  return indexed ? { keys: [keys.banIndex], args: ['1'] } : { keys: [], args: ['0'] }
}

/**
 * Append one op (or, on a cluster, the op's subjects that share a slot). Throws, leaving the call as it was, for a
 * count the script cannot take (an unknown kind, a key that would overwrite the ban).
 */
export function appendOp(
  call: HitCall,
  keys: KeySpace,
  op: HitOp,
  subjects: readonly SubjectOp[],
  now: string,
): void {
  const k = call.keys
  const a = call.args
  const keysBefore = k.length
  const argsBefore = a.length
  a.push(now, policyArg(op.ban), subjects.length)
  try {
    for (const s of subjects) {
      // The ban key: the script derives the subject's other keys from it.
      k.push(`${keys.base(s.key)}ban`)
      const counts = s.counts
      a.push(s.key, counts.length)
      for (let i = 0; i < counts.length; i++) {
        const c = counts[i] as Count
        const section = COUNT_SECTIONS[c.kind] as CountSection | undefined
        if (section === undefined) throw new TypeError(`Unknown count kind ${JSON.stringify(c.kind)}`)
        a.push(headOf(section, c))
        section.encode(a, c)
      }
    }
  } catch (err) {
    k.length = keysBefore
    a.length = argsBefore
    throw err
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

/** Most heads remembered per kind; rules and limits have few distinct keys, so this is never reached in practice. */
const MAX_HEADS = 4096
/** A remembered head and the rule it was built with. */
type Heads = Map<string, { rule: string; head: string }>
/** Heads by kind (enforced, then monitored), then by key: a head is built once per count, not per request. */
const heads = Object.fromEntries(
  Object.keys(COUNT_SECTIONS).map((kind) => [kind, [new Map(), new Map()]]),
) as Record<Count['kind'], [Heads, Heads]>

/** `<code><key>` and, for a kind that trips, `}<rule>`: the count's kind, counter key and rule in one argument. */
function headOf(section: CountSection, c: Count): string {
  const monitored = (c as { monitor?: boolean }).monitor === true
  const byKey = heads[c.kind][monitored ? 1 : 0]
  const known = byKey.get(c.key)
  if (known !== undefined && known.rule === c.rule) return known.head
  const key: unknown = c.key
  if (typeof key !== 'string' || key === 'ban' || key === 'off' || /[{}]/.test(key)) {
    throw new TypeError(
      `Invalid count key ${JSON.stringify(key)}: no { or }, and not ban or off (the ban's own keys)`,
    )
  }
  if (section.trips && typeof c.rule !== 'string')
    throw new TypeError(`Invalid count rule ${JSON.stringify(c.rule)}`)
  const head =
    (monitored ? section.code.toLowerCase() : section.code) + key + (section.trips ? `}${c.rule}` : '')
  if (byKey.size >= MAX_HEADS) byKey.clear()
  byKey.set(key, { rule: c.rule, head })
  return head
}
