import { fingerprint } from './fingerprint.js'

const FINGERPRINT = /^[0-9a-z]{1,11}$/

/**
 * The distinct items one subject queried inside a window, exact up to fingerprint collisions: a Map from the item's
 * 53-bit fingerprint (the engine's `fingerprint()`, as a number) to the time it was last seen, relative to this
 * window's start. The Map is kept in order of last sighting, so expired items are dropped from the front, and it
 * never holds more than `limit + 1` items — by then the rule has tripped. Two distinct items share a fingerprint with
 * probability about n² / 2⁵⁴, the width the Redis store keeps too; a narrower hash here let a client with a second
 * of search find colliding items and stay under the limit.
 */
export class ItemWindow {
  private readonly seen = new Map<number, number>()
  private readonly base: number

  constructor(now: number) {
    this.base = now
  }

  /** Record `value` at `now`; returns the distinct items seen in `(now - windowMs, now]`. */
  add(value: string, now: number, windowMs: number, limit: number): number {
    const seen = this.seen
    const since = now - windowMs - this.base
    for (const [item, at] of seen) {
      if (at > since) break
      seen.delete(item)
    }
    const h = Number.parseInt(FINGERPRINT.test(value) ? value : fingerprint(value), 36)
    seen.delete(h)
    seen.set(h, now - this.base)
    if (seen.size > limit + 1) seen.delete(seen.keys().next().value as number)
    return seen.size
  }
}
