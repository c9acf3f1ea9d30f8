import { BoundedMap } from './bounded-map.js'
import type { BanRecord } from './types.js'

interface CachedBan {
  record: BanRecord
  reason: string
  /** The store's clock minus this process's clock when the ban was seen, so expiry is judged on the store's clock. */
  skew: number
}

/** Active enforced bans seen by this engine, so a banned client costs no store work. Bounded. */
export class BanCache {
  private readonly bans: BoundedMap<CachedBan>

  constructor(size: number) {
    this.bans = new BoundedMap(size)
  }

  get size(): number {
    return this.bans.size
  }

  set(record: BanRecord, reason: string, skew: number): void {
    this.bans.set(record.subject, { record, reason, skew })
  }

  delete(subject: string): void {
    this.bans.delete(subject)
  }

  /** The first of `subjects` with a ban in force at `now` (this process's clock). */
  find(now: number, a: string, b: string | undefined, c: string | undefined): CachedBan | null {
    return (
      this.get(a, now) ??
      (b === undefined ? null : this.get(b, now)) ??
      (c === undefined ? null : this.get(c, now))
    )
  }

  private get(subject: string, now: number): CachedBan | null {
    const c = this.bans.get(subject)
    if (c === undefined) return null
    if (c.record.expiresAt <= now + c.skew) {
      this.bans.delete(subject)
      return null
    }
    return c
  }
}
