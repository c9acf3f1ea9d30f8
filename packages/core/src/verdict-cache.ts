/**
 * A bounded memo for verdicts that depend only on a string (a user agent, a path, an address): two generations of
 * plain Maps. Lookups hit the young generation, then the old one (promoting the entry); when the young one reaches
 * `max` entries it becomes the old one and the previous old one is dropped. So at most `2 × max` entries are held,
 * recently used entries survive, and a lookup costs one or two `Map.get`s — cheaper on the per-request path than a
 * strict LRU (we measured lru-cache's recency bookkeeping as a top cost of `inspect`).
 */
export class VerdictCache<V> {
  private young = new Map<string, V>()
  private old = new Map<string, V>()

  constructor(private readonly max: number) {}

  get(key: string): V | undefined {
    const v = this.young.get(key)
    if (v !== undefined || this.old.size === 0) return v
    const o = this.old.get(key)
    if (o !== undefined) this.set(key, o)
    return o
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.max) {
      this.old = this.young
      this.young = new Map()
    }
    this.young.set(key, value)
  }

  clear(): void {
    this.young.clear()
    this.old.clear()
  }

  get size(): number {
    return this.young.size + this.old.size
  }
}
