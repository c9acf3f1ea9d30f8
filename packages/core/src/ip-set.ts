import type ipaddr from 'ipaddr.js'
import { type IpRange, type ParsedIp, parseRange } from './ip.js'

/** An IPv4 prefix read without ipaddr.js (see `parsePrefix`): its network as a 32-bit number. */
export interface V4Prefix {
  v4: number
  bits: number
  text: string
}

/** A key of an `IpSet`: a parsed range, or an IPv4 prefix read on the fast path. */
export type Prefix = IpRange | V4Prefix

/**
 * Parse an address or CIDR for an `IpSet`. A dotted-quad IPv4 address or CIDR (what deny lists are made of) is read
 * by hand, about ten times faster than ipaddr.js, so a 100,000-line list loads in tens of milliseconds; anything else
 * goes through `parseRange`. Null for what is neither.
 */
export function parsePrefix(text: string): Prefix | null {
  if (typeof text !== 'string' || text.length > 72) return null
  const slash = text.indexOf('/')
  const head = slash < 0 ? text : text.slice(0, slash)
  const n = v4FromText(head)
  if (n < 0) return parseRange(text)
  if (slash < 0) return { v4: n, bits: 32, text }
  const tail = text.slice(slash + 1)
  if (!/^\d{1,2}$/.test(tail)) return parseRange(text)
  const bits = Number(tail)
  if (bits > 32) return null
  const net = maskV4(n, bits)
  return {
    v4: net,
    bits,
    text: `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${bits}`,
  }
}

function isV4(p: Prefix): boolean {
  return 'v4' in p || p.addr.kind() === 'ipv4'
}

function v4Of(p: Prefix): number {
  return 'v4' in p ? p.v4 : v4Number(p.addr)
}

/** A stored range and its value. */
export interface IpSetEntry<V> {
  /** The range's canonical text: `203.0.113.0/24`, `2001:db8::/32`, `192.0.2.7` (a single address). */
  text: string
  value: V
}

/**
 * A set of CIDR ranges (IPv4 and IPv6) with a value each, answering "which range holds this address" by longest
 * prefix. One hash map per prefix length in use: a lookup masks the address to each such length, longest first,
 * and probes that map, so it costs one `Map.get` per distinct prefix length (a few for real lists, 33 at worst for
 * IPv4) whatever the number of entries. IPv4 keys are numbers; IPv6 maps are nested, one level per 32-bit word the prefix covers.
 *
 * Memory is one map entry per range (no trie nodes), so 100,000 ranges take a few megabytes.
 */
export class IpSet<V> {
  /** v4[len]: masked address (uint32) -> entry. */
  private readonly v4: (Map<number, IpSetEntry<V>> | undefined)[] = new Array(33)
  /** v6[len]: masked 32-bit words, one map level per word the prefix covers -> entry. */
  private readonly v6: (Level<V> | undefined)[] = new Array(129)
  /** Prefix lengths in use, longest first. */
  private v4Lens: number[] = []
  private v6Lens: number[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  /** Add or replace the value of `range`. */
  set(range: Prefix, value: V): void {
    if (isV4(range)) {
      let map = this.v4[range.bits]
      if (map === undefined) {
        map = new Map()
        this.v4[range.bits] = map
        this.v4Lens = lengths(this.v4)
      }
      const key = maskV4(v4Of(range), range.bits)
      if (!map.has(key)) this.count++
      map.set(key, { text: range.text, value })
    } else {
      let root = this.v6[range.bits]
      if (root === undefined) {
        root = new Map()
        this.v6[range.bits] = root
        this.v6Lens = lengths(this.v6)
      }
      if (setV6(root, v6Words((range as IpRange).addr), range.bits, { text: range.text, value })) this.count++
    }
  }

  /** The entry stored for exactly `range`. */
  get(range: Prefix): IpSetEntry<V> | undefined {
    if (isV4(range)) return this.v4[range.bits]?.get(maskV4(v4Of(range), range.bits))
    const root = this.v6[range.bits]
    return root === undefined ? undefined : getV6(root, v6Words((range as IpRange).addr), range.bits)
  }

  delete(range: Prefix): boolean {
    if (isV4(range)) {
      const map = this.v4[range.bits]
      if (map === undefined || !map.delete(maskV4(v4Of(range), range.bits))) return false
      if (map.size === 0) {
        this.v4[range.bits] = undefined
        this.v4Lens = lengths(this.v4)
      }
    } else {
      const root = this.v6[range.bits]
      if (root === undefined || !deleteV6(root, v6Words((range as IpRange).addr), range.bits)) return false
      if (root.size === 0) {
        this.v6[range.bits] = undefined
        this.v6Lens = lengths(this.v6)
      }
    }
    this.count--
    return true
  }

  /**
   * The most specific entry holding `addr` whose value `accept` takes (default: any), or null. `accept` lets a
   * caller skip an expired entry and fall back to a shorter prefix that also holds the address.
   */
  match(addr: ParsedIp, accept?: (value: V) => boolean): IpSetEntry<V> | null {
    if (this.count === 0) return null
    if (addr.kind() === 'ipv4') return this.matchV4(v4Number(addr), accept)
    const lens = this.v6Lens
    if (lens.length === 0) return null
    const w = v6Words(addr)
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i] as number
      const e = getV6(this.v6[len] as Level<V>, w, len)
      if (e !== undefined && (accept === undefined || accept(e.value))) return e
    }
    return null
  }

  /** `match` for an IPv4 address given as its 32-bit number (see `v4FromText`). */
  matchV4(n: number, accept?: (value: V) => boolean): IpSetEntry<V> | null {
    const lens = this.v4Lens
    for (let i = 0; i < lens.length; i++) {
      const len = lens[i] as number
      const e = (this.v4[len] as Map<number, IpSetEntry<V>>).get(maskV4(n, len))
      if (e !== undefined && (accept === undefined || accept(e.value))) return e
    }
    return null
  }

  /**
   * Visit every entry: `fn` returns the value to keep (it may be the same one) or undefined to delete the entry. One
   * pass, no parsing: how a source's entries are dropped all at once.
   */
  sweep(fn: (value: V) => V | undefined): void {
    for (let len = 0; len < this.v4.length; len++) {
      const map = this.v4[len]
      if (map === undefined) continue
      for (const [key, e] of map) {
        const v = fn(e.value)
        if (v === undefined) {
          map.delete(key)
          this.count--
        } else e.value = v
      }
      if (map.size === 0) this.v4[len] = undefined
    }
    for (let len = 0; len < this.v6.length; len++) {
      const root = this.v6[len]
      if (root === undefined) continue
      this.count -= sweepLevel(root, depthOf(len), fn)
      if (root.size === 0) this.v6[len] = undefined
    }
    this.v4Lens = lengths(this.v4)
    this.v6Lens = lengths(this.v6)
  }

  /** Every entry, in no particular order. */
  *entries(): IterableIterator<IpSetEntry<V>> {
    for (const map of this.v4) if (map !== undefined) yield* map.values()
    for (let len = 0; len < this.v6.length; len++) {
      const root = this.v6[len]
      if (root !== undefined) yield* walk(root, depthOf(len))
    }
  }

  clear(): void {
    this.v4.fill(undefined)
    this.v6.fill(undefined)
    this.v4Lens = []
    this.v6Lens = []
    this.count = 0
  }
}

/**
 * The 32-bit number of a canonical dotted quad (`198.51.100.7`, as the client resolver writes it), or -1 for any
 * other text. No allocation: the request path calls it for every address it did not parse.
 */
export function v4FromText(s: string): number {
  let n = 0
  let part = 0
  let digits = 0
  let dots = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1
      n = n * 256 + part
      part = 0
      digits = 0
      dots++
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits > 0 && part === 0)) return -1
      part = part * 10 + (c - 48)
      if (part > 255) return -1
      digits++
    } else return -1
  }
  if (dots !== 3 || digits === 0) return -1
  return n * 256 + part
}

function lengths(maps: readonly (Map<unknown, unknown> | undefined)[]): number[] {
  const out: number[] = []
  for (let len = maps.length - 1; len >= 0; len--) if (maps[len] !== undefined) out.push(len)
  return out
}

function v4Number(addr: ParsedIp): number {
  const o = (addr as ipaddr.IPv4).octets
  return (
    (((o[0] as number) << 24) | ((o[1] as number) << 16) | ((o[2] as number) << 8) | (o[3] as number)) >>> 0
  )
}

function maskV4(n: number, bits: number): number {
  return bits === 0 ? 0 : (n & (0xffffffff << (32 - bits))) >>> 0
}

function v6Words(addr: ParsedIp): number[] {
  const p = (addr as ipaddr.IPv6).parts
  return [
    (((p[0] as number) << 16) | (p[1] as number)) >>> 0,
    (((p[2] as number) << 16) | (p[3] as number)) >>> 0,
    (((p[4] as number) << 16) | (p[5] as number)) >>> 0,
    (((p[6] as number) << 16) | (p[7] as number)) >>> 0,
  ]
}

/**
 * One level of an IPv6 map: keyed by one masked 32-bit word. A prefix of `len` bits uses `depthOf(len)` levels (at
 * least one: the /0 entry sits under key 0); the last holds entries.
 */
type Level<V> = Map<number, Level<V> | IpSetEntry<V>>

function depthOf(bits: number): number {
  return bits === 0 ? 1 : (bits + 31) >>> 5
}

/** The word at level `i` of a `bits`-long prefix, masked. */
function wordAt(w: readonly number[], i: number, bits: number): number {
  const left = bits - i * 32
  return left >= 32 ? (w[i] as number) : maskV4(w[i] as number, Math.max(0, left))
}

function getV6<V>(root: Level<V>, w: readonly number[], bits: number): IpSetEntry<V> | undefined {
  const depth = depthOf(bits)
  let level: Level<V> | IpSetEntry<V> | undefined = root
  for (let i = 0; i < depth; i++) {
    level = (level as Level<V>).get(wordAt(w, i, bits))
    if (level === undefined) return undefined
  }
  return level as IpSetEntry<V>
}

/** True when the entry is new. */
function setV6<V>(root: Level<V>, w: readonly number[], bits: number, entry: IpSetEntry<V>): boolean {
  const depth = depthOf(bits)
  let level = root
  for (let i = 0; i < depth - 1; i++) {
    const key = wordAt(w, i, bits)
    let next = level.get(key) as Level<V> | undefined
    if (next === undefined) {
      next = new Map()
      level.set(key, next)
    }
    level = next
  }
  const key = wordAt(w, depth - 1, bits)
  const fresh = !level.has(key)
  level.set(key, entry)
  return fresh
}

function deleteV6<V>(root: Level<V>, w: readonly number[], bits: number): boolean {
  const depth = depthOf(bits)
  const path: Level<V>[] = [root]
  for (let i = 0; i < depth - 1; i++) {
    const next = (path[i] as Level<V>).get(wordAt(w, i, bits)) as Level<V> | undefined
    if (next === undefined) return false
    path.push(next)
  }
  if (!(path[depth - 1] as Level<V>).delete(wordAt(w, depth - 1, bits))) return false
  // Drop levels left empty.
  for (let i = depth - 1; i > 0 && (path[i] as Level<V>).size === 0; i--) {
    ;(path[i - 1] as Level<V>).delete(wordAt(w, i - 1, bits))
  }
  return true
}

/** `sweep` in one IPv6 level; returns how many entries it deleted, and drops levels left empty. */
function sweepLevel<V>(level: Level<V>, depth: number, fn: (value: V) => V | undefined): number {
  let deleted = 0
  for (const [key, v] of level) {
    if (depth === 1) {
      const e = v as IpSetEntry<V>
      const kept = fn(e.value)
      if (kept === undefined) {
        level.delete(key)
        deleted++
      } else e.value = kept
    } else {
      const child = v as Level<V>
      deleted += sweepLevel(child, depth - 1, fn)
      if (child.size === 0) level.delete(key)
    }
  }
  return deleted
}

function* walk<V>(level: Level<V>, depth: number): IterableIterator<IpSetEntry<V>> {
  for (const v of level.values()) {
    if (depth === 1) yield v as IpSetEntry<V>
    else yield* walk(v as Level<V>, depth - 1)
  }
}
