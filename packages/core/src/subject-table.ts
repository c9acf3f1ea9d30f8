/**
 * A fixed-capacity table of subject keys with least-recently-used eviction, in typed arrays: a subject costs one Map
 * entry, one array slot and two Int32 links, with no object per subject and no timer. `touch` is O(1).
 */
export class SubjectTable {
  private readonly index = new Map<string, number>()
  private readonly keys: (string | undefined)[]
  private readonly prev: Int32Array
  private readonly next: Int32Array
  private head = -1 // most recently used
  private tail = -1 // least recently used
  private used = 0

  /** @param onAssign called whenever a slot is given to a new subject (fresh or evicted), to reset its state. */
  constructor(
    readonly capacity: number,
    private readonly onAssign: (slot: number) => void,
  ) {
    this.keys = new Array(capacity)
    this.prev = new Int32Array(capacity).fill(-1)
    this.next = new Int32Array(capacity).fill(-1)
  }

  get size(): number {
    return this.index.size
  }

  /** The slot of `key`, or -1. Does not change recency. */
  peek(key: string): number {
    return this.index.get(key) ?? -1
  }

  /** The slot of `key`, created (evicting the least recently used subject when full) and marked most recent. */
  touch(key: string): number {
    let slot = this.index.get(key)
    if (slot !== undefined) {
      if (slot !== this.head) {
        this.unlink(slot)
        this.pushFront(slot)
      }
      return slot
    }
    if (this.used < this.capacity) {
      slot = this.used++
    } else {
      slot = this.tail
      const old = this.keys[slot] as string
      this.unlink(slot)
      this.index.delete(old)
    }
    this.onAssign(slot)
    this.keys[slot] = key
    this.index.set(key, slot)
    this.pushFront(slot)
    return slot
  }

  /** Forget every subject. */
  clear(): void {
    this.index.clear()
    this.keys.fill(undefined)
    this.prev.fill(-1)
    this.next.fill(-1)
    this.head = -1
    this.tail = -1
    this.used = 0
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
