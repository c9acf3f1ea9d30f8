/**
 * A cache of a matcher's verdicts bounded in bytes, not only in entries: a key longer than `maxKeyLength` is never
 * stored (long user agents and paths are matched every time, which is linear work, and cost no memory), and the
 * cache holds at most `maxBytes` of keys and values (counted as UTF-16: two bytes a character, plus a fixed overhead
 * per entry for the map's own bookkeeping). Two generations of plain Maps, as `BoundedMap`: reads look in the young
 * one, then the old one (moving the entry up); when the young one is full it becomes the old one and the previous old
 * one is dropped. So a verdict used within the last `maxBytes / 2` bytes of writes survives, and a read costs one or
 * two `Map.get`s.
 */
export class VerdictCache<V extends string | number | boolean | null> {
  private young = new Map<string, V>()
  private old = new Map<string, V>()
  private youngBytes = 0
  private oldBytes = 0
  private readonly generationBytes: number

  constructor(
    /** Total budget of both generations, in bytes. */
    readonly maxBytes: number,
    /** Keys longer than this (in characters) are not cached. */
    readonly maxKeyLength: number,
  ) {
    this.generationBytes = Math.max(1, Math.floor(maxBytes / 2))
  }

  /** What one entry is counted as: its key and value as UTF-16, and the map's own overhead. */
  static cost(key: string, value: unknown): number {
    return ENTRY_OVERHEAD + 2 * key.length + (typeof value === 'string' ? 2 * value.length : 8)
  }

  get(key: string): V | undefined {
    const v = this.young.get(key)
    if (v !== undefined || this.old.size === 0) return v
    const o = this.old.get(key)
    if (o !== undefined) {
      this.old.delete(key)
      this.oldBytes -= VerdictCache.cost(key, o)
      this.set(key, o)
    }
    return o
  }

  set(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return
    const cost = VerdictCache.cost(key, value)
    if (cost > this.generationBytes) return
    const previous = this.young.get(key)
    if (previous !== undefined) {
      this.young.set(key, value)
      this.youngBytes += cost - VerdictCache.cost(key, previous)
      return
    }
    if (this.youngBytes + cost > this.generationBytes) {
      this.old = this.young
      this.oldBytes = this.youngBytes
      this.young = new Map()
      this.youngBytes = 0
    }
    const inOld = this.old.get(key)
    if (inOld !== undefined) {
      this.old.delete(key)
      this.oldBytes -= VerdictCache.cost(key, inOld)
    }
    this.young.set(key, value)
    this.youngBytes += cost
  }

  /** `set` for a key known to be absent (just missed by `get`): one map operation fewer. */
  add(key: string, value: V): void {
    if (key.length > this.maxKeyLength) return
    const cost = ENTRY_OVERHEAD + 2 * key.length + (typeof value === 'string' ? 2 * value.length : 8)
    if (cost > this.generationBytes) return
    if (this.youngBytes + cost > this.generationBytes) {
      this.old = this.young
      this.oldBytes = this.youngBytes
      this.young = new Map()
      this.youngBytes = 0
    }
    this.young.set(key, value)
    this.youngBytes += cost
  }

  /** Bytes held now (keys, values and per-entry overhead, as counted above); never more than `maxBytes`. */
  get bytes(): number {
    return this.youngBytes + this.oldBytes
  }

  get size(): number {
    return this.young.size + this.old.size
  }

  clear(): void {
    this.young.clear()
    this.old.clear()
    this.youngBytes = 0
    this.oldBytes = 0
  }
}

/** A generous estimate of what V8's Map spends on one entry besides the key and value (hash table slots, headers). */
const ENTRY_OVERHEAD = 64
