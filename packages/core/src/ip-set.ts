import type ipaddr from 'ipaddr.js'
import { type IpRange, type ParsedIp, parseRange } from './ip.js'

/** An IPv4 prefix read without ipaddr.js (see `parsePrefix`): its network as a 32-bit number. */
export interface V4Prefix {
  v4: number
  bits: number
  text: string
}

/** An IPv6 prefix read without ipaddr.js (see `parsePrefix`): its network as four 32-bit words. */
export interface V6Prefix {
  v6: readonly number[]
  bits: number
  text: string
}

/** A key of an `IpSet`: a parsed range, or an IPv4 or IPv6 prefix read on the fast path. */
export type Prefix = IpRange | V4Prefix | V6Prefix

/**
 * Parse an address or CIDR for an `IpSet`. A dotted-quad IPv4 address or CIDR, and a plain hex IPv6 one (what deny
 * lists are made of), are read by hand, ten to twenty times faster than ipaddr.js and with a fraction of its garbage,
 * so a 100,000-line list loads in tens of milliseconds; anything else (an IPv4-mapped or dotted-tail IPv6 address, a
 * zone) goes through `parseRange`. Null for what is neither. The canonical text is the same either way.
 */
export function parsePrefix(text: string): Prefix | null {
  if (typeof text !== 'string' || text.length > 72) return null
  const slash = text.indexOf('/')
  const head = slash < 0 ? text : text.slice(0, slash)
  const n = v4FromText(head)
  if (n < 0) return parseV6Prefix(text, head, slash)
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

/** The fast path for IPv6: plain hex groups with at most one `::`; anything else is `parseRange`'s. */
function parseV6Prefix(text: string, head: string, slash: number): Prefix | null {
  const w = v6FromText(head)
  // IPv4-mapped addresses are folded to IPv4 by parseRange: leave them to it.
  if (w === null || (w[0] === 0 && w[1] === 0 && w[2] === 0xffff)) return parseRange(text)
  let bits = 128
  if (slash >= 0) {
    const tail = text.slice(slash + 1)
    if (!/^\d{1,3}$/.test(tail)) return null
    bits = Number(tail)
    if (bits > 128) return null
    for (let i = 0; i < 4; i++) w[i] = wordAt(w, i, bits)
  }
  const addr = formatV6(w)
  return { v6: w, bits, text: slash < 0 ? addr : `${addr}/${bits}` }
}

/**
 * The four 32-bit words of an IPv6 address written as hex groups (`2001:db8::1`, `::`, `1:2:3:4:5:6:7:8`, any case),
 * or null for anything else, including a dotted IPv4 tail or a zone, which the caller leaves to ipaddr.js.
 */
export function v6FromText(s: string): number[] | null {
  const len = s.length
  if (len < 2 || len > 39) return null
  const g = SCRATCH
  let n = 0
  let gap = -1
  let i = 0
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return null
    gap = 0
    i = 2
  }
  while (i < len) {
    let v = 0
    let digits = 0
    for (; i < len; i++) {
      const h = hexValue(s.charCodeAt(i))
      if (h < 0) break
      if (++digits > 4) return null
      v = v * 16 + h
    }
    if (digits === 0 || n === 8) return null
    g[n++] = v
    if (i === len) break
    if (s.charCodeAt(i) !== 58) return null
    i++
    if (i < len && s.charCodeAt(i) === 58) {
      if (gap >= 0) return null
      gap = n
      i++
    } else if (i === len) return null
  }
  if (gap < 0 ? n !== 8 : n > 7) return null
  if (gap >= 0) {
    // Move the groups after the gap to the end, zeros in between.
    const after = n - gap
    for (let k = 7; k >= 8 - after; k--) g[k] = g[gap + after - (8 - k)] as number
    for (let k = gap; k < 8 - after; k++) g[k] = 0
  }
  return [
    (g[0] as number) * 65536 + (g[1] as number),
    (g[2] as number) * 65536 + (g[3] as number),
    (g[4] as number) * 65536 + (g[5] as number),
    (g[6] as number) * 65536 + (g[7] as number),
  ]
}

/** The eight groups being read by `v6FromText` (one parse at a time: no allocation per address). */
const SCRATCH: number[] = [0, 0, 0, 0, 0, 0, 0, 0]

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/** RFC 5952 text of four words: lower case, no leading zeros, the longest run of two or more zero groups as `::`. */
export function formatV6(w: readonly number[]): string {
  const g = SCRATCH
  for (let i = 0; i < 4; i++) {
    g[2 * i] = (w[i] as number) >>> 16
    g[2 * i + 1] = (w[i] as number) & 0xffff
  }
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j
  }
  let out = ''
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      out += '::'
      i += bestLen - 1
      continue
    }
    if (out !== '' && !out.endsWith(':')) out += ':'
    out += (g[i] as number).toString(16)
  }
  return out
}

function isV4(p: Prefix): boolean {
  return 'v4' in p || (!('v6' in p) && (p as IpRange).addr.kind() === 'ipv4')
}

/** The masked words of a non-IPv4 prefix (a fast-path prefix is masked when parsed). */
function wordsOf(p: Prefix): readonly number[] {
  return 'v6' in p ? p.v6 : masked(v6Words((p as IpRange).addr), p.bits)
}

function v4Of(p: Prefix): number {
  return 'v4' in p ? p.v4 : v4Number((p as IpRange).addr)
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
 * IPv4) whatever the number of entries. IPv4 keys are the masked address; IPv6 keys are a seeded 32-bit hash of the
 * four masked words (small integers, the fastest `Map` keys), the entry keeping its words to tell collisions apart.
 *
 * Memory is one map entry per range (no trie nodes, no per-range maps), so 100,000 ranges take a few megabytes.
 */
export class IpSet<V> {
  /** v4[len]: masked address (uint32) -> entry. */
  private readonly v4: (Map<number, IpSetEntry<V>> | undefined)[] = new Array(33)
  /** v6[len]: hash of the masked words -> entry (or the entries whose words share that hash). */
  private readonly v6: (V6Map<V> | undefined)[] = new Array(129)
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
      if (setV6(root, wordsOf(range), { text: range.text, value })) this.count++
    }
  }

  /** The entry stored for exactly `range`. */
  get(range: Prefix): IpSetEntry<V> | undefined {
    if (isV4(range)) return this.v4[range.bits]?.get(maskV4(v4Of(range), range.bits))
    const root = this.v6[range.bits]
    if (root === undefined) return undefined
    const w = wordsOf(range)
    return getV6(root, w[0] as number, w[1] as number, w[2] as number, w[3] as number)
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
      if (root === undefined || !deleteV6(root, wordsOf(range))) return false
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
      const e = getV6(
        this.v6[len] as V6Map<V>,
        wordAt(w, 0, len),
        wordAt(w, 1, len),
        wordAt(w, 2, len),
        wordAt(w, 3, len),
      )
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
      this.count -= sweepV6(root, fn)
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
      if (root === undefined) continue
      for (const b of root.values()) {
        if (Array.isArray(b)) yield* b
        else yield b
      }
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

/** An IPv6 entry: its masked words tell entries apart whose hashes collide. */
interface V6Entry<V> extends IpSetEntry<V> {
  w: readonly number[]
}

/** One prefix length's IPv6 entries: hash of the masked words -> the entry, or the entries sharing that hash. */
type V6Map<V> = Map<number, V6Entry<V> | V6Entry<V>[]>

/** The word at index `i` of a `bits`-long prefix, masked. */
function wordAt(w: readonly number[], i: number, bits: number): number {
  const left = bits - i * 32
  return left >= 32 ? (w[i] as number) : left <= 0 ? 0 : maskV4(w[i] as number, left)
}

function masked(w: readonly number[], bits: number): number[] {
  return [wordAt(w, 0, bits), wordAt(w, 1, bits), wordAt(w, 2, bits), wordAt(w, 3, bits)]
}

/** Per process, so that a list cannot be crafted to collide. */
const SEED = (Math.random() * 0x100000000) | 0

/** A 32-bit hash of four words (murmur3's mixing steps), a small integer: the fastest kind of `Map` key. */
export function hash4(a: number, b: number, c: number, d: number): number {
  let h = mix(mix(mix(mix(SEED, a), b), c), d)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) | 0
}

function mix(h: number, k: number): number {
  const x = Math.imul((Math.imul(k, 0xcc9e2d51) << 15) | (Math.imul(k, 0xcc9e2d51) >>> 17), 0x1b873593)
  const y = h ^ x
  return (Math.imul((y << 13) | (y >>> 19), 5) + 0xe6546b64) | 0
}

function same(e: V6Entry<unknown>, a: number, b: number, c: number, d: number): boolean {
  const w = e.w
  return w[0] === a && w[1] === b && w[2] === c && w[3] === d
}

function getV6<V>(map: V6Map<V>, a: number, b: number, c: number, d: number): V6Entry<V> | undefined {
  const found = map.get(hash4(a, b, c, d))
  if (found === undefined) return undefined
  if (!Array.isArray(found)) return same(found, a, b, c, d) ? found : undefined
  for (const e of found) if (same(e, a, b, c, d)) return e
  return undefined
}

/** Add or replace; true when the entry is new. `w`: the masked words. */
function setV6<V>(map: V6Map<V>, w: readonly number[], entry: IpSetEntry<V>): boolean {
  const [a, b, c, d] = w as [number, number, number, number]
  const key = hash4(a, b, c, d)
  const e: V6Entry<V> = { text: entry.text, value: entry.value, w }
  const found = map.get(key)
  if (found === undefined) {
    map.set(key, e)
    return true
  }
  if (!Array.isArray(found)) {
    if (same(found, a, b, c, d)) {
      map.set(key, e)
      return false
    }
    map.set(key, [found, e])
    return true
  }
  const at = found.findIndex((x) => same(x, a, b, c, d))
  if (at >= 0) found[at] = e
  else found.push(e)
  return at < 0
}

function deleteV6<V>(map: V6Map<V>, w: readonly number[]): boolean {
  const [a, b, c, d] = w as [number, number, number, number]
  const key = hash4(a, b, c, d)
  const found = map.get(key)
  if (found === undefined) return false
  if (!Array.isArray(found)) {
    if (!same(found, a, b, c, d)) return false
    map.delete(key)
    return true
  }
  const at = found.findIndex((x) => same(x, a, b, c, d))
  if (at < 0) return false
  found.splice(at, 1)
  map.set(key, found.length === 1 ? (found[0] as V6Entry<V>) : found)
  return true
}

/** `IpSet.sweep` for one IPv6 map: returns how many entries it deleted. */
function sweepV6<V>(map: V6Map<V>, fn: (value: V) => V | undefined): number {
  let deleted = 0
  const keep = (e: V6Entry<V>): boolean => {
    const v = fn(e.value)
    if (v === undefined) {
      deleted++
      return false
    }
    e.value = v
    return true
  }
  for (const [key, found] of map) {
    if (!Array.isArray(found)) {
      if (!keep(found)) map.delete(key)
      continue
    }
    const kept = found.filter(keep)
    if (kept.length === 0) map.delete(key)
    else map.set(key, kept.length === 1 ? (kept[0] as V6Entry<V>) : kept)
  }
  return deleted
}
