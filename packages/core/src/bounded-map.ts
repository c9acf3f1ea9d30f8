/**
 * A bounded map in two generations of plain Maps. Reads look in the young generation, then the old one (moving the
 * entry to the young one); when the young one reaches `max` entries it becomes the old one and the previous old
 * generation is dropped (`onEvict` sees each dropped entry). So at most `2 × max` entries are held, anything used
 * within the last `max` writes survives, nothing is allocated up front, and a read costs one or two `Map.get`s.
 *
 * We use this instead of a strict LRU (lru-cache) on the per-request path: lru-cache's recency bookkeeping was a top
 * cost of `inspect` in profiles, and it preallocates arrays of `max` slots, which dominated the memory of a store
 * with several sparse maps.
 */
export class BoundedMap<V> {
  private young = new Map<string | number, V>()
  private old = new Map<string | number, V>()

  constructor(
    private readonly max: number,
    private readonly onEvict?: (key: string | number, value: V) => void,
  ) {}

  get(key: string | number): V | undefined {
    const v = this.young.get(key)
    if (v !== undefined || this.old.size === 0) return v
    const o = this.old.get(key)
    if (o !== undefined) {
      this.old.delete(key)
      this.set(key, o)
    }
    return o
  }

  set(key: string | number, value: V): void {
    if (this.young.size >= this.max && !this.young.has(key)) {
      const dropped = this.old
      this.old = this.young
      this.young = new Map()
      if (this.onEvict) for (const [k, v] of dropped) this.onEvict(k, v)
    }
    this.old.delete(key)
    this.young.set(key, value)
  }

  delete(key: string | number): boolean {
    const a = this.young.delete(key)
    const b = this.old.delete(key)
    return a || b
  }

  clear(): void {
    this.young.clear()
    this.old.clear()
  }

  get size(): number {
    return this.young.size + this.old.size
  }

  *values(): IterableIterator<V> {
    yield* this.old.values()
    yield* this.young.values()
  }
}
