import { BulwarkError } from './errors.js'
import { type IpRange, type ParsedIp, parseIp, parseRange } from './ip.js'
import { IpSet, v4FromText } from './ip-set.js'

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

/**
 * In-memory whitelist of IPs, CIDRs (v4 and v6) and hashed API keys, checked before any store work. Addresses are
 * looked up in a prefix set (one hash probe per prefix length in use), so a lookup costs the same at 10 entries and
 * at 100,000.
 */
export class Whitelist {
  private readonly ranges = new IpSet<string>()
  private readonly keys = new Set<string>()

  add(entry: WhitelistEntry): void {
    if (entry.kind === 'key') this.keys.add(entry.text)
    else this.ranges.set(entry.range, entry.range.text)
  }

  remove(entry: WhitelistEntry): boolean {
    return entry.kind === 'key' ? this.keys.delete(entry.text) : this.ranges.delete(entry.range)
  }

  list(): string[] {
    return [...[...this.ranges.entries()].map((e) => e.text), ...this.keys].sort()
  }

  get size(): number {
    return this.ranges.size + this.keys.size
  }

  /** The matching entry for an address (the most specific one), or null. */
  matchIp(ip: string, known?: ParsedIp | null): string | null {
    if (known === null || this.ranges.size === 0) return null
    if (known === undefined) {
      // The resolver leaves a canonical dotted quad unparsed: read it without ipaddr.js.
      const n = v4FromText(ip)
      if (n >= 0) return this.ranges.matchV4(n)?.value ?? null
    }
    const addr = known ?? parseIp(ip)
    if (addr === null) return null
    return this.ranges.match(addr)?.value ?? null
  }

  matchKey(subject: string | undefined): string | null {
    return subject !== undefined && this.keys.has(subject) ? subject : null
  }
}
