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
  a.push(headerOf(op.ban, subjects, now))
  try {
    for (const s of subjects) {
      // The ban key: the script derives the subject's other keys, and its name, from it.
      k.push(`${keys.base(s.key)}ban`)
      const counts = s.counts
      for (let i = 0; i < counts.length; i++) {
        const c = counts[i] as Count
        const section = COUNT_SECTIONS[c.kind] as CountSection | undefined
        if (section === undefined) throw new TypeError(`Unknown count kind ${JSON.stringify(c.kind)}`)
        a.push(specOf(section, c))
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
    arg = `${ban.ttlMs}:${ban.factor}:${ban.maxTtlMs}:${ban.historyMs}:${ban.jitter}${ban.tripWindow !== undefined ? `:w${ban.tripWindow}` : ''}`
    policyArgs.set(ban, arg)
  }
  return arg
}

/** Headers on the Redis clock of one-subject ops, by policy, then by the subject's number of counts. */
const oneSubjectHeaders = new WeakMap<BanPolicy, string[]>()

/** `<now>|<counts per subject>|<policy>`: the common one (Redis clock, one subject) is built once. */
function headerOf(ban: BanPolicy, subjects: readonly SubjectOp[], now: string): string {
  if (now === '' && subjects.length === 1) {
    const n = (subjects[0] as SubjectOp).counts.length
    let byCounts = oneSubjectHeaders.get(ban)
    if (byCounts === undefined) {
      byCounts = []
      oneSubjectHeaders.set(ban, byCounts)
    }
    let header = byCounts[n]
    if (header === undefined) {
      header = `|${n}|${policyArg(ban)}`
      byCounts[n] = header
    }
    return header
  }
  let list = ''
  for (let i = 0; i < subjects.length; i++)
    list += i === 0 ? `${subjects[i]?.counts.length}` : `,${subjects[i]?.counts.length}`
  return `${now}|${list}|${policyArg(ban)}`
}

/** A remembered spec and the count fields it was built from. */
interface Spec {
  spec: string
  kind: string
  key: string
  rule: string
  monitor: boolean | undefined
  limit: number | undefined
  windowMs: number | undefined
  addRefused: boolean | undefined
  suspicious: boolean | undefined
}
/** The fields of any count kind that go into its spec (read without allocating). */
type SpecFields = Partial<
  Record<'limit' | 'windowMs', number> & Record<'monitor' | 'addRefused' | 'suspicious', boolean>
>
/** Specs by count object: an engine sends the same count object for a rule with every request. */
const specs = new WeakMap<Count, Spec>()

/**
 * `<code><limit>,<windowMs>,<flag>,<key>` and, for a kind that trips, `}<rule>`: everything about a count that does
 * not change from request to request, in one argument.
 */
function specOf(section: CountSection, c: Count): string {
  const f = c as SpecFields
  const known = specs.get(c)
  if (
    known !== undefined &&
    known.kind === c.kind &&
    known.key === c.key &&
    known.rule === c.rule &&
    known.monitor === f.monitor &&
    known.limit === f.limit &&
    known.windowMs === f.windowMs &&
    known.addRefused === f.addRefused &&
    known.suspicious === f.suspicious
  ) {
    return known.spec
  }
  const key: unknown = c.key
  if (typeof key !== 'string' || key === 'ban' || key === 'off' || /[{}]/.test(key)) {
    throw new TypeError(
      `Invalid count key ${JSON.stringify(key)}: no { or }, and not ban or off (the ban's own keys)`,
    )
  }
  if (section.trips && typeof c.rule !== 'string')
    throw new TypeError(`Invalid count rule ${JSON.stringify(c.rule)}`)
  const [limit, windowMs, flag] = (section.numbers as (c: Count) => readonly [number, number, number])(c)
  const code = f.monitor === true ? section.code.toLowerCase() : section.code
  const spec = `${code}${limit},${windowMs},${flag},${key}${section.trips ? `}${c.rule}` : ''}`
  specs.set(c, {
    spec,
    kind: c.kind,
    key,
    rule: c.rule,
    monitor: f.monitor,
    limit: f.limit,
    windowMs: f.windowMs,
    addRefused: f.addRefused,
    suspicious: f.suspicious,
  })
  return spec
}
