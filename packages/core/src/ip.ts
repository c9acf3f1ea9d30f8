import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/** A parsed address, IPv4-mapped IPv6 already folded to IPv4. */
export type ParsedIp = ipaddr.IPv4 | ipaddr.IPv6

/** Longest text accepted as one address (a full IPv6 with an embedded IPv4 and a zone is well below this). */
const MAX_IP_TEXT = 64

/**
 * Parse one address the way a socket or a proxy writes it: strict dotted-quad IPv4 or IPv6, optionally in brackets,
 * with an optional port (`1.2.3.4:80`, `[::1]:80`) and zone (`fe80::1%eth0`). Returns null for anything else —
 * never throws. IPv4-mapped IPv6 (`::ffff:a.b.c.d`, in any spelling) is folded to IPv4 by range.
 */
export function parseIp(text: string): ParsedIp | null {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_IP_TEXT) return null
  let s = text.trim()
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    if (end < 0) return null
    s = s.slice(1, end)
  } else if (s.indexOf(':') > 0 && s.indexOf(':') === s.lastIndexOf(':') && s.includes('.')) {
    // `1.2.3.4:8080`: IPv4 with a port.
    s = s.slice(0, s.indexOf(':'))
  }
  const zone = s.indexOf('%')
  if (zone >= 0) s = s.slice(0, zone)
  const family = isIP(s)
  if (family === 0) return null
  const addr = ipaddr.parse(s)
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    return (addr as ipaddr.IPv6).toIPv4Address()
  }
  return addr
}

/** The canonical text of an address: dotted quad, or RFC 5952 IPv6. */
export function formatIp(addr: ParsedIp): string {
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString()
}

/** A CIDR range (or a single address as a /32 or /128). */
export interface IpRange {
  addr: ParsedIp
  bits: number
  text: string
}

/** Parse `10.0.0.0/8`, `2001:db8::/32` or a single address. Returns null when it is neither. */
export function parseRange(text: string): IpRange | null {
  if (typeof text !== 'string' || text.length > MAX_IP_TEXT + 4) return null
  const slash = text.indexOf('/')
  if (slash < 0) {
    const addr = parseIp(text)
    return addr === null ? null : { addr, bits: addr.kind() === 'ipv6' ? 128 : 32, text: formatIp(addr) }
  }
  const bitsText = text.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bitsText)) return null
  let bits = Number(bitsText)
  const raw =
    ipaddr.isValid(text.slice(0, slash)) && isIP(text.slice(0, slash))
      ? ipaddr.parse(text.slice(0, slash))
      : null
  if (raw === null) return null
  let addr: ParsedIp = raw
  if (raw.kind() === 'ipv6' && (raw as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    addr = (raw as ipaddr.IPv6).toIPv4Address()
    bits -= 96
  }
  const max = addr.kind() === 'ipv6' ? 128 : 32
  if (bits > max) return null
  const network = networkOf(addr, bits)
  return { addr: network, bits, text: `${formatIp(network)}/${bits}` }
}

/** The network address of `addr` with `bits` prefix bits. */
export function networkOf(addr: ParsedIp, bits: number): ParsedIp {
  const bytes = addr.toByteArray()
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8))
    bytes[i] = (bytes[i] as number) & ((0xff << (8 - keep)) & 0xff)
  }
  return ipaddr.fromByteArray(bytes) as ParsedIp
}

export function inRange(addr: ParsedIp, range: IpRange): boolean {
  return addr.kind() === range.addr.kind() && addr.match(range.addr as never, range.bits)
}
