/**
 * The distinct items one subject queried inside a window, exact up to hash collisions, in about 37 bytes per item:
 * a Map from a 31-bit hash of the item (a small integer V8 stores unboxed) to the time it was last seen, relative to
 * this window's start (also unboxed). The Map is kept in order of last sighting, so expired items are dropped from the
 * front, and it never holds more than `limit + 1` items — by then the rule has tripped. Two distinct items share a
 * hash with probability about n² / 2³² (for 500 items, 6 in 100,000), which can only undercount by one.
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
    const h = hash31(value)
    seen.delete(h)
    seen.set(h, now - this.base)
    if (seen.size > limit + 1) seen.delete(seen.keys().next().value as number)
    return seen.size
  }
}

/** FNV-1a over UTF-16 code units, folded to a 31-bit signed integer. */
function hash31(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >> 1
}
