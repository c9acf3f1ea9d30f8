import { LRUCache } from 'lru-cache'

/**
 * Exact "more than `limit` requests in any `windowMs`" for many subjects in little memory.
 *
 * Every subject keeps its last two request times inline (16 bytes in a shared Float64Array). Only a subject that
 * sends a third request while the previous two are still inside the window is promoted to a full ring of its last
 * `limit` request times; it is demoted again when it calms down. The count is exact because a subject is promoted
 * the first time it has three requests in a window, so the ring always holds every request that can still matter.
 * Hot rings live in an LRU of `maxHot` entries: beyond that many subjects bursting at the same moment, the least
 * recently seen loses its ring and may be undercounted (documented in the README).
 */
const INLINE = 2

export class BurstWindows {
  private readonly stamps: Float64Array
  private readonly hot: LRUCache<number, { ring: Float64Array; head: number }>

  constructor(capacity: number, maxHot: number) {
    this.stamps = new Float64Array(capacity * INLINE).fill(Number.NEGATIVE_INFINITY)
    this.hot = new LRUCache({
      max: maxHot,
      dispose: (value, slot, reason) => {
        if (reason === 'evict') this.demote(slot, value.ring, value.head)
      },
    })
  }

  /** Count one request for `slot`. Returns the number of requests in the window when the limit trips, else 0. */
  hit(slot: number, now: number, limit: number, windowMs: number): number {
    const since = now - windowMs
    const hot = this.hot.get(slot)
    if (hot !== undefined) return this.hitHot(slot, hot, now, limit, since)
    const base = slot * INLINE
    const last = this.stamps[base] as number
    const before = this.stamps[base + 1] as number
    if (before > since && limit >= INLINE) {
      if (limit === INLINE) return INLINE + 1
      // Third request within the window: from here on keep every request time.
      const ring = new Float64Array(limit).fill(Number.NEGATIVE_INFINITY)
      ring[0] = before
      ring[1] = last
      ring[2] = now
      this.hot.set(slot, { ring, head: 3 % limit })
      return 0
    }
    if (limit < INLINE) {
      const inWindow = (last > since ? 1 : 0) + 1
      if (inWindow > limit) return inWindow
    }
    this.stamps[base + 1] = last
    this.stamps[base] = now
    return 0
  }

  private hitHot(
    slot: number,
    hot: { ring: Float64Array; head: number },
    now: number,
    limit: number,
    since: number,
  ): number {
    const { ring } = hot
    if (ring.length !== limit) {
      // The limit changed since the ring was made: start over from the inline times.
      this.hot.delete(slot)
      this.demote(slot, ring, hot.head)
      return this.hit(slot, now, limit, now - since)
    }
    const oldest = ring[hot.head] as number
    if (oldest > since) return limit + 1
    ring[hot.head] = now
    hot.head = (hot.head + 1) % limit
    // Demote when no more than the inline number of requests is left in the window.
    const third = ring[(hot.head - INLINE - 1 + 2 * limit) % limit] as number
    if (third <= since) {
      this.hot.delete(slot)
      this.demote(slot, ring, hot.head)
    }
    return 0
  }

  private demote(slot: number, ring: Float64Array, head: number): void {
    const len = ring.length
    const base = slot * INLINE
    this.stamps[base] = ring[(head - 1 + len) % len] as number
    this.stamps[base + 1] = len > 1 ? (ring[(head - 2 + 2 * len) % len] as number) : Number.NEGATIVE_INFINITY
  }

  /** Forget a subject (its slot is being reused or it was unbanned). */
  reset(slot: number): void {
    this.hot.delete(slot)
    const base = slot * INLINE
    this.stamps[base] = Number.NEGATIVE_INFINITY
    this.stamps[base + 1] = Number.NEGATIVE_INFINITY
  }

  get hotCount(): number {
    return this.hot.size
  }
}
