import { SlidingLog } from './sliding-log.js'

/** Sources kept per subject: the most recently seen, enough to tell whether `sources` of them are in the window. */
export function spreadCap(sources: number): number {
  return Math.max(4 * sources, 16)
}

/**
 * Events and the sources they came from (the `spread` count): an exact sliding log of the last `limit + 1` event times,
 * and per source its unrefunded events and its last event time, for the `spreadCap` most recently seen sources.
 */
export class SpreadLog {
  readonly log: SlidingLog
  /** Source → [unrefunded events, last event time]; Map order is recency (a source seen again moves to the end). */
  private readonly sources = new Map<string, [number, number]>()

  constructor(
    readonly limit: number,
    private readonly cap: number,
  ) {
    this.log = new SlidingLog(limit + 1)
  }

  add(now: number, source: string, n: number): void {
    this.log.add(now, n)
    const seen = this.sources.get(source)
    if (seen !== undefined) this.sources.delete(source)
    this.sources.set(source, [(seen?.[0] ?? 0) + n, now])
    if (this.sources.size > this.cap) {
      const oldest = this.sources.keys().next().value as string
      this.sources.delete(oldest)
    }
  }

  /** A refunded reservation: the newest `n` events go, and `n` of `source`'s (none left: it no longer counts). */
  takeBack(source: string, n: number): void {
    this.log.takeBack(n)
    const seen = this.sources.get(source)
    if (seen === undefined) return
    seen[0] -= n
    if (seen[0] <= 0) this.sources.delete(source)
  }

  /** Sources with an unrefunded event whose last event is in `(now - windowMs, now]`. */
  distinct(now: number, windowMs: number): number {
    const since = now - windowMs
    let n = 0
    for (const [count, last] of this.sources.values()) if (count > 0 && last > since) n++
    return n
  }
}
