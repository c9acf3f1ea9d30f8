import { BanTable } from './ban-table.js'
import { BoundedMap } from './bounded-map.js'
import { BurstWindows } from './burst-window.js'
import { CounterMaps } from './counter-maps.js'
import { escalatedTtl } from './escalation.js'
import { ItemWindow } from './item-window.js'
import { SlidingLog } from './sliding-log.js'
import { SpreadLog, spreadCap } from './spread-log.js'
import type {
  ActiveBan,
  BanPolicy,
  Count,
  HitOp,
  HitResult,
  Measure,
  Store,
  StoreCapabilities,
  StoreMessage,
  SubjectOp,
  WindowMeasure,
} from './store.js'
import { BUILTIN_COUNTER_KEYS } from './store.js'
import { type HashedSubjectOp, SubjectTable } from './subject-table.js'
import type { BanRecord, BanRule } from './types.js'

export interface MemoryStoreOptions {
  /** Subjects (IPs, API keys) tracked at once; the least recently seen is forgotten first. Default 100,000. */
  maxSubjects?: number
  /** Subjects bursting at the same moment that get an exact request log. Default 10,000. */
  maxHotSubjects?: number
  /** Subject-and-rule pairs whose distinct queried items are tracked at once. Default 10,000. */
  maxItemSubjects?: number
  /**
   * Active bans kept, apart from the other per-subject state: new subjects never push a ban out. When this many bans
   * are active, the one that ends soonest is dropped for a new one, and subscribers get an `evicted` message.
   * Default 100,000.
   */
  maxBans?: number
}

export const MEMORY_STORE_DEFAULTS: Required<MemoryStoreOptions> = {
  maxSubjects: 100_000,
  maxHotSubjects: 10_000,
  maxItemSubjects: 10_000,
  maxBans: 100_000,
}

interface Trip {
  rule: BanRule
  monitor: boolean
  count?: number
  limit?: number
  note?: string
  /** The window of the count that tripped (a `ban` count has none). */
  windowMs?: number
}

/** Rate-limit window state: [fixed window number, total in it, total in the previous one]. */
type WindowState = Float64Array

const NONE: readonly Measure[] = Object.freeze([])

/**
 * The built-in store: bounded, synchronous, O(1) per request, no timers. Fine for one process; use a shared store
 * (`@bulwark/redis`) when several processes must agree.
 */
export class MemoryStore implements Store {
  readonly name = 'memory'
  readonly capabilities: StoreCapabilities = Object.freeze({ local: true })
  readonly options: Required<MemoryStoreOptions>
  private readonly table: SubjectTable
  private readonly burst: BurstWindows
  /** Event logs (auth failures, suspicion, your rules), by `<subject>\0<key>`. */
  private readonly logs: CounterMaps<SlidingLog>
  /** Event logs with their sources (auth failures on a key or a user), by counter and subject. */
  private readonly spreads: CounterMaps<SpreadLog>
  private readonly items: CounterMaps<ItemWindow>
  private readonly windows: CounterMaps<WindowState>
  private readonly bans: BanTable
  private readonly listeners = new Set<(message: StoreMessage) => void>()
  private readonly offenses: BoundedMap<{ count: number; lastAt: number }>
  private readonly whitelist = new Set<string>()
  /** The trip of the subject `count` just measured (a field, not a returned object: the hot path allocates less). */
  private trip: Trip | null = null

  constructor(options: MemoryStoreOptions = {}) {
    const o = { ...MEMORY_STORE_DEFAULTS, ...stripUndefined(options) }
    for (const [name, value] of Object.entries(o)) {
      if (!Number.isSafeInteger(value) || value < 1) {
        throw new RangeError(`MemoryStore option ${name} must be a positive integer, got ${String(value)}`)
      }
    }
    this.options = o
    this.burst = new BurstWindows(o.maxSubjects, o.maxHotSubjects)
    this.table = new SubjectTable(o.maxSubjects, (slot) => this.burst.reset(slot))
    this.logs = new CounterMaps(o.maxSubjects)
    this.spreads = new CounterMaps(o.maxSubjects)
    this.items = new CounterMaps(o.maxItemSubjects)
    this.windows = new CounterMaps(o.maxSubjects)
    this.bans = new BanTable(o.maxBans, (ban) => {
      const message: StoreMessage = { type: 'evicted', subject: ban.subject, expiresAt: ban.expiresAt }
      for (const l of this.listeners) l(message)
    })
    this.offenses = new BoundedMap(o.maxSubjects)
  }

  /** How many subjects have burst state (never more than `maxSubjects`). */
  get trackedSubjects(): number {
    return this.table.size
  }

  hit(op: HitOp): HitResult {
    const now = op.now
    const subjects = op.subjects
    let observed: BanRecord | null = null
    if (this.bans.size > 0) {
      for (let i = 0; i < subjects.length; i++) {
        const ban = this.activeBan((subjects[i] as SubjectOp).key, now)
        if (ban === null) continue
        if (ban.enforced) return { ban: { ...ban, created: false }, counts: [], now }
        observed ??= ban
      }
    }
    let result: ActiveBan | null = null
    // One subject is the usual request: an array literal is cheaper than `new Array(n)`.
    const counts: (readonly Measure[] | undefined)[] =
      subjects.length === 1 ? [NONE] : new Array(subjects.length)
    for (let i = 0; i < subjects.length; i++) {
      const s = subjects[i] as SubjectOp
      counts[i] = this.count(s, now)
      const trip = this.trip
      if (trip === null) continue
      this.trip = null
      const ban = this.writeBan(s, trip, now, op.ban)
      if (ban !== null && (result === null || (!result.enforced && ban.enforced))) result = ban
    }
    if (result === null && observed !== null) result = { ...observed, created: false }
    return { ban: result, counts, now }
  }

  /** Apply one subject's counts in order, returning their measures; the first that trips is left in `trip`. */
  private count(s: SubjectOp, now: number): readonly Measure[] {
    let trip: Trip | null = null
    let measures: Measure[] | null = null
    let refused = 0
    const counts = s.counts
    for (let j = 0; j < counts.length; j++) {
      const c = counts[j] as Count
      let m: Measure = -1
      let t: Trip | null = null
      switch (c.kind) {
        case 'requests': {
          const slot =
            c.key === 'b'
              ? this.table.touch(s.key, (s as Partial<HashedSubjectOp>).hash)
              : this.table.touch(`${s.key}\u0000${c.key}`)
          const n = this.burst.hit(slot, now, c.limit, c.windowMs)
          if (n > 0) {
            m = n
            t = { rule: c.rule, monitor: c.monitor === true, count: n, limit: c.limit, windowMs: c.windowMs }
          }
          break
        }
        case 'events': {
          const add = c.add + (c.addRefused === true ? refused : 0)
          let log = this.logs.get(c.key, s.key)
          if (add > 0) {
            log = this.log(c.key, s.key, c.limit)
            log.add(now, add)
          } else if (add < 0) log?.takeBack(-add)
          const n = log === undefined ? 0 : log.count(now, c.windowMs)
          m = n
          if (n > c.limit && add >= 0)
            t = { rule: c.rule, monitor: c.monitor === true, count: n, limit: c.limit, windowMs: c.windowMs }
          break
        }
        case 'spread': {
          let log = this.spreads.get(c.key, s.key)
          if (c.add > 0) {
            if (log === undefined || log.limit !== c.limit) {
              log = new SpreadLog(c.limit, spreadCap(c.sources))
              this.spreads.set(c.key, s.key, log)
            }
            log.add(now, c.source, c.add)
          } else if (c.add < 0) log?.takeBack(c.source, -c.add)
          const n = log === undefined ? 0 : log.log.count(now, c.windowMs)
          m = n
          if (n > c.limit && c.add >= 0 && log !== undefined && log.distinct(now, c.windowMs) >= c.sources) {
            t = { rule: c.rule, monitor: c.monitor === true, count: n, limit: c.limit, windowMs: c.windowMs }
          }
          break
        }
        case 'distinct': {
          const n = this.addItem(c.key, s.key, c.value, now, c.windowMs, c.limit)
          m = n
          if (n > c.limit) {
            // A monitored count reports, and feeds no enforced suspicion ban.
            if (c.suspicious === true) {
              if (c.monitor !== true) refused++
            } else
              t = {
                rule: c.rule,
                monitor: c.monitor === true,
                count: n,
                limit: c.limit,
                windowMs: c.windowMs,
              }
          }
          break
        }
        case 'window': {
          const w = this.window(c.key, s.key, now, c.limit, c.windowMs, c.cost ?? 1)
          m = w
          if (!w.allowed && c.suspicious === true) refused++
          break
        }
        case 'ban': {
          const b: Trip = { rule: c.rule, monitor: c.monitor === true }
          if (c.note !== undefined) b.note = c.note
          t = b
          break
        }
      }
      if (m !== -1) {
        measures ??= []
        while (measures.length < j) measures.push(-1)
        measures.push(m)
      }
      if (t !== null) trip ??= t
    }
    this.trip = trip
    return measures ?? NONE
  }

  private log(counter: string, subject: string, limit: number): SlidingLog {
    let log = this.logs.get(counter, subject)
    if (log === undefined || log.size !== limit + 1) {
      log = new SlidingLog(limit + 1)
      this.logs.set(counter, subject, log)
    }
    return log
  }

  private addItem(
    counter: string,
    subject: string,
    value: string,
    now: number,
    windowMs: number,
    limit: number,
  ): number {
    let window = this.items.get(counter, subject)
    if (window === undefined) {
      window = new ItemWindow(now)
      this.items.set(counter, subject, window)
    }
    return window.add(value, now, windowMs, limit)
  }

  private window(
    counter: string,
    subject: string,
    now: number,
    limit: number,
    windowMs: number,
    cost: number,
  ): WindowMeasure {
    const w = Math.floor(now / windowMs)
    const elapsed = now - w * windowMs
    let state = this.windows.get(counter, subject)
    if (state === undefined) {
      state = new Float64Array([w, 0, 0])
      this.windows.set(counter, subject, state)
    } else if (state[0] !== w) {
      state[2] = state[0] === w - 1 ? (state[1] as number) : 0
      state[1] = 0
      state[0] = w
    }
    const estimate = ((state[2] as number) * (windowMs - elapsed)) / windowMs + (state[1] as number)
    const resetMs = windowMs - elapsed
    if (estimate + cost > limit) return { allowed: false, remaining: 0, resetMs }
    state[1] = (state[1] as number) + cost
    return { allowed: true, remaining: Math.max(0, Math.floor(limit - estimate - cost)), resetMs }
  }

  private activeBan(subject: string, now: number): BanRecord | null {
    const ban = this.bans.get(subject)
    if (ban === undefined) return null
    if (ban.expiresAt <= now) {
      this.bans.delete(subject)
      return null
    }
    return ban
  }

  private writeBan(s: SubjectOp, trip: Trip, now: number, policy: BanPolicy): ActiveBan | null {
    const subject = s.key
    // A suspected proxy's short limit lands on its address only: a key or a user it also counted is banned as usual.
    const cap = policy.tripWindow
    const proxyLimit = cap !== undefined && subject.startsWith('ip:')
    const existing = this.activeBan(subject, now)
    // A monitored trip never replaces a ban; an enforced one replaces a monitored ban.
    if (existing !== null && (trip.monitor || existing.enforced)) return null
    let offense = 1
    // A suspected proxy's short limit (tripWindow) is no offense: it never escalates a later ban.
    if (!trip.monitor && !proxyLimit) {
      const past = this.offenses.get(subject)
      offense = past !== undefined && now - past.lastAt < policy.historyMs ? past.count + 1 : 1
      this.offenses.set(subject, { count: offense, lastAt: now })
    }
    const ttlMs = proxyLimit ? Math.min(trip.windowMs ?? cap, cap) : escalatedTtl(policy, offense)
    const ban: BanRecord = {
      subject,
      rule: trip.rule,
      createdAt: now,
      expiresAt: now + ttlMs,
      offense,
      enforced: !trip.monitor,
    }
    if (trip.note !== undefined) ban.note = trip.note
    if (trip.count !== undefined) ban.count = trip.count
    if (trip.limit !== undefined) ban.limit = trip.limit
    if (proxyLimit) ban.limited = true
    this.bans.set(ban)
    if (ban.enforced) this.forgetCounters(subject, s.counts)
    return { ...ban, created: true }
  }

  /**
   * Drop a subject's counters (the built-in ones and those of `counts`), so it starts clean when a ban ends or is
   * lifted. Rate-limit windows are kept: a ban does not reset a limit.
   */
  private forgetCounters(subject: string, counts: readonly Count[] = []): void {
    const slot = this.table.peek(subject)
    if (slot >= 0) this.burst.reset(slot)
    for (const key of BUILTIN_COUNTER_KEYS) {
      this.logs.delete(key, subject)
      this.spreads.delete(key, subject)
      this.items.delete(key, subject)
    }
    for (const c of counts) {
      if (c.kind === 'events') this.logs.delete(c.key, subject)
      else if (c.kind === 'spread') this.spreads.delete(c.key, subject)
      else if (c.kind === 'distinct') this.items.delete(c.key, subject)
      else if (c.kind === 'requests' && c.key !== 'b') {
        const other = this.table.peek(`${subject}\u0000${c.key}`)
        if (other >= 0) this.burst.reset(other)
      }
    }
  }

  setBan(input: Omit<BanRecord, 'offense'> & { offense?: number }): BanRecord {
    const ban: BanRecord = { ...input, offense: input.offense ?? 1 }
    this.bans.set(ban)
    if (ban.enforced) this.forgetCounters(ban.subject)
    return { ...ban }
  }

  deleteBan(subject: string): boolean {
    const existed = this.bans.delete(subject)
    this.forgetCounters(subject)
    this.offenses.delete(subject)
    return existed
  }

  getBan(subject: string, now: number): BanRecord | null {
    const ban = this.activeBan(subject, now)
    return ban === null ? null : { ...ban }
  }

  listBans(now: number): BanRecord[] {
    const out: BanRecord[] = []
    const expired: string[] = []
    for (const ban of this.bans.values()) {
      if (ban.expiresAt <= now) expired.push(ban.subject)
      else out.push({ ...ban })
    }
    for (const subject of expired) this.bans.delete(subject)
    return out.sort((a, b) => a.expiresAt - b.expiresAt)
  }

  whitelistAdd(entry: string): void {
    this.whitelist.add(entry)
  }

  whitelistRemove(entry: string): boolean {
    return this.whitelist.delete(entry)
  }

  whitelistList(): string[] {
    return [...this.whitelist].sort()
  }

  /** Hear about bans the table dropped when full (`{ type: 'evicted' }`). Returns an unsubscribe function. */
  subscribe(listener: (message: StoreMessage) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  close(): void {
    this.listeners.clear()
    this.table.clear()
    this.logs.clear()
    this.spreads.clear()
    this.items.clear()
    this.windows.clear()
    this.bans.clear()
    this.offenses.clear()
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
