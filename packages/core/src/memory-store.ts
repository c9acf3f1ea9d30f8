import { BoundedMap } from './bounded-map.js'
import { BurstWindows } from './burst-window.js'
import { escalatedTtl } from './escalation.js'
import { ItemWindow } from './item-window.js'
import { SlidingLog } from './sliding-log.js'
import type { ActiveBan, BanPolicy, HitOp, HitResult, Store, SubjectCounts, SubjectOp } from './store.js'
import { TRIP_RULES } from './store.js'
import { SubjectTable } from './subject-table.js'
import type { BanRecord, BanRule } from './types.js'

export interface MemoryStoreOptions {
  /** Subjects (IPs, API keys) tracked at once; the least recently seen is forgotten first. Default 100,000. */
  maxSubjects?: number
  /** Subjects bursting at the same moment that get an exact request log. Default 10,000. */
  maxHotSubjects?: number
  /** Subjects whose distinct queried items are tracked at once. Default 10,000. */
  maxItemSubjects?: number
  /** Active bans kept. Default 100,000. */
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
}

/** Endpoint window state: [fixed window number, count in it, count in the previous one]. */
type EndpointState = Float64Array

/**
 * The built-in store: bounded, synchronous, O(1) per request, no timers. Fine for one process; use a shared store
 * (`@bulwark/redis`) when several processes must agree.
 */
export class MemoryStore implements Store {
  readonly name = 'memory'
  readonly options: Required<MemoryStoreOptions>
  private readonly table: SubjectTable
  private readonly burst: BurstWindows
  private readonly authLogs: BoundedMap<SlidingLog>
  private readonly suspicionLogs: BoundedMap<SlidingLog>
  private readonly items: BoundedMap<ItemWindow>
  private readonly endpoints: BoundedMap<EndpointState>
  private readonly bans: BoundedMap<BanRecord>
  private readonly offenses: BoundedMap<{ count: number; lastAt: number }>
  private readonly whitelist = new Set<string>()

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
    this.authLogs = new BoundedMap(o.maxSubjects)
    this.suspicionLogs = new BoundedMap(o.maxSubjects)
    this.items = new BoundedMap(o.maxItemSubjects)
    this.endpoints = new BoundedMap(o.maxSubjects)
    this.bans = new BoundedMap(o.maxBans)
    this.offenses = new BoundedMap(o.maxSubjects)
  }

  /** How many subjects have burst state (never more than `maxSubjects`). */
  get trackedSubjects(): number {
    return this.table.size
  }

  hit(op: HitOp): HitResult {
    const now = op.now
    let observed: BanRecord | null = null
    for (const s of op.subjects) {
      const ban = this.activeBan(s.key, now)
      if (ban === null) continue
      if (ban.enforced) return { ban: { ...ban, created: false }, counts: [], now }
      observed ??= ban
    }
    let result: ActiveBan | null = null
    const counts: SubjectCounts[] = []
    for (const s of op.subjects) {
      const c: SubjectCounts = {}
      const trip = this.count(s, now, c)
      counts.push(c)
      if (trip === null) continue
      const ban = this.writeBan(s.key, trip, now, op.ban)
      if (ban !== null && (result === null || (!result.enforced && ban.enforced))) result = ban
    }
    if (result === null && observed !== null) result = { ...observed, created: false }
    return { ban: result, counts, now }
  }

  private count(s: SubjectOp, now: number, c: SubjectCounts): Trip | null {
    let trip: Trip | null = null
    if (s.force) trip = { rule: s.force.rule, monitor: s.force.monitor === true, note: s.force.note }
    if (s.burst) {
      const slot = this.table.touch(s.key)
      const n = this.burst.hit(slot, now, s.burst.limit, s.burst.windowMs)
      if (n > 0) {
        c.burst = n
        trip ??= { rule: TRIP_RULES.burst, monitor: s.burst.monitor === true, count: n, limit: s.burst.limit }
      }
    }
    if (s.authFailure) {
      const { limit, windowMs } = s.authFailure
      const log = this.log(this.authLogs, s.key, limit)
      log.add(now)
      const n = log.count(now, windowMs)
      c.authFailures = n
      if (n > limit)
        trip ??= { rule: TRIP_RULES.authFailure, monitor: s.authFailure.monitor === true, count: n, limit }
    }
    if (s.item) {
      const n = this.addItem(s.key, s.item.value, now, s.item.windowMs, s.item.limit)
      c.items = n
      if (n > s.item.limit) {
        trip ??= { rule: TRIP_RULES.item, monitor: s.item.monitor === true, count: n, limit: s.item.limit }
      }
    }
    let signals = s.suspicion?.add ?? 0
    if (s.endpoint) {
      const e = this.endpoint(`${s.key}\u0000${s.endpoint.id}`, now, s.endpoint.limit, s.endpoint.windowMs)
      c.endpoint = e
      if (!e.allowed) signals++
    }
    if (s.suspicion) {
      const { limit, windowMs } = s.suspicion
      let log = this.suspicionLogs.get(s.key)
      if (signals > 0) {
        log = this.log(this.suspicionLogs, s.key, limit)
        log.add(now, signals)
      }
      const n = log === undefined ? 0 : log.count(now, windowMs)
      c.suspicion = n
      if (n > limit)
        trip ??= { rule: TRIP_RULES.suspicion, monitor: s.suspicion.monitor === true, count: n, limit }
    }
    return trip
  }

  private log(logs: BoundedMap<SlidingLog>, key: string, limit: number): SlidingLog {
    let log = logs.get(key)
    if (log === undefined || log.size !== limit + 1) {
      log = new SlidingLog(limit + 1)
      logs.set(key, log)
    }
    return log
  }

  private addItem(key: string, value: string, now: number, windowMs: number, limit: number): number {
    let window = this.items.get(key)
    if (window === undefined) {
      window = new ItemWindow(now)
      this.items.set(key, window)
    }
    return window.add(value, now, windowMs, limit)
  }

  private endpoint(
    key: string,
    now: number,
    limit: number,
    windowMs: number,
  ): NonNullable<SubjectCounts['endpoint']> {
    const w = Math.floor(now / windowMs)
    const elapsed = now - w * windowMs
    let state = this.endpoints.get(key)
    if (state === undefined) {
      state = new Float64Array([w, 0, 0])
      this.endpoints.set(key, state)
    } else if (state[0] !== w) {
      state[2] = state[0] === w - 1 ? (state[1] as number) : 0
      state[1] = 0
      state[0] = w
    }
    const estimate = ((state[2] as number) * (windowMs - elapsed)) / windowMs + (state[1] as number)
    const resetMs = windowMs - elapsed
    if (estimate + 1 > limit) return { allowed: false, remaining: 0, resetMs }
    state[1] = (state[1] as number) + 1
    return { allowed: true, remaining: Math.max(0, Math.floor(limit - estimate - 1)), resetMs }
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

  private writeBan(subject: string, trip: Trip, now: number, policy: BanPolicy): ActiveBan | null {
    const existing = this.activeBan(subject, now)
    // A monitored trip never replaces a ban; an enforced one replaces a monitored ban.
    if (existing !== null && (trip.monitor || existing.enforced)) return null
    let offense = 1
    if (!trip.monitor) {
      const past = this.offenses.get(subject)
      offense = past !== undefined && now - past.lastAt < policy.historyMs ? past.count + 1 : 1
      this.offenses.set(subject, { count: offense, lastAt: now })
    }
    const ttlMs = escalatedTtl(policy, offense)
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
    this.bans.set(subject, ban)
    if (ban.enforced) this.forgetCounters(subject)
    return { ...ban, created: true }
  }

  /** Drop a subject's counters, so it starts clean when a ban ends or is lifted. */
  private forgetCounters(subject: string): void {
    const slot = this.table.peek(subject)
    if (slot >= 0) this.burst.reset(slot)
    this.authLogs.delete(subject)
    this.suspicionLogs.delete(subject)
    this.items.delete(subject)
  }

  setBan(input: Omit<BanRecord, 'offense'> & { offense?: number }): BanRecord {
    const ban: BanRecord = { ...input, offense: input.offense ?? 1 }
    this.bans.set(ban.subject, ban)
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

  close(): void {
    this.table.clear()
    this.authLogs.clear()
    this.suspicionLogs.clear()
    this.items.clear()
    this.endpoints.clear()
    this.bans.clear()
    this.offenses.clear()
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
