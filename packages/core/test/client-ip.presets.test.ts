import { readFileSync } from 'node:fs'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  BulwarkError,
  CLOUDFLARE_IPS,
  ClientIpResolver,
  type RequestHeaders,
  type TrustProxy,
  type UntrustedForwardedInfo,
} from '../src/index.js'

const resolve = (trustProxy: TrustProxy | undefined, socket: string | undefined, headers?: RequestHeaders) =>
  new ClientIpResolver({ trustProxy }).resolve(socket, headers)
const ipOf = (trustProxy: TrustProxy | undefined, socket: string | undefined, headers?: RequestHeaders) =>
  resolve(trustProxy, socket, headers).ip

const CF_V4 = '173.245.48.5' // in 173.245.48.0/20
const CF_V6 = '2606:4700:10::6816:1' // in 2606:4700::/32
const CLIENT = '203.0.113.7'

/** Values with no address to read at their right end: never thrown on, never believed. */
const GARBAGE: Array<string | string[]> = [
  '',
  ' ',
  'garbage',
  '1.2.3.4 5.6.7.8',
  '1.2.3.4,',
  '1.2.3.4,,',
  '999.1.1.1',
  '0x7f.1',
  '127.1',
  '１２７.０.０.１',
  '[::1',
  '"1.2.3.4"',
  `${'1'.repeat(100_000)}`,
  '\u0000\u0001',
  ['1.2.3.4', 'nope'],
]
const FORWARDED_GARBAGE: Array<string | string[]> = [
  ...GARBAGE,
  'for=',
  'for=garbage',
  'for="1.2.3.4',
  'for=1.2.3.4"',
  'for=1.2.3.4 5.6.7.8',
  'for=unknown',
  'for=_hidden',
  'by=1.2.3.4;proto=https',
  'for=1.2.3.4;for=1.2.3.4',
  'for="[2001:db8::1"',
  'for=1.2.3.4, for=\\"',
]
/** Single-address headers: a list is as malformed as garbage. */
const MALFORMED: Array<string | string[]> = [
  '',
  ' ',
  'garbage',
  '1.2.3.4, 5.6.7.8',
  '1.2.3.4 5.6.7.8',
  ['1.2.3.4', '5.6.7.8'],
  '999.1.1.1',
  '0x7f.1',
  '127.1',
  '１２７.０.０.１',
  '[::1',
  'for=1.2.3.4',
  '"1.2.3.4"',
  `${'1'.repeat(100_000)}`,
  '\u0000\u0001',
]

describe("trustProxy: 'cloudflare'", () => {
  it('reads CF-Connecting-IP from Cloudflare edge addresses, v4 and v6', () => {
    expect(ipOf('cloudflare', CF_V4, { 'cf-connecting-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf('cloudflare', CF_V6, { 'cf-connecting-ip': '2001:db8::7' })).toBe('2001:db8::7')
    expect(ipOf('cloudflare', `::ffff:${CF_V4}`, { 'cf-connecting-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf('cloudflare', CF_V4, { 'cf-connecting-ip': `::ffff:${CLIENT}` })).toBe(CLIENT)
    // Every published range is trusted.
    for (const range of [...CLOUDFLARE_IPS.v4, ...CLOUDFLARE_IPS.v6]) {
      const edge = range.split('/')[0]!.replace(/::$/, '::1').replace(/\.0$/, '.1')
      expect(ipOf('cloudflare', edge, { 'cf-connecting-ip': CLIENT }), range).toBe(CLIENT)
    }
  })

  it('ignores CF-Connecting-IP from anyone else: a client reaching the origin directly spoofs it', () => {
    expect(ipOf('cloudflare', '198.51.100.9', { 'cf-connecting-ip': '1.1.1.1' })).toBe('198.51.100.9')
    expect(ipOf('cloudflare', '2001:db8::9', { 'cf-connecting-ip': '1.1.1.1' })).toBe('2001:db8::9')
    // Just outside 173.245.48.0/20 and 2606:4700::/32.
    expect(ipOf('cloudflare', '173.245.64.1', { 'cf-connecting-ip': '1.1.1.1' })).toBe('173.245.64.1')
    expect(ipOf('cloudflare', '2606:4701::1', { 'cf-connecting-ip': '1.1.1.1' })).toBe('2606:4701::1')
  })

  it('does not read X-Forwarded-For, even from Cloudflare', () => {
    expect(ipOf('cloudflare', CF_V4, { 'x-forwarded-for': '1.1.1.1' })).toBe(CF_V4)
    expect(ipOf('cloudflare', CF_V4, { 'x-forwarded-for': '1.1.1.1', 'cf-connecting-ip': CLIENT })).toBe(
      CLIENT,
    )
  })

  it('takes fresher ranges: { preset, proxies } replaces the shipped list', () => {
    const trust: TrustProxy = { preset: 'cloudflare', proxies: ['198.51.100.0/24', '2001:db8:cf::/48'] }
    expect(ipOf(trust, '198.51.100.9', { 'cf-connecting-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf(trust, '2001:db8:cf::1', { 'cf-connecting-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf(trust, CF_V4, { 'cf-connecting-ip': CLIENT })).toBe(CF_V4)
    // A tunnel (cloudflared) connects from the host.
    const tunnel: TrustProxy = { preset: 'cloudflare', proxies: ['loopback'] }
    expect(ipOf(tunnel, '127.0.0.1', { 'cf-connecting-ip': CLIENT })).toBe(CLIENT)
  })

  it('the shipped data says where and when it was read', () => {
    expect(CLOUDFLARE_IPS.source).toBe('https://www.cloudflare.com/ips/')
    expect(CLOUDFLARE_IPS.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/)
    expect(CLOUDFLARE_IPS.v4.length).toBeGreaterThan(5)
    expect(CLOUDFLARE_IPS.v6.length).toBeGreaterThan(3)
    expect(Object.isFrozen(CLOUDFLARE_IPS.v4)).toBe(true)
  })
})

describe("trustProxy: 'fly'", () => {
  it("reads Fly-Client-IP from Fly's proxy on the private network", () => {
    // Fly's proxy connects from a private address (seen as ::ffff:172.19.x.x on dual-stack sockets).
    expect(ipOf('fly', '::ffff:172.19.2.97', { 'fly-client-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf('fly', '10.0.0.3', { 'fly-client-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf('fly', 'fdaa:0:1:a7b::2', { 'fly-client-ip': '2001:db8::7' })).toBe('2001:db8::7')
  })

  it('ignores Fly-Client-IP from public, loopback and link-local peers', () => {
    expect(ipOf('fly', '198.51.100.9', { 'fly-client-ip': '1.1.1.1' })).toBe('198.51.100.9')
    expect(ipOf('fly', '127.0.0.1', { 'fly-client-ip': '1.1.1.1' })).toBe('127.0.0.1')
    expect(ipOf('fly', '169.254.1.1', { 'fly-client-ip': '1.1.1.1' })).toBe('169.254.1.1')
  })
})

describe("trustProxy: 'x-real-ip'", () => {
  it('reads X-Real-IP from the host and the private LAN', () => {
    expect(ipOf('x-real-ip', '127.0.0.1', { 'x-real-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf('x-real-ip', '::1', { 'x-real-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf('x-real-ip', '192.168.1.2', { 'x-real-ip': '2001:db8::7' })).toBe('2001:db8::7')
    expect(ipOf('x-real-ip', 'fd00::2', { 'x-real-ip': CLIENT })).toBe(CLIENT)
  })

  it('ignores X-Real-IP from a public peer, and X-Forwarded-For always', () => {
    expect(ipOf('x-real-ip', '198.51.100.9', { 'x-real-ip': '1.1.1.1' })).toBe('198.51.100.9')
    expect(ipOf('x-real-ip', '127.0.0.1', { 'x-real-ip': CLIENT, 'x-forwarded-for': '1.1.1.1' })).toBe(CLIENT)
    expect(ipOf('x-real-ip', '127.0.0.1', { 'x-forwarded-for': '1.1.1.1' })).toBe('127.0.0.1')
  })

  it('takes other trusted peers: { header: "x-real-ip", proxies }', () => {
    const trust: TrustProxy = { header: 'x-real-ip', proxies: ['198.51.100.0/24'] }
    expect(ipOf(trust, '198.51.100.9', { 'x-real-ip': CLIENT })).toBe(CLIENT)
    expect(ipOf(trust, '127.0.0.1', { 'x-real-ip': CLIENT })).toBe('127.0.0.1')
    expect(ipOf({ header: 'x-real-ip', proxies: 1 }, '198.51.100.9', { 'x-real-ip': CLIENT })).toBe(CLIENT)
    expect(
      ipOf({ header: 'True-Client-IP', proxies: true }, '198.51.100.9', { 'true-client-ip': CLIENT }),
    ).toBe(CLIENT)
  })
})

describe('RFC 7239 Forwarded', () => {
  const one: TrustProxy = { header: 'forwarded', proxies: 1 }
  it.each([
    // RFC 7239 section 4 and 7.1 examples
    ['for=192.0.2.60;proto=http;by=203.0.113.43', '192.0.2.60'],
    ['For="[2001:db8:cafe::17]:4711"', '2001:db8:cafe::17'],
    ['for=192.0.2.43, for=198.51.100.17', '198.51.100.17'],
    ['for="192.0.2.43:47011"', '192.0.2.43'],
    ['for=192.0.2.43:47011', '192.0.2.43'],
    ['proto=https;FOR=192.0.2.43;host=example.com', '192.0.2.43'],
    ['  for = 192.0.2.43 ', '192.0.2.43'],
    ['for="[::ffff:192.0.2.43]"', '192.0.2.43'],
    ['for="2001:db8::1"', '2001:db8::1'],
    ['for="1.1.1.1, for=\\"2.2.2.2", for=192.0.2.43', '192.0.2.43'],
    ['for="\\"unbalanced, for=192.0.2.43', '192.0.2.43'],
    ['for="1.1.1.1, for=192.0.2.43', '192.0.2.43'],
  ])('%s → %s', (header, ip) => {
    expect(ipOf(one, '10.0.0.1', { forwarded: header })).toBe(ip)
  })

  it('walks right to left through trusted hops, like X-Forwarded-For', () => {
    const header = { forwarded: 'for=6.6.6.6, for=203.0.113.7;proto=https, for="[fd00::5]:80", for=10.1.1.1' }
    expect(ipOf({ header: 'forwarded', proxies: ['10.0.0.0/8', 'fc00::/7'] }, '10.0.0.1', header)).toBe(
      CLIENT,
    )
    expect(ipOf({ header: 'forwarded', proxies: 3 }, '10.0.0.1', header)).toBe(CLIENT)
    expect(ipOf({ header: 'forwarded', proxies: 4 }, '10.0.0.1', header)).toBe('6.6.6.6')
    expect(ipOf({ header: 'forwarded', proxies: true }, '10.0.0.1', header)).toBe('6.6.6.6')
    expect(ipOf({ header: 'forwarded', proxies: 'loopback, uniquelocal' }, '::1', header)).toBe(CLIENT)
    expect(ipOf('forwarded', '127.0.0.1', header)).toBe(CLIENT)
  })

  it('stops at an obfuscated or unknown identifier, a missing or repeated for=: the last believable address', () => {
    const trust: TrustProxy = { header: 'forwarded', proxies: ['10.0.0.0/8'] }
    for (const header of [
      'for=203.0.113.7, for=_hidden',
      'for=203.0.113.7, for="_SEVKISEK"',
      'for=203.0.113.7, for=unknown',
      'for=203.0.113.7, for=UNKNOWN:1234',
      'for=203.0.113.7, proto=https;by=10.0.0.9',
      'for=203.0.113.7, for=10.0.0.8;for=10.0.0.9',
      'for=203.0.113.7, for="10.0.0.8',
      'for=203.0.113.7, for=10.0.0.8"',
      'for=203.0.113.7,',
    ]) {
      expect(ipOf(trust, '10.0.0.1', { forwarded: header }), header).toBe('10.0.0.1')
    }
    expect(ipOf(trust, '10.0.0.1', { forwarded: 'for=_hidden, for=10.0.0.5' })).toBe('10.0.0.5')
  })

  it('ignores Forwarded from an untrusted peer', () => {
    expect(
      ipOf({ header: 'forwarded', proxies: ['10.0.0.0/8'] }, '198.51.100.9', { forwarded: 'for=1.1.1.1' }),
    ).toBe('198.51.100.9')
    expect(ipOf('forwarded', '198.51.100.9', { forwarded: 'for=1.1.1.1' })).toBe('198.51.100.9')
    expect(ipOf(1, '10.0.0.1', { forwarded: 'for=1.1.1.1' })).toBe('10.0.0.1')
  })

  it('reads repeated Forwarded fields as one list, a huge header from the right, and cuts at 32 hops', () => {
    expect(
      ipOf({ header: 'forwarded', proxies: 2 }, '10.0.0.1', { forwarded: ['for=1.1.1.1', 'for=10.0.0.2'] }),
    ).toBe('1.1.1.1')
    const huge = `${'for=9.9.9.9;proto=http, '.repeat(100_000)}for=${CLIENT}`
    const started = performance.now()
    expect(ipOf({ header: 'forwarded', proxies: 1 }, '10.0.0.1', { forwarded: huge })).toBe(CLIENT)
    expect(ipOf({ header: 'forwarded', proxies: true }, '10.0.0.1', { forwarded: huge })).toBe('9.9.9.9')
    expect(performance.now() - started).toBeLessThan(1000)
    const chain = Array.from({ length: 40 }, (_, i) => `for=10.0.0.${i + 10}`).join(', ')
    expect(ipOf({ header: 'forwarded', proxies: true }, '10.0.0.1', { forwarded: chain })).toBe('10.0.0.18')
  })
})

describe('the general form and the old forms', () => {
  it('{ proxies } reads X-Forwarded-For like the bare forms', () => {
    const xff = { 'x-forwarded-for': '1.1.1.1, 203.0.113.7' }
    expect(ipOf({ proxies: 1 }, '10.0.0.1', xff)).toBe(CLIENT)
    expect(ipOf({ header: 'X-Forwarded-For', proxies: ['10.0.0.0/8'] }, '10.0.0.1', xff)).toBe(CLIENT)
    expect(ipOf({ proxies: false }, '10.0.0.1', xff)).toBe('10.0.0.1')
    expect(ipOf(1, '10.0.0.1', xff)).toBe(CLIENT)
    expect(ipOf('loopback, 10.0.0.0/8', '10.0.0.1', xff)).toBe(CLIENT)
    expect(ipOf(['linklocal'], 'fe80::1', xff)).toBe(CLIENT)
    expect(ipOf(true, '10.0.0.1', xff)).toBe('1.1.1.1')
    expect(ipOf(false, '10.0.0.1', xff)).toBe('10.0.0.1')
    expect(ipOf(0, '10.0.0.1', xff)).toBe('10.0.0.1')
  })

  it('still takes the X-Forwarded-For value itself as the second argument (deprecated)', () => {
    const r = new ClientIpResolver({ trustProxy: 1 })
    expect(r.resolve('10.0.0.1', '1.1.1.1, 203.0.113.7').ip).toBe(CLIENT)
    expect(r.resolve('10.0.0.1', ['1.1.1.1', '203.0.113.7']).ip).toBe(CLIENT)
    expect(r.resolve('10.0.0.1').ip).toBe('10.0.0.1')
  })

  it('rejects what it cannot mean with ERR_BULWARK_OPTIONS and what to write instead', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ header: 'x-real-ip', proxies: 2 }, /x-real-ip holds one address.*proxies: 1 or its CIDRs/],
      [{ header: 'x-real-ip' }, /needs proxies: a hop count, true, or the CIDRs/],
      [{ preset: 'heroku' }, /preset must be one of cloudflare, fly, x-real-ip, forwarded/],
      [{ preset: 'fly', header: 'x-real-ip' }, /sets the header itself/],
      [{ proxys: 1 }, /unknown key "proxys"/],
      [{ header: 'x real ip', proxies: 1 }, /trustProxy.header must be a header name/],
      [{ header: 42, proxies: 1 }, /trustProxy.header must be a header name/],
      [{ proxies: { a: 1 } }, /proxies must be true, false, a hop count, or a list of CIDRs/],
      [['cloudflare'], /"cloudflare" is a preset: pass it alone/],
      ['loopback, fly', /"fly" is a preset/],
      [{ preset: 'cloudflare', proxies: ['173.245.48.0/33'] }, /trustProxy entry "173.245.48.0\/33"/],
      [33, /hop count must be an integer from 0 to 32/],
      [1.5, /hop count/],
      [Symbol('x'), /proxies must be/],
      ['heroku', /"heroku" is not an IP address, a CIDR or one of loopback/],
    ]
    for (const [trustProxy, message] of bad) {
      let error: unknown
      try {
        new ClientIpResolver({ trustProxy: trustProxy as TrustProxy })
      } catch (e) {
        error = e
      }
      expect(error, String(trustProxy)).toBeInstanceOf(BulwarkError)
      expect((error as BulwarkError).code).toBe('ERR_BULWARK_OPTIONS')
      expect((error as Error).message).toMatch(message)
    }
  })
})

describe('malformed headers never throw and fall back to the socket address', () => {
  const presets: Array<[TrustProxy, string, string, Array<string | string[]>]> = [
    ['cloudflare', CF_V4, 'cf-connecting-ip', MALFORMED],
    ['fly', '172.19.2.97', 'fly-client-ip', MALFORMED],
    ['x-real-ip', '127.0.0.1', 'x-real-ip', MALFORMED],
    ['forwarded', '127.0.0.1', 'forwarded', FORWARDED_GARBAGE],
    [1, '10.0.0.1', 'x-forwarded-for', GARBAGE],
  ]
  for (const [trust, socket, header, values] of presets) {
    it(`${JSON.stringify(trust)} (${header})`, () => {
      for (const value of values) {
        expect(ipOf(trust, socket, { [header]: value }), JSON.stringify(value).slice(0, 40)).toBe(socket)
      }
    })
  }

  it('any header value, any socket text, any preset: never throws, always an address or unknown', () => {
    const r = ['cloudflare', 'fly', 'x-real-ip', 'forwarded', 2, true].map(
      (trustProxy) => new ClientIpResolver({ trustProxy: trustProxy as TrustProxy }),
    )
    const value = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 }),
      fc.constantFrom(...MALFORMED),
    )
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(CF_V4, '10.0.0.1', '127.0.0.1', '::1', undefined),
          fc.string({ maxLength: 20 }),
        ),
        fc.record({
          'x-forwarded-for': value,
          forwarded: value,
          'x-real-ip': value,
          'cf-connecting-ip': value,
          'fly-client-ip': value,
        }),
        (socket, headers) => {
          for (const resolver of r) {
            const id = resolver.resolve(socket, headers)
            expect(id.ip === 'unknown' || id.addr !== null).toBe(true)
            expect(typeof id.viaUntrustedProxy).toBe('boolean')
          }
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('viaUntrustedProxy: the client address is a proxy Bulwark was not told about', () => {
  it('is set when a forwarding header comes from a loopback, private or link-local peer and no proxy is trusted', () => {
    for (const socket of [
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.2',
      '127.0.0.1',
      '::1',
      '169.254.1.1',
      'fe80::1',
    ]) {
      for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
        const value = header === 'forwarded' ? `for=${CLIENT}` : CLIENT
        const id = resolve(undefined, socket, { [header]: value })
        expect(id.viaUntrustedProxy, `${socket} ${header}`).toBe(true)
        expect(id.ip).not.toBe(CLIENT)
      }
    }
    expect(resolve(false, 'fd00::5', { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(true)
    expect(resolve(false, '::ffff:10.0.0.1', { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(true)
  })

  it('is not set for a public peer, nor without a forwarding header', () => {
    expect(resolve(undefined, '198.51.100.9', { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(false)
    expect(resolve(undefined, '2001:db8::9', { forwarded: `for=${CLIENT}` }).viaUntrustedProxy).toBe(false)
    expect(resolve(undefined, '10.0.0.1', {}).viaUntrustedProxy).toBe(false)
    expect(resolve(undefined, '10.0.0.1', { 'user-agent': 'x' }).viaUntrustedProxy).toBe(false)
    expect(resolve(undefined, '10.0.0.1').viaUntrustedProxy).toBe(false)
    expect(resolve(undefined, undefined, { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(false)
  })

  it('is not set once the proxy is trusted and names the client', () => {
    expect(resolve(1, '10.0.0.1', { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(false)
    expect(resolve('x-real-ip', '127.0.0.1', { 'x-real-ip': CLIENT }).viaUntrustedProxy).toBe(false)
    // A LAN client through a trusted proxy is a client.
    expect(resolve(1, '10.0.0.1', { 'x-forwarded-for': '192.168.1.5' })).toMatchObject({
      ip: '192.168.1.5',
      viaUntrustedProxy: false,
    })
  })

  it('is set for a proxy the setting leaves out: an untrusted private peer, a second proxy, a trusted one sending nothing', () => {
    // The load balancer is 172.16.0.5, the setting trusts only 10/8.
    expect(resolve(['10.0.0.0/8'], '172.16.0.5', { 'x-forwarded-for': CLIENT })).toMatchObject({
      ip: '172.16.0.5',
      viaUntrustedProxy: true,
    })
    // Two proxies, one counted: the client is the inner proxy, which forwarded for 203.0.113.7.
    expect(resolve(1, '10.0.0.1', { 'x-forwarded-for': `${CLIENT}, 10.0.0.2` })).toMatchObject({
      ip: '10.0.0.2',
      viaUntrustedProxy: true,
    })
    // nginx behind Cloudflare: the peer is the host.
    expect(resolve('cloudflare', '127.0.0.1', { 'cf-connecting-ip': CLIENT })).toMatchObject({
      ip: '127.0.0.1',
      viaUntrustedProxy: true,
    })
    // A trusted proxy sending X-Forwarded-For while X-Real-IP is read.
    expect(resolve('x-real-ip', '127.0.0.1', { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(true)
    // A trusted proxy writing garbage.
    expect(resolve(1, '10.0.0.1', { 'x-forwarded-for': 'garbage' }).viaUntrustedProxy).toBe(true)
    expect(resolve('forwarded', '10.0.0.1', { forwarded: 'for=_hidden' }).viaUntrustedProxy).toBe(true)
  })

  it('cannot be set by a client on the internet, whatever it sends', () => {
    const publicV4 = fc
      .ipV4()
      .filter((a) => /^(?!0\.|10\.|127\.|169\.254\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(a))
    const internal = fc.constantFrom(
      '10.0.0.2',
      '127.0.0.1',
      '192.168.0.1',
      'fd00::1',
      'unknown',
      '_x',
      'garbage',
    )
    const chain = fc.array(internal, { maxLength: 4 })
    const forwardedOf = (hops: string[]) => hops.map((a) => `for="${a}"`).join(', ')
    // The client connects directly: nothing but its own socket address is believed.
    const direct = [false, ['10.0.0.0/8'], 'cloudflare', 'fly', 'x-real-ip', 'forwarded'].map(
      (trustProxy) => new ClientIpResolver({ trustProxy: trustProxy as TrustProxy }),
    )
    // Through a load balancer at 10.0.0.1 that appends the client's address (and sets the single-address headers).
    const behind = [
      1,
      ['10.0.0.0/8'],
      { header: 'forwarded', proxies: 1 },
      'forwarded',
      'x-real-ip',
      'fly',
    ].map((trustProxy) => new ClientIpResolver({ trustProxy: trustProxy as TrustProxy }))
    fc.assert(
      fc.property(publicV4, chain, (client, sent) => {
        const own = {
          'x-forwarded-for': sent.join(', '),
          forwarded: forwardedOf(sent),
          'x-real-ip': sent.join(', '),
        }
        for (const r of direct) expect(r.resolve(client, own).viaUntrustedProxy).toBe(false)
        const relayed = {
          'x-forwarded-for': [...sent, client].join(', '),
          forwarded: forwardedOf([...sent, client]),
          'x-real-ip': client,
          'fly-client-ip': client,
        }
        for (const r of behind)
          expect(r.resolve('10.0.0.1', relayed)).toMatchObject({ ip: client, viaUntrustedProxy: false })
      }),
      { numRuns: 500 },
    )
  })

  it('is cached per socket and header: the same peer without a header is not flagged', () => {
    const r = new ClientIpResolver({})
    expect(r.resolve('10.0.0.1', { 'x-forwarded-for': CLIENT }).viaUntrustedProxy).toBe(true)
    expect(r.resolve('10.0.0.1', {}).viaUntrustedProxy).toBe(false)
    expect(r.resolve('10.0.0.1', { forwarded: 'for=1.1.1.1' }).viaUntrustedProxy).toBe(true)
    expect(r.resolve('10.0.0.1').viaUntrustedProxy).toBe(false)
  })

  it('keeps the cache bounded: long header values are not cached', () => {
    const r = new ClientIpResolver({ trustProxy: 1 })
    const cache = (r as unknown as { cache: { young: Map<string, unknown>; old: Map<string, unknown> } })
      .cache
    for (let i = 0; i < 1000; i++)
      r.resolve('10.0.0.1', { 'x-forwarded-for': `${'1.1.1.1,'.repeat(80)}9.9.${i >> 8}.${i & 255}` })
    expect(cache.young.size + cache.old.size).toBe(0)
    for (let i = 0; i < 25_000; i++) r.resolve('10.0.0.1', { 'x-forwarded-for': `9.9.${i >> 8}.${i & 255}` })
    expect(cache.young.size + cache.old.size).toBeLessThanOrEqual(20_000)
  })
})

describe('onUntrustedForwarded says the exact fix', () => {
  const seen = (trustProxy: TrustProxy | undefined, calls: Array<[string | undefined, RequestHeaders]>) => {
    const infos: UntrustedForwardedInfo[] = []
    const r = new ClientIpResolver({ trustProxy, onUntrustedForwarded: (info) => infos.push(info) })
    for (const [socket, headers] of calls) r.resolve(socket, headers)
    return infos
  }

  it('behind one load balancer on a private network: trustProxy: 1 or its CIDR', () => {
    const [info, ...rest] = seen(undefined, [
      ['10.1.2.3', { 'x-forwarded-for': CLIENT }],
      ['10.1.2.3', { 'x-forwarded-for': '1.1.1.1' }],
    ])
    expect(rest).toEqual([])
    expect(info).toEqual({
      peer: '10.1.2.3',
      header: 'x-forwarded-for',
      suspectedProxy: true,
      fix: "set trustProxy: 1 (one proxy in front of the app) or trustProxy: ['10.0.0.0/8'] (every proxy on that network)",
    })
  })

  it.each([
    ['127.0.0.1', { 'x-forwarded-for': CLIENT }, "trustProxy: 'loopback'"],
    ['::1', { 'x-forwarded-for': CLIENT }, "trustProxy: 'loopback'"],
    ['172.20.0.2', { 'x-forwarded-for': CLIENT }, "trustProxy: ['172.16.0.0/12']"],
    ['fd00::7', { 'x-forwarded-for': CLIENT }, "trustProxy: ['fc00::/7']"],
    ['169.254.3.4', { 'x-forwarded-for': CLIENT }, "trustProxy: ['169.254.0.0/16']"],
    ['127.0.0.1', { forwarded: `for=${CLIENT}` }, "trustProxy: 'forwarded'"],
    [
      'fe80::1',
      { forwarded: `for=${CLIENT}` },
      "trustProxy: { header: 'forwarded', proxies: ['fe80::/10'] }",
    ],
    ['192.168.0.9', { 'x-real-ip': CLIENT }, "trustProxy: 'x-real-ip'"],
    ['::ffff:172.19.2.97', { 'fly-client-ip': CLIENT, 'x-forwarded-for': CLIENT }, "trustProxy: 'fly'"],
  ] as const)('%s with %j: %s', (socket, headers, fix) => {
    const [info] = seen(undefined, [[socket, headers]])
    expect(info?.suspectedProxy).toBe(true)
    expect(info?.fix).toContain(fix)
  })

  it("from Cloudflare's edge: trustProxy: 'cloudflare'", () => {
    const [info] = seen(undefined, [[CF_V4, { 'x-forwarded-for': CLIENT, 'cf-connecting-ip': CLIENT }]])
    expect(info).toMatchObject({ peer: CF_V4, suspectedProxy: false })
    expect(info?.fix).toContain("trustProxy: 'cloudflare'")
  })

  it('from a public peer: once, and says a client may be writing the header itself', () => {
    const infos = seen(undefined, [
      ['198.51.100.9', { 'x-forwarded-for': CLIENT }],
      ['198.51.100.10', { 'x-forwarded-for': CLIENT }],
    ])
    expect(infos).toHaveLength(1)
    expect(infos[0]).toMatchObject({ peer: '198.51.100.9', header: 'x-forwarded-for', suspectedProxy: false })
    expect(infos[0]?.fix).toContain('a client is sending x-forwarded-for itself')
  })

  it('at most twice: once for any header, once more for the first suspected proxy', () => {
    const infos = seen(undefined, [
      ['198.51.100.9', { 'x-forwarded-for': CLIENT }],
      ['10.0.0.1', { forwarded: `for=${CLIENT}` }],
      ['10.0.0.2', { 'x-forwarded-for': CLIENT }],
      ['198.51.100.9', { 'x-real-ip': CLIENT }],
    ])
    expect(infos.map((i) => [i.peer, i.header, i.suspectedProxy])).toEqual([
      ['198.51.100.9', 'x-forwarded-for', false],
      ['10.0.0.1', 'forwarded', true],
    ])
  })

  it('with a trust setting: only a suspected proxy, with what to add', () => {
    expect(seen(['10.0.0.0/8'], [['198.51.100.9', { 'x-forwarded-for': '1.1.1.1' }]])).toEqual([])
    const [info] = seen(['10.0.0.0/8'], [['172.16.0.5', { 'x-forwarded-for': CLIENT }]])
    expect(info).toMatchObject({ peer: '172.16.0.5', suspectedProxy: true })
    expect(info?.fix).toContain("add '172.16.0.0/12' to trustProxy's proxies")
    const [second] = seen(1, [['10.0.0.1', { 'x-forwarded-for': `${CLIENT}, 10.0.0.2` }]])
    expect(second).toMatchObject({ peer: '10.0.0.2', suspectedProxy: true })
    expect(second?.fix).toContain('count it in the hop count')
    const [header] = seen('x-real-ip', [['127.0.0.1', { 'x-forwarded-for': CLIENT }]])
    expect(header?.fix).toContain('sent x-forwarded-for, not the x-real-ip that trustProxy reads')
  })

  it('a throwing callback never fails a request', () => {
    const r = new ClientIpResolver({
      onUntrustedForwarded: () => {
        throw new Error('boom')
      },
    })
    expect(r.resolve('10.0.0.1', { 'x-forwarded-for': CLIENT }).ip).toBe('10.0.0.1')
  })
})

describe('scripts/refresh-cloudflare-ranges.mjs', () => {
  const script = new URL('../../../scripts/refresh-cloudflare-ranges.mjs', import.meta.url)

  it('renders the shipped data file from its lists, and refuses anything but CIDR lists', async () => {
    const { listsIn, parseList, render } = await import(script.href)
    const shipped = readFileSync(new URL('../src/data/cloudflare-ranges.ts', import.meta.url), 'utf8')
    expect(listsIn(shipped)).toEqual({ v4: CLOUDFLARE_IPS.v4, v6: CLOUDFLARE_IPS.v6 })
    const rendered = render({ v4: ['192.0.2.0/24'], v6: ['2001:db8::/32'], date: '2030-01-02' })
    expect(listsIn(rendered)).toEqual({ v4: ['192.0.2.0/24'], v6: ['2001:db8::/32'] })
    expect(rendered).toContain("retrieved: '2030-01-02'")
    expect(parseList('192.0.2.0/24\n198.51.100.0/24\n', 4)).toEqual(['192.0.2.0/24', '198.51.100.0/24'])
    expect(() => parseList('<html>Just a moment...</html>', 4)).toThrow(/not an IPv4 CIDR/)
    expect(() => parseList('2001:db8::/32', 4)).toThrow(/not an IPv4 CIDR/)
    expect(() => parseList('192.0.2.0/24', 6)).toThrow(/not an IPv6 CIDR/)
    expect(() => parseList('\n', 6)).toThrow(/empty/)
  })
})
