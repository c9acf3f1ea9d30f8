import type { BanRecord } from './types.js'

/**
 * Active bans, apart from every other per-subject state and never evicted by recency: a flood of new subjects (or of
 * new bans) cannot push out an older ban that still has hours to run. When the table is full, the ban that ends
 * soonest goes first, and `onEvict` hears of it. A binary min-heap on `expiresAt` (lazy: entries whose ban was
 * replaced or deleted are skipped when they surface) keeps that O(log n); its stale entries are compacted away
 * when they outnumber the live ones, so memory stays proportional to `max`.
 */
export class BanTable {
  private readonly bans = new Map<string, BanRecord>()
  /** [expiresAt, subject] pairs; an entry is live while `bans.get(subject)?.expiresAt === expiresAt`. */
  private heap: [number, string][] = []

  constructor(
    private readonly max: number,
    private readonly onEvict?: (ban: BanRecord) => void,
  ) {}

  get size(): number {
    return this.bans.size
  }

  get(subject: string): BanRecord | undefined {
    return this.bans.get(subject)
  }

  set(ban: BanRecord): void {
    if (!this.bans.has(ban.subject) && this.bans.size >= this.max) this.evictSoonest()
    this.bans.set(ban.subject, ban)
    this.push([ban.expiresAt, ban.subject])
    if (this.heap.length > 2 * this.max + 16) this.compact()
  }

  delete(subject: string): boolean {
    return this.bans.delete(subject)
  }

  values(): IterableIterator<BanRecord> {
    return this.bans.values()
  }

  clear(): void {
    this.bans.clear()
    this.heap = []
  }

  private evictSoonest(): void {
    while (this.heap.length > 0) {
      const [expiresAt, subject] = this.pop()
      const ban = this.bans.get(subject)
      if (ban === undefined || ban.expiresAt !== expiresAt) continue
      this.bans.delete(subject)
      this.onEvict?.(ban)
      return
    }
  }

  private compact(): void {
    this.heap = []
    for (const ban of this.bans.values()) this.push([ban.expiresAt, ban.subject])
  }

  private push(entry: [number, string]): void {
    const h = this.heap
    h.push(entry)
    let i = h.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((h[parent] as [number, string])[0] <= entry[0]) break
      h[i] = h[parent] as [number, string]
      i = parent
    }
    h[i] = entry
  }

  private pop(): [number, string] {
    const h = this.heap
    const top = h[0] as [number, string]
    const last = h.pop() as [number, string]
    if (h.length > 0) {
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        if (l >= h.length) break
        const r = l + 1
        const c = r < h.length && (h[r] as [number, string])[0] < (h[l] as [number, string])[0] ? r : l
        if ((h[c] as [number, string])[0] >= last[0]) break
        h[i] = h[c] as [number, string]
        i = c
      }
      h[i] = last
    }
    return top
  }
}
