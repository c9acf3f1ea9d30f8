/**
 * Classifies an IP address as public or not. Ranges come from ipaddr.js (`process()` first, so an
 * IPv4-mapped IPv6 address is judged as the IPv4 address it maps to); this file adds only what
 * ipaddr.js does not know: addresses embedded in translation prefixes, IPv6 outside global unicast
 * and the cloud metadata endpoints, some of which sit in public ranges.
 */
import ipaddr from 'ipaddr.js'

/** What `classifyAddress` says about one address. */
export interface AddressClassification {
  /** The address in canonical form (IPv4 dotted quad, IPv6 RFC 5952). */
  readonly address: string
  readonly family: 4 | 6
  /** True only for globally routable unicast addresses that are not a known metadata endpoint. */
  readonly public: boolean
  /**
   * The range that decided: `unicast` for public addresses, else an ipaddr.js range name
   * (`loopback`, `private`, `linkLocal`, `carrierGradeNat`, `uniqueLocal`, `reserved`, …) or one of
   * `cloudMetadata`, `ipv4Compatible`, `nat64Local`, `notGlobalUnicast`.
   */
  readonly range: string
  /** For translation forms (NAT64, 6to4, Teredo, IPv4-compatible): the classification of the embedded IPv4. */
  readonly embedded?: AddressClassification
}

/**
 * Cloud metadata and host-agent endpoints, blocked even where they fall in a public range
 * (168.63.129.16 is Azure's WireServer, routable only inside Azure).
 */
export const CLOUD_METADATA_ADDRESSES: readonly string[] = Object.freeze([
  '169.254.169.254', // AWS, GCP, Azure, DigitalOcean, Oracle, OpenStack, Hetzner … instance metadata
  '169.254.170.2', // AWS ECS task metadata and credentials
  '169.254.170.23', // AWS EKS Pod Identity agent
  '169.254.0.23', // Tencent Cloud metadata
  '100.100.100.200', // Alibaba Cloud metadata
  '192.0.0.192', // Oracle Cloud metadata
  '168.63.129.16', // Azure WireServer / host agent
  'fd00:ec2::254', // AWS IMDS over IPv6
  'fd00:ec2::23', // AWS Route 53 resolver over IPv6
  'fd20:ce::254', // GCP metadata over IPv6
])

const metadataSet = new Set(CLOUD_METADATA_ADDRESSES.map((a) => ipaddr.parse(a).toNormalizedString()))

const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96')
const NAT64_LOCAL = ipaddr.parseCIDR('64:ff9b:1::/48')
const SIX_TO_FOUR = ipaddr.parseCIDR('2002::/16')
const TEREDO = ipaddr.parseCIDR('2001::/32')
const FIRST_96_BITS_ZERO = ipaddr.parseCIDR('::/96')
const GLOBAL_UNICAST = ipaddr.parseCIDR('2000::/3')

const stripBrackets = (text: string): string =>
  text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text

/** ipaddr.js reads `::a.b.c.d` as IPv4-mapped; rewrite a dotted tail as two hex words so it is read literally. */
function expandDottedTail(text: string): string {
  const m = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text)
  if (!m) return text
  const [a, b, c, d] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number]
  if (a > 255 || b > 255 || c > 255 || d > 255) return text
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`
}

function v4FromWords(high: number, low: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff])
}

function classifyV4(addr: ipaddr.IPv4): AddressClassification {
  const address = addr.toString()
  if (metadataSet.has(address)) return { address, family: 4, public: false, range: 'cloudMetadata' }
  const range = addr.range()
  return { address, family: 4, public: range === 'unicast', range }
}

function embeddedVerdict(
  address: string,
  range: string,
  embedded: AddressClassification,
  also?: AddressClassification,
): AddressClassification {
  const isPublic = embedded.public && (also === undefined || also.public)
  const decisive = !embedded.public || also === undefined ? embedded : also
  return { address, family: 6, public: isPublic, range, embedded: decisive }
}

function classifyV6(addr: ipaddr.IPv6): AddressClassification {
  const address = addr.toString()
  if (metadataSet.has(addr.toNormalizedString())) {
    return { address, family: 6, public: false, range: 'cloudMetadata' }
  }
  const w = addr.parts as number[]
  if (addr.match(NAT64_WELL_KNOWN)) {
    // RFC 6052 well-known prefix: the last 32 bits are an IPv4 address reached through NAT64.
    return embeddedVerdict(address, 'rfc6052', classifyV4(v4FromWords(w[6]!, w[7]!)))
  }
  if (addr.match(NAT64_LOCAL)) return { address, family: 6, public: false, range: 'nat64Local' }
  if (addr.match(SIX_TO_FOUR)) {
    return embeddedVerdict(address, '6to4', classifyV4(v4FromWords(w[1]!, w[2]!)))
  }
  if (addr.match(TEREDO)) {
    // Teredo: server IPv4 in bits 32-63, client IPv4 obfuscated (inverted) in the last 32 bits.
    const server = classifyV4(v4FromWords(w[2]!, w[3]!))
    const client = classifyV4(v4FromWords(~w[6]! & 0xffff, ~w[7]! & 0xffff))
    return embeddedVerdict(address, 'teredo', client, server)
  }
  const range = addr.range()
  if (range !== 'unicast') return { address, family: 6, public: false, range }
  if (addr.match(FIRST_96_BITS_ZERO)) {
    // Deprecated IPv4-compatible form ::a.b.c.d: never a legitimate destination.
    return embeddedVerdict(address, 'ipv4Compatible', classifyV4(v4FromWords(w[6]!, w[7]!)), {
      address,
      family: 6,
      public: false,
      range: 'ipv4Compatible',
    })
  }
  if (!addr.match(GLOBAL_UNICAST)) return { address, family: 6, public: false, range: 'notGlobalUnicast' }
  return { address, family: 6, public: true, range }
}

/**
 * Classifies an IP address. Accepts any spelling ipaddr.js accepts (including IPv4 in decimal,
 * octal, hex and short forms, and IPv6 with or without brackets); returns `undefined` for
 * anything that is not an IP address. Never throws.
 */
export function classifyAddress(input: string): AddressClassification | undefined {
  if (typeof input !== 'string') return undefined
  const text = expandDottedTail(stripBrackets(input))
  if (!ipaddr.isValid(text)) return undefined
  let addr: ipaddr.IPv4 | ipaddr.IPv6
  try {
    addr = ipaddr.process(text)
  } catch {
    return undefined
  }
  return addr.kind() === 'ipv4' ? classifyV4(addr as ipaddr.IPv4) : classifyV6(addr as ipaddr.IPv6)
}

/** A compiled list of addresses and CIDR ranges, as used by `allowAddresses` and `denyHosts`. */
export type AddressMatcher = (address: string) => boolean

function parseStrict(text: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const bare = stripBrackets(text)
  if (!ipaddr.IPv4.isValidFourPartDecimal(bare) && !ipaddr.IPv6.isValid(bare))
    throw new TypeError('not an address')
  return ipaddr.process(expandDottedTail(bare))
}

function parseEntry(entry: string): [ipaddr.IPv4 | ipaddr.IPv6, number] {
  const text = entry.trim()
  const slash = text.indexOf('/')
  if (slash === -1) {
    const addr = parseStrict(text)
    return [addr, addr.kind() === 'ipv4' ? 32 : 128]
  }
  const bits = Number(text.slice(slash + 1))
  const base = ipaddr.parse(stripBrackets(text.slice(0, slash)))
  const max = base.kind() === 'ipv4' ? 32 : 128
  if (!/^\d{1,3}$/.test(text.slice(slash + 1)) || bits > max) throw new TypeError('bad prefix length')
  if (base.kind() === 'ipv6' && (base as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    return [(base as ipaddr.IPv6).toIPv4Address(), bits - 96]
  }
  return [base, bits]
}

/**
 * Compiles IPs and CIDR ranges (`10.0.0.0/8`, `::1`, `fd00::/8`) into a matcher. IPv4-mapped IPv6
 * addresses match as IPv4. Throws a TypeError for an entry that is neither an address nor a range.
 */
export function compileAddressList(entries: readonly string[]): AddressMatcher {
  const ranges = entries.map((entry) => {
    try {
      return parseEntry(entry)
    } catch {
      throw new TypeError(`not an IP address or CIDR range: ${JSON.stringify(entry)}`)
    }
  })
  if (ranges.length === 0) return () => false
  return (address) => {
    let addr: ipaddr.IPv4 | ipaddr.IPv6
    try {
      addr = ipaddr.process(expandDottedTail(stripBrackets(address)))
    } catch {
      return false
    }
    return ranges.some(([base, bits]) => base.kind() === addr.kind() && addr.match(base, bits))
  }
}

/** True when `text` is an IPv4 dotted quad or an IPv6 address (brackets allowed); no other spellings. */
export function isIpLiteral(text: string): boolean {
  const bare = stripBrackets(text)
  return isDottedQuad(bare) || (bare.includes(':') && ipaddr.IPv6.isValid(bare))
}

// ipaddr.js validates by parsing and catching, which is slow on the common non-IP case: pre-filter.
const DOTTED_QUAD = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/

function isDottedQuad(text: string): boolean {
  return DOTTED_QUAD.test(text) && ipaddr.IPv4.isValidFourPartDecimal(text)
}
