import type { DenyEntry, DenyReplaceResult, DenySink, DenySource } from './deny-source.js'
import { BulwarkError } from './errors.js'
import { type IpRange, type ParsedIp, parseIp, parseRange } from './ip.js'
import { IpSet, type IpSetEntry, type Prefix, parsePrefix, v4FromText } from './ip-set.js'
import type { BanInfo, BanRecord, BlockDecision, Evidence, Subject } from './types.js'

/** The rule id of a ban that comes from a deny source (the source's name is in `evidence.source`). */
export const DENY_RULE = 'deny'

/** One source's hold on one range. */
export interface DenyHold {
  /** The source's name, or `manual` for a range banned with `engine.ban()`. */
  source: string
  /** `deny` for a deny source, the ban's rule (`manual`) for a range ban. */
  rule: string
  /** The entry's reason (a list's comment, a CrowdSec scenario, a manual ban's reason). */
  reason: string | undefined
  createdAt: number
  /** `Infinity` when the entry lasts until its source removes it. */
  expiresAt: number
  enforced: boolean
}

/** A match: the range's text and the hold that answered. */
export interface DenyMatch {
  text: string
  hold: DenyHold
}

/** What the table holds per range: one hold, or one per source when several list it. */
type Holds = DenyHold | DenyHold[]

/**
 * The addresses and ranges refused before any store work: deny sources' entries and range bans, each kept under the
 * source that gave it, in one prefix set. Bounded: `max` holds across every source; a source's `replace` first drops
 * its own holds, so a source that reloads never pushes out another's. 80 to 270 bytes per entry (IPv4 or IPv6, with a
 * TTL of its own or not).
 */
export class DenyTable {
  private readonly set = new IpSet<Holds>()
  /** Per source: how many holds it has. */
  private readonly counts = new Map<string, number>()
  private holds = 0
  private readonly now: () => number
  private readonly max: number
  private readonly onFull: (source: string) => void

  constructor(max: number, now: () => number, onFull: (source: string) => void = () => {}) {
    this.max = max
    this.now = now
    this.onFull = onFull
  }

  /** Holds across every source. */
  get size(): number {
    return this.holds
  }

  /** The most specific live hold on the address (an enforced one before a monitored one), or null. */
  match(addr: ParsedIp | null | undefined, ip: string): DenyMatch | null {
    if (this.holds === 0) return null
    const now = this.now()
    const accept = (holds: Holds) => live(holds, now) !== undefined
    let e: IpSetEntry<Holds> | null
    if (addr === null || addr === undefined) {
      // The resolver leaves a canonical dotted quad unparsed; anything else is parsed here.
      const n = v4FromText(ip)
      if (n >= 0) e = this.set.matchV4(n, accept)
      else {
        const parsed = addr === null ? null : parseIp(ip)
        e = parsed === null ? null : this.set.match(parsed, accept)
      }
    } else e = this.set.match(addr, accept)
    if (e === null) return null
    return { text: e.text, hold: live(e.value, now) as DenyHold }
  }

  /** A sink for one source: every change it makes is kept under `source`. */
  sink(source: string, enforced: boolean, onError: (error: unknown) => void = () => {}): DenySink {
    const table = this
    return {
      replace(entries: Iterable<DenyEntry>): DenyReplaceResult {
        return table.replace(source, entries, enforced)
      },
      add(entry: DenyEntry): boolean {
        return table.add(source, entry, enforced, DENY_RULE)
      },
      remove(target: string): boolean {
        const range = typeof target === 'string' ? parsePrefix(target.trim()) : null
        return range !== null && table.removeRange(source, range)
      },
      get size(): number {
        return table.counts.get(source) ?? 0
      },
      error(error: unknown): void {
        try {
          onError(error)
        } catch {
          // A reporter that throws is ignored: the source goes on.
        }
      },
    }
  }

  /** Add one entry under `source`. False when the target is no address or CIDR, or the table is full. */
  add(
    source: string,
    entry: DenyEntry,
    enforced: boolean,
    rule: string,
    shared?: Map<string | undefined, DenyHold>,
  ): boolean {
    if (entry === null || typeof entry !== 'object' || typeof entry.target !== 'string') return false
    const range = parsePrefix(entry.target.trim())
    if (range === null) return false
    const ttl = entry.ttlMs
    if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0 && ttl < 1e15)) return false
    const reason =
      typeof entry.reason === 'string' && entry.reason !== '' ? entry.reason.slice(0, 300) : undefined
    // Entries of one load without a TTL share their hold when their reason is the same (most lists: one per file).
    let hold = ttl === undefined ? shared?.get(reason) : undefined
    if (hold === undefined) {
      const now = this.now()
      hold = {
        source,
        rule,
        reason,
        createdAt: now,
        expiresAt: ttl === undefined ? Number.POSITIVE_INFINITY : now + ttl,
        enforced,
      }
      if (ttl === undefined && shared !== undefined && shared.size < 10_000) shared.set(reason, hold)
    }
    return this.put(source, range, hold)
  }

  /** Put a hold (a range ban read from the store: its own times). False when the table is full. */
  put(source: string, range: Prefix, hold: DenyHold): boolean {
    let entry = this.set.get(range)
    const mine = entry !== undefined && holdOf(entry.value, source) !== undefined
    if (!mine) {
      if (this.holds >= this.max) {
        this.prune()
        entry = this.set.get(range)
      }
      if (this.holds >= this.max) {
        this.onFull(source)
        return false
      }
      this.holds++
      this.counts.set(source, (this.counts.get(source) ?? 0) + 1)
    }
    if (entry === undefined) this.set.set(range, hold)
    else entry.value = withHold(entry.value, hold)
    return true
  }

  removeRange(source: string, range: Prefix): boolean {
    const entry = this.set.get(range)
    if (entry === undefined || holdOf(entry.value, source) === undefined) return false
    const rest = without(entry.value, (h) => h.source === source)
    if (rest === undefined) this.set.delete(range)
    else entry.value = rest
    this.dropped(source, 1)
    return true
  }

  replace(source: string, entries: Iterable<DenyEntry>, enforced: boolean): DenyReplaceResult {
    this.clearSource(source)
    let rejected = 0
    try {
      const shared = new Map<string | undefined, DenyHold>()
      for (const entry of entries) if (!this.add(source, entry, enforced, DENY_RULE, shared)) rejected++
    } catch {
      // An iterable that throws part way: keep what was read.
      rejected++
    }
    // A target listed twice is one entry.
    return { added: this.counts.get(source) ?? 0, rejected }
  }

  /** Drop every expired hold (when the table is full). One pass. */
  prune(): void {
    const now = this.now()
    this.sweep((h) => h.expiresAt <= now)
  }

  /** Drop every hold of `source`. One pass, no parsing. */
  clearSource(source: string): void {
    if ((this.counts.get(source) ?? 0) === 0) return
    this.sweep((h) => h.source === source)
  }

  /** Every live hold, with its range, for `listBans()`. */
  *list(): IterableIterator<DenyMatch> {
    const now = this.now()
    for (const e of this.set.entries()) {
      const holds = Array.isArray(e.value) ? e.value : [e.value]
      for (const hold of holds) if (hold.expiresAt > now) yield { text: e.text, hold }
    }
  }

  clear(): void {
    this.set.clear()
    this.counts.clear()
    this.holds = 0
  }

  private sweep(drop: (h: DenyHold) => boolean): void {
    this.set.sweep((holds) =>
      without(holds, (h) => {
        if (!drop(h)) return false
        this.dropped(h.source, 1)
        return true
      }),
    )
  }

  private dropped(source: string, n: number): void {
    this.holds -= n
    const left = (this.counts.get(source) ?? 0) - n
    if (left > 0) this.counts.set(source, left)
    else this.counts.delete(source)
  }
}

function holdOf(holds: Holds, source: string): DenyHold | undefined {
  if (!Array.isArray(holds)) return holds.source === source ? holds : undefined
  return holds.find((h) => h.source === source)
}

/** `holds` with `hold` in place of its source's hold, or added. */
function withHold(holds: Holds, hold: DenyHold): Holds {
  if (!Array.isArray(holds)) return holds.source === hold.source ? hold : [holds, hold]
  const at = holds.findIndex((h) => h.source === hold.source)
  if (at < 0) holds.push(hold)
  else holds[at] = hold
  return holds
}

/** `holds` without those `drop` takes, or undefined when none is left. */
function without(holds: Holds, drop: (h: DenyHold) => boolean): Holds | undefined {
  if (!Array.isArray(holds)) return drop(holds) ? undefined : holds
  const kept = holds.filter((h) => !drop(h))
  return kept.length === 0 ? undefined : kept.length === 1 ? kept[0] : kept
}

/** The hold that answers: an enforced live one first, else a monitored live one. */
function live(holds: Holds, now: number): DenyHold | undefined {
  if (!Array.isArray(holds)) return holds.expiresAt > now ? holds : undefined
  let monitored: DenyHold | undefined
  for (const h of holds) {
    if (h.expiresAt <= now) continue
    if (h.enforced) return h
    monitored ??= h
  }
  return monitored
}

/** The source of a range banned with `engine.ban()`. Reserved: no deny source may take this name. */
export const MANUAL_SOURCE = 'manual'

/** Retry-After for an entry that lasts until its source drops it. */
const OPEN_ENDED_RETRY_S = 3600

/**
 * The range a ban target names, when it is a CIDR that covers more than one subject: not a single address (`/32`,
 * `/128`) and not the IPv6 group the engine already bans as one subject (`/ipv6Prefix`). Null otherwise.
 */
export function rangeTarget(target: unknown, ipv6Prefix: number): IpRange | null {
  if (typeof target !== 'string') return null
  const text = target.startsWith('ip:') ? target.slice(3) : target
  if (!text.includes('/')) return null
  const range = parseRange(text.trim())
  if (range === null) return null
  const v6 = range.addr.kind() === 'ipv6'
  if (range.bits === (v6 ? 128 : 32)) return null
  if (v6 && range.bits === ipv6Prefix) return null
  return range
}

/** A ban target with a full-length prefix (`198.51.100.7/32`, `2001:db8::1/128`) as the address alone. */
export function hostTarget<T>(target: T): T | string {
  if (typeof target !== 'string' || !target.includes('/')) return target
  const range = parseRange(target.trim())
  return range !== null && range.bits === (range.addr.kind() === 'ipv6' ? 128 : 32)
    ? (range.text.split('/')[0] as string)
    : target
}

/** A range ban read from the store (`ip:203.0.113.0/24`) as a hold. */
export function holdOfBan(record: BanRecord): DenyHold {
  return {
    source: MANUAL_SOURCE,
    rule: record.rule,
    reason: record.note,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    enforced: record.enforced,
  }
}

/** The reason a decision and `listBans()` give for a hold. */
export function describeHold(m: DenyMatch): string {
  const h = m.hold
  if (h.source === MANUAL_SOURCE) {
    const what = h.rule === 'manual' ? 'Manual ban' : h.rule
    return `${what} of ${m.text}${h.reason === undefined ? '' : `: ${h.reason}`}`
  }
  return `Denied by ${h.source}: ${m.text}${h.reason === undefined ? '' : ` (${h.reason})`}`
}

/** The 403 for a request from an address a deny source or a range ban holds. No store work was done. */
export function denyDecision(m: DenyMatch, subject: Subject, now: number, enforced: boolean): BlockDecision {
  const evidence: Evidence = { banned: `ip:${m.text}`, matched: m.text, source: m.hold.source }
  const open = m.hold.expiresAt === Number.POSITIVE_INFINITY
  if (!open) evidence.expiresAt = m.hold.expiresAt
  return {
    conclusion: 'block',
    rule: m.hold.rule,
    reason: describeHold(m),
    evidence,
    status: 403,
    retryAfterS: open ? OPEN_ENDED_RETRY_S : Math.max(1, Math.ceil((m.hold.expiresAt - now) / 1000)),
    enforced: enforced && m.hold.enforced,
    newBan: false,
    subject,
    store: 'none',
  }
}

/** A deny source's hold as `listBans()` shows it (`expiresAt` 0 and `ttlS` -1: until the source drops it). */
export function denyBanInfo(m: DenyMatch, now: number): BanInfo {
  const open = m.hold.expiresAt === Number.POSITIVE_INFINITY
  return {
    target: m.text,
    subject: `ip:${m.text}`,
    rule: m.hold.rule,
    source: m.hold.source,
    reason: describeHold(m),
    since: m.hold.createdAt,
    expiresAt: open ? 0 : m.hold.expiresAt,
    ttlS: open ? -1 : Math.max(0, Math.ceil((m.hold.expiresAt - now) / 1000)),
    offense: 1,
    enforced: m.hold.enforced,
  }
}

/** Check an engine's `deny` option: a list of sources with distinct names, none `manual`. */
export function checkSources(sources: unknown): readonly DenySource[] {
  if (sources === undefined) return []
  if (!Array.isArray(sources)) {
    throw new BulwarkError(
      'ERR_BULWARK_OPTIONS',
      'deny must be a list of deny sources, e.g. [denyList({ … })]',
    )
  }
  const names = new Set<string>()
  for (const s of sources as unknown[]) {
    const src = s as Partial<DenySource> | null
    if (src === null || typeof src !== 'object' || typeof src.start !== 'function') {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        'deny: each entry must be a deny source ({ name, start(sink) }), e.g. denyList({ … })',
      )
    }
    if (typeof src.name !== 'string' || src.name === '' || src.name.length > 100) {
      throw new BulwarkError('ERR_BULWARK_OPTIONS', 'deny: a source needs a name of 1 to 100 characters')
    }
    if (src.name === MANUAL_SOURCE || names.has(src.name)) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `deny: the source name "${src.name}" is ${src.name === MANUAL_SOURCE ? 'reserved for manual bans' : 'used twice'}; give each source its own name`,
      )
    }
    names.add(src.name)
  }
  return sources as readonly DenySource[]
}
