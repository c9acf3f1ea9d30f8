/**
 * Differential property test: for every trustProxy form that both Bulwark and proxy-addr (what express uses for
 * `req.ip`) support, the same socket address and X-Forwarded-For give the same client address.
 *
 * The trust argument is built the way express builds it from `app.set('trust proxy', value)` (express
 * lib/utils.js compileTrust): `true` trusts every hop, a number `n` trusts hops `i < n`, a string is split on commas,
 * anything else goes to `proxyaddr.compile`.
 *
 * Deliberate differences, excluded or normalised below (each is tested on Bulwark's side in client-ip*.test.ts):
 * 1. Bulwark folds IPv4-mapped IPv6 (`::ffff:1.2.3.4`, any spelling) to IPv4 and writes IPv6 in RFC 5952 form;
 *    proxy-addr returns the header's text as is. Both sides are compared after the same canonicalisation.
 * 2. Bulwark reads at most 32 entries of the header (a longer chain is cut on the left, the side clients write);
 *    proxy-addr reads all. proxy-addr is given the right-most 32 entries.
 * 3. Entries with ports (`1.2.3.4:80`, `[::1]:80`) or zone ids, which Bulwark reads as addresses and proxy-addr
 *    treats as untrusted non-addresses, are not generated.
 * 4. Garbage and empty entries are not generated: proxy-addr skips empty entries and returns garbage as the client
 *    "address"; Bulwark stops at the last address a trusted proxy wrote. Nor are non-canonical IPv4 spellings
 *    (`127.1`, `0x7f.0.0.1`), which proxy-addr's ipaddr.isValid accepts and Bulwark refuses as garbage.
 * 5. Entries separated by spaces without a comma (which proxy-addr splits and Bulwark reads as one garbage entry)
 *    and tabs are not generated: only `,` with spaces around it.
 * 6. Trust forms only one side has are not generated: proxy-addr's netmask notation (`10.0.0.0/255.0.0.0`) and
 *    functions; Bulwark's `/0` prefixes (proxy-addr throws), presets and other headers. IPv4-mapped CIDRs shorter
 *    than /96 (`::ffff:0:0/95`) are not generated either: proxy-addr never matches them against a native IPv6 address,
 *    Bulwark treats them as the IPv6 range they are.
 * 7. The comparison is on `ip`, not the store `key` (which groups IPv6 by /64): nothing is grouped here.
 * 8. IPv6 with an embedded dotted quad that proxy-addr's own ipaddr.js (1.x) refuses — the deprecated
 *    IPv4-compatible `::1.2.3.4` and NAT64 `64:ff9b::1.2.3.4` — is not generated. Node's net.isIP accepts them and
 *    so does Bulwark (ipaddr.js 2.x reads `::a.b.c.d` as `::ffff:a.b.c.d`, so it folds to `a.b.c.d`); proxy-addr
 *    treats them as non-addresses. The mapped spellings `::ffff:a.b.c.d` and `0:0:0:0:0:ffff:a.b.c.d`, which both
 *    accept, are generated.
 */
import type { IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import fc from 'fast-check'
import ipaddr from 'ipaddr.js'
import proxyaddr from 'proxy-addr'
import { describe, expect, it } from 'vitest'
import { ClientIpResolver, type TrustProxy } from '../src/index.js'

const RUNS = 600
const require = createRequire(import.meta.url)
/** The ipaddr.js proxy-addr itself loads (its own 1.x copy), for difference 8. */
const proxyAddrIpaddr = createRequire(require.resolve('proxy-addr'))('ipaddr.js') as typeof ipaddr
const bothRead = (text: string): boolean => proxyAddrIpaddr.isValid(text.split('/')[0]!)
const MAX_HOPS = 32

type ExpressTrust = boolean | number | string | readonly string[]

/** express's compileTrust, for the forms that reach proxy-addr. */
function expressTrust(value: ExpressTrust): (addr: string, i: number) => boolean {
  if (value === true) return () => true
  if (typeof value === 'number') return (_addr, i) => i < value
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value || []
  return proxyaddr.compile(list as string[])
}

/** Difference 1: one text per address, IPv4-mapped folded. */
function canonical(text: string): string {
  let addr = ipaddr.parse(text)
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    addr = (addr as ipaddr.IPv6).toIPv4Address()
  }
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString()
}

/** What express would give as `req.ip`, canonical. */
function reference(trust: ExpressTrust, socket: string, chain: readonly string[], sep: string): string {
  // Difference 2: Bulwark reads the right-most 32 entries only.
  const kept = chain.slice(-MAX_HOPS)
  const req = {
    socket: { remoteAddress: socket },
    headers: kept.length > 0 ? { 'x-forwarded-for': kept.join(sep) } : {},
  } as unknown as IncomingMessage
  return canonical(proxyaddr(req, expressTrust(trust)))
}

function bulwark(resolver: ClientIpResolver, socket: string, chain: readonly string[], sep: string): string {
  const headers = chain.length > 0 ? { 'x-forwarded-for': chain.join(sep) } : {}
  return resolver.resolve(socket, headers).ip
}

// ---- addresses --------------------------------------------------------------------------------------------------
const octet = fc.integer({ min: 0, max: 255 })
const hex16 = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16))
const quad = (a: number, b: number, c: number, d: number) => `${a}.${b}.${c}.${d}`

/** Addresses in the ranges the named forms trust, so walks go deep. */
const internalV4 = fc.oneof(
  fc.tuple(octet, octet, octet).map(([b, c, d]) => quad(10, b, c, d)),
  fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => quad(172, b, c, d)),
  fc.tuple(octet, octet).map(([c, d]) => quad(192, 168, c, d)),
  fc.tuple(octet, octet, octet).map(([b, c, d]) => quad(127, b, c, d)),
  fc.tuple(octet, octet).map(([c, d]) => quad(169, 254, c, d)),
)
const internalV6 = fc.oneof(
  fc.constant('::1'),
  fc.tuple(hex16, hex16).map(([a, b]) => `fe80::${a}:${b}`),
  fc
    .tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), hex16, hex16)
    .map(([p, a, b]) => `${p.toString(16)}:${a}::${b}`),
)
const v4 = fc.oneof(fc.ipV4(), internalV4)
// Difference 8: only the IPv6 spellings proxy-addr's ipaddr.js reads.
const v6 = fc.oneof(fc.ipV6().filter(bothRead), internalV6)

/** IPv4-mapped IPv6 in the spellings sockets and proxies use. */
const mapped = fc.tuple(v4, fc.integer({ min: 0, max: 3 })).map(([a, style]) => {
  const [p, q, r, s] = a.split('.').map(Number) as [number, number, number, number]
  const hi = ((p << 8) | q).toString(16)
  const lo = ((r << 8) | s).toString(16)
  return [`::ffff:${a}`, `::FFFF:${a}`, `0:0:0:0:0:ffff:${a}`, `::ffff:${hi}:${lo}`][style]!
})

/** Any address, sometimes with upper-case hex digits. */
const address = fc.oneof(
  { weight: 3, arbitrary: v4 },
  { weight: 2, arbitrary: v6 },
  { weight: 1, arbitrary: v6.map((a) => a.toUpperCase()) },
  { weight: 1, arbitrary: mapped },
)

const separator = fc.constantFrom(',', ', ', ' , ', ',  ')
/** Mostly short chains, and one in four of 25 to 40 entries: past 32 the chain is cut (difference 2). */
const chainOf = (entry: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.array(entry, { maxLength: 10 }) },
    { weight: 1, arbitrary: fc.array(entry, { minLength: 25, maxLength: 40 }) },
  )

// ---- trust forms ------------------------------------------------------------------------------------------------
const v4Cidr = fc.tuple(v4, fc.integer({ min: 1, max: 32 })).map(([a, bits]) => `${a}/${bits}`)
const v6Cidr = fc
  .tuple(v6, fc.integer({ min: 1, max: 128 }))
  // Difference 6: a mapped network shorter than /96.
  .filter(([a, bits]) => bits >= 96 || !(ipaddr.parse(a) as ipaddr.IPv6).isIPv4MappedAddress?.())
  .map(([a, bits]) => `${a}/${bits}`)
const mappedCidr = fc.tuple(v4, fc.integer({ min: 97, max: 128 })).map(([a, bits]) => `::ffff:${a}/${bits}`)
const trustEntry = fc.oneof(
  v4Cidr,
  v6Cidr,
  mappedCidr,
  address, // a single address
  fc.constantFrom('loopback', 'linklocal', 'uniquelocal'),
)

/** The network part of a CIDR entry, or the entry: an address the entry trusts. */
const inside = (entry: string): string[] => {
  if (entry === 'loopback') return ['127.0.0.1', '::1']
  if (entry === 'linklocal') return ['169.254.1.1', 'fe80::1']
  if (entry === 'uniquelocal') return ['10.1.2.3', '172.16.0.1', '192.168.0.1', 'fd00::1']
  return [entry.split('/')[0]!]
}

describe('client address equals proxy-addr (express req.ip) for the same socket and X-Forwarded-For', () => {
  const fixed: Array<[string, ExpressTrust]> = [
    ['no proxy (false)', false],
    ['every hop (true)', true],
    ['loopback', 'loopback'],
    ['linklocal', 'linklocal'],
    ['uniquelocal', 'uniquelocal'],
    ['loopback, linklocal, uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
  ]
  for (const [name, trust] of fixed) {
    it(`trustProxy: ${name}`, () => {
      // One resolver for all runs: its cache is exercised too.
      const resolver = new ClientIpResolver({ trustProxy: trust as TrustProxy })
      fc.assert(
        fc.property(address, chainOf(address), separator, (socket, chain, sep) => {
          expect(bulwark(resolver, socket, chain, sep)).toBe(reference(trust, socket, chain, sep))
        }),
        { numRuns: RUNS },
      )
    })
  }

  it('trustProxy: a hop count from 1 to 32', () => {
    const resolvers = new Map<number, ClientIpResolver>()
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: MAX_HOPS }),
        address,
        chainOf(address),
        separator,
        (hops, socket, chain, sep) => {
          const resolver = resolvers.get(hops) ?? new ClientIpResolver({ trustProxy: hops })
          resolvers.set(hops, resolver)
          expect(bulwark(resolver, socket, chain, sep)).toBe(reference(hops, socket, chain, sep))
        },
      ),
      { numRuns: RUNS },
    )
  })

  /** Trust lists, with chains that often pass through the trusted ranges. */
  const listCase = fc.array(trustEntry, { minLength: 1, maxLength: 6 }).chain((entries) => {
    const trusted = entries.flatMap(inside)
    const hop = fc.oneof(
      { weight: 2, arbitrary: address },
      { weight: 3, arbitrary: fc.constantFrom(...trusted) },
    )
    return fc.tuple(fc.constant(entries), hop, chainOf(hop), separator)
  })

  it('trustProxy: a list of CIDRs, addresses and range names', () => {
    fc.assert(
      fc.property(listCase, ([entries, socket, chain, sep]) => {
        const resolver = new ClientIpResolver({ trustProxy: entries })
        expect(bulwark(resolver, socket, chain, sep)).toBe(reference(entries, socket, chain, sep))
      }),
      { numRuns: RUNS },
    )
  })

  it('trustProxy: the same list as a comma-separated string', () => {
    fc.assert(
      fc.property(listCase, ([entries, socket, chain, sep]) => {
        const text = entries.join(', ')
        const resolver = new ClientIpResolver({ trustProxy: text })
        expect(bulwark(resolver, socket, chain, sep)).toBe(reference(text, socket, chain, sep))
      }),
      { numRuns: RUNS },
    )
  })

  it('trustProxy: { header: "x-forwarded-for", proxies } is the same as proxies alone', () => {
    fc.assert(
      fc.property(listCase, ([entries, socket, chain, sep]) => {
        const resolver = new ClientIpResolver({ trustProxy: { header: 'x-forwarded-for', proxies: entries } })
        expect(bulwark(resolver, socket, chain, sep)).toBe(reference(entries, socket, chain, sep))
      }),
      { numRuns: RUNS },
    )
  })
})
