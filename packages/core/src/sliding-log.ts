/**
 * An exact sliding log of the last `size` event times in a ring. `size` is the rule's limit + 1, so the log knows
 * whether more than `limit` events fall inside any window without keeping more than it needs.
 */
export class SlidingLog {
  private readonly times: Float64Array
  private head = 0

  constructor(size: number) {
    this.times = new Float64Array(size).fill(Number.NEGATIVE_INFINITY)
  }

  get size(): number {
    return this.times.length
  }

  /** Add `n` events at `now` (at most `size` are kept). */
  add(now: number, n = 1): void {
    const len = this.times.length
    for (let i = 0; i < n && i < len; i++) {
      this.times[this.head] = now
      this.head = (this.head + 1) % len
    }
  }

  /** Take back the `n` newest events (a refunded reservation). */
  takeBack(n: number): void {
    const len = this.times.length
    for (let i = 0; i < n && i < len; i++) {
      this.head = (this.head - 1 + len) % len
      this.times[this.head] = Number.NEGATIVE_INFINITY
    }
  }

  /** Events in `(now - windowMs, now]`, at most `size`. */
  count(now: number, windowMs: number): number {
    const since = now - windowMs
    let n = 0
    for (let i = 0; i < this.times.length; i++) if ((this.times[i] as number) > since) n++
    return n
  }

  clear(): void {
    this.times.fill(Number.NEGATIVE_INFINITY)
    this.head = 0
  }
}
