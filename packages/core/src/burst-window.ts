import { BoundedMap } from './bounded-map.js'

/**
 * Exact "more than `limit` requests in any `windowMs`" for many subjects in little memory.
 *
 * Every subject keeps its last two request times inline (16 bytes in a shared Float64Array). Only a subject that
 * sends a third request while the previous two are still inside the window is promoted to a queue of the request
 * times inside the window (grown on demand, never longer than `limit`); it is demoted again when no more than two
 * of them are left. The count is exact because a subject is promoted the first time it has three requests in a
 * window, so the queue always holds every request that can still matter. Queues live in a bounded map of `maxHot`
 * to 2 × `maxHot` entries: beyond that many subjects bursting at the same moment, the least recently seen loses its
 * queue and may be undercounted (documented in the README).
 */
const INLINE = 2

interface HotQueue {
  times: Float64Array
  head: number
  length: number
}

export class BurstWindows {
  private readonly stamps: Float64Array
  private readonly hot: BoundedMap<HotQueue>

  constructor(capacity: number, maxHot: number) {
    this.stamps = new Float64Array(capacity * INLINE).fill(Number.NEGATIVE_INFINITY)
    this.hot = new BoundedMap(maxHot, (slot, queue) => this.demote(slot as number, queue))
  }

  /** Count one request for `slot`. Returns the number of requests in the window when the limit trips, else 0. */
  hit(slot: number, now: number, limit: number, windowMs: number): number {
    const since = now - windowMs
    const queue = this.hot.get(slot)
    if (queue !== undefined) return this.hitHot(slot, queue, now, limit, since)
    const base = slot * INLINE
    const last = this.stamps[base] as number
    const before = this.stamps[base + 1] as number
    const inWindow = (last > since ? 1 : 0) + (before > since ? 1 : 0)
    if (inWindow >= limit) return inWindow + 1
    if (inWindow === INLINE) {
      // A third request within the window: from here on keep every request time.
      const times = new Float64Array(8)
      times[0] = before
      times[1] = last
      times[2] = now
      this.hot.set(slot, { times, head: 0, length: 3 })
      return 0
    }
    this.stamps[base + 1] = last
    this.stamps[base] = now
    return 0
  }

  private hitHot(slot: number, q: HotQueue, now: number, limit: number, since: number): number {
    const cap = q.times.length
    while (q.length > 0 && (q.times[q.head] as number) <= since) {
      q.head = (q.head + 1) % cap
      q.length--
    }
    if (q.length >= limit) return q.length + 1
    if (q.length < INLINE) {
      // Calm again: back to the inline times.
      this.hot.delete(slot)
      this.demote(slot, q)
      return this.hit(slot, now, limit, now - since)
    }
    if (q.length === cap) this.grow(q)
    q.times[(q.head + q.length) % q.times.length] = now
    q.length++
    return 0
  }

  private grow(q: HotQueue): void {
    const cap = q.times.length
    const times = new Float64Array(cap * 2)
    for (let i = 0; i < q.length; i++) times[i] = q.times[(q.head + i) % cap] as number
    q.times = times
    q.head = 0
  }

  private demote(slot: number, q: HotQueue): void {
    const cap = q.times.length
    const base = slot * INLINE
    this.stamps[base] =
      q.length > 0 ? (q.times[(q.head + q.length - 1) % cap] as number) : Number.NEGATIVE_INFINITY
    this.stamps[base + 1] =
      q.length > 1 ? (q.times[(q.head + q.length - 2) % cap] as number) : Number.NEGATIVE_INFINITY
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
