import { BoundedMap } from './bounded-map.js'
import { BulwarkError } from './errors.js'
import { type IpRange, inRange, type ParsedIp, parseIp, parseRange } from './ip.js'

/** Looks like an address or CIDR (hex digits, dots, colons, a slash), so a typo is an error, not an API key. */
const IP_LIKE = /^[0-9a-fA-F.:[\]/%]+$/

export type WhitelistEntry = { kind: 'ip'; range: IpRange; text: string } | { kind: 'key'; text: string }

/**
 * Classify a whitelist or ban target: an IP or CIDR (canonicalised), a `key:` hash as listed, a raw API key (hashed
 * with `hash`), or `{ apiKey }` for a raw key that looks like an address. Throws ERR_BULWARK_TARGET for a bare string
 * that looks like an address but is not one.
 */
export function parseEntry(
  input: string | { apiKey: string },
  hash: (apiKey: string) => string,
): WhitelistEntry {
  if (
    typeof input === 'object' &&
    input !== null &&
    typeof input.apiKey === 'string' &&
    input.apiKey.length > 0
  ) {
    // A raw API key, whatever it looks like (`dead.beef`, `abc:123`): only bare strings are read as addresses.
    return { kind: 'key', text: hash(input.apiKey) }
  }
  if (typeof input !== 'string' || input.length === 0 || input.length > 4096) {
    throw new BulwarkError(
      'ERR_BULWARK_TARGET',
      'A whitelist entry must be a non-empty string of at most 4096 characters',
    )
  }
  const text = input.trim()
  if (text.startsWith('key:')) return { kind: 'key', text }
  if (IP_LIKE.test(text) && /[.:]/.test(text)) {
    const range = parseRange(text)
    if (range === null) {
      throw new BulwarkError('ERR_BULWARK_TARGET', `"${text}" is not a valid IP address or CIDR range`)
    }
    return { kind: 'ip', range, text: range.text }
  }
  return { kind: 'key', text: hash(text) }
}

/** In-memory whitelist of IPs, CIDRs (v4 and v6) and hashed API keys, checked before any store work. */
export class Whitelist {
  private readonly ranges = new Map<string, IpRange>()
  private readonly keys = new Set<string>()
  private readonly verdicts = new BoundedMap<string | false>(10_000)

  add(entry: WhitelistEntry): void {
    if (entry.kind === 'key') this.keys.add(entry.text)
    else this.ranges.set(entry.text, entry.range)
    this.verdicts.clear()
  }

  remove(entry: WhitelistEntry): boolean {
    this.verdicts.clear()
    return entry.kind === 'key' ? this.keys.delete(entry.text) : this.ranges.delete(entry.text)
  }

  list(): string[] {
    return [...this.ranges.keys(), ...this.keys].sort()
  }

  get size(): number {
    return this.ranges.size + this.keys.size
  }

  /** The matching entry for an address, or null. */
  matchIp(ip: string, known?: ParsedIp | null): string | null {
    if (known === null || this.ranges.size === 0) return null
    const cached = this.verdicts.get(ip)
    if (cached !== undefined) return cached === false ? null : cached
    const addr = known ?? parseIp(ip)
    let found: string | false = false
    for (const [text, range] of this.ranges) {
      if (addr === null) break
      if (inRange(addr, range)) {
        found = text
        break
      }
    }
    this.verdicts.set(ip, found)
    return found === false ? null : found
  }

  matchKey(subject: string | undefined): string | null {
    return subject !== undefined && this.keys.has(subject) ? subject : null
  }
}
