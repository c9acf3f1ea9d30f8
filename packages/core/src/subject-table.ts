import type { SubjectOp } from './store.js'

/**
 * A subject op as the engine makes it: also the `keyHash` of its key when the engine has it (computed once per client
 * address), so the memory store does not hash the key again on every request. Other stores ignore it.
 */
export interface HashedSubjectOp extends SubjectOp {
  hash: number | undefined
}

/**
 * A fixed-capacity table of subject keys with least-recently-used eviction, in typed arrays: an open-addressing hash
 * index (linear probing, backward-shift deletion), a key array and a doubly linked recency list. A subject costs its
 * key string plus 20 bytes (index 8 at a load factor of at most ½, hash 4, links 8), with no object per subject and
 * no timer; `touch` is O(1) on average. (A `Map` cost about 40 bytes per entry here; see benchmarks/.)
 */
export class SubjectTable {
  private readonly keys: (string | undefined)[]
  private readonly hashes: Int32Array
  private readonly index: Int32Array // slot + 1; 0 = empty
  private readonly mask: number
  private readonly prev: Int32Array
  private readonly next: Int32Array
  private head = -1 // most recently used
  private tail = -1 // least recently used
  private used = 0
  private count = 0

  /** @param onAssign called whenever a slot is given to a new subject (fresh or evicted), to reset its state. */
  constructor(
    readonly capacity: number,
    private readonly onAssign: (slot: number) => void,
  ) {
    this.keys = new Array(capacity)
    this.hashes = new Int32Array(capacity)
    let size = 2
    while (size < capacity * 2) size *= 2
    this.index = new Int32Array(size)
    this.mask = size - 1
    this.prev = new Int32Array(capacity).fill(-1)
    this.next = new Int32Array(capacity).fill(-1)
  }

  get size(): number {
    return this.count
  }

  /** The slot of `key`, or -1. Does not change recency. */
  peek(key: string, h: number = keyHash(key)): number {
    for (let i = h & this.mask; ; i = (i + 1) & this.mask) {
      const entry = this.index[i] as number
      if (entry === 0) return -1
      const slot = entry - 1
      if (this.hashes[slot] === h && this.keys[slot] === key) return slot
    }
  }

  /**
   * The slot of `key`, created (evicting the least recently used subject when full) and marked most recent. `h` is
   * `keyHash(key)`, when the caller has it already (the engine computes it once per client address).
   */
  touch(key: string, h: number = keyHash(key)): number {
    let i = h & this.mask
    for (; ; i = (i + 1) & this.mask) {
      const entry = this.index[i] as number
      if (entry === 0) break
      const slot = entry - 1
      if (this.hashes[slot] === h && this.keys[slot] === key) {
        if (slot !== this.head) {
          this.unlink(slot)
          this.pushFront(slot)
        }
        return slot
      }
    }
    let slot: number
    if (this.used < this.capacity) {
      slot = this.used++
    } else {
      slot = this.tail
      this.unlink(slot)
      this.unindex(slot)
      // The deletion may have shifted entries: find the free position for the new key again.
      for (i = h & this.mask; this.index[i] !== 0; i = (i + 1) & this.mask);
    }
    this.keys[slot] = key
    this.hashes[slot] = h
    this.index[i] = slot + 1
    this.count++
    this.onAssign(slot)
    this.pushFront(slot)
    return slot
  }

  /** Forget every subject. */
  clear(): void {
    this.keys.fill(undefined)
    this.index.fill(0)
    this.prev.fill(-1)
    this.next.fill(-1)
    this.head = -1
    this.tail = -1
    this.used = 0
    this.count = 0
  }

  /** Remove `slot` from the hash index (backward-shift deletion keeps probe chains intact). */
  private unindex(slot: number): void {
    const mask = this.mask
    let p = (this.hashes[slot] as number) & mask
    while (this.index[p] !== slot + 1) p = (p + 1) & mask
    this.index[p] = 0
    for (let j = (p + 1) & mask; this.index[j] !== 0; j = (j + 1) & mask) {
      const home = (this.hashes[(this.index[j] as number) - 1] as number) & mask
      // Move the entry at j back to p unless its home lies cyclically in (p, j].
      const inside = p <= j ? home > p && home <= j : home > p || home <= j
      if (!inside) {
        this.index[p] = this.index[j] as number
        this.index[j] = 0
        p = j
      }
    }
    this.keys[slot] = undefined
    this.count--
  }

  private unlink(slot: number): void {
    const p = this.prev[slot] as number
    const n = this.next[slot] as number
    if (p >= 0) this.next[p] = n
    else this.head = n
    if (n >= 0) this.prev[n] = p
    else this.tail = p
    this.prev[slot] = -1
    this.next[slot] = -1
  }

  private pushFront(slot: number): void {
    this.prev[slot] = -1
    this.next[slot] = this.head
    if (this.head >= 0) this.prev[this.head] = slot
    this.head = slot
    if (this.tail < 0) this.tail = slot
  }
}

/** FNV-1a over UTF-16 code units: the hash the table indexes a key by. */
export function keyHash(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h
}
