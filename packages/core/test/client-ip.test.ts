import { describe, expect, it } from 'vitest'
import { ClientIpResolver } from '../src/index.js'

const resolve = (
  trustProxy: ConstructorParameters<typeof ClientIpResolver>[0],
  socket: string | undefined,
  xff?: string | string[],
) => new ClientIpResolver(trustProxy).resolve(socket, xff)

describe('client identity', () => {
  it.each([
    // [case, options, socket, xff, ip, key]
    ['socket only', {}, '203.0.113.7', undefined, '203.0.113.7', 'ip:203.0.113.7'],
    ['spoofed XFF ignored by default', {}, '203.0.113.7', '1.2.3.4', '203.0.113.7', 'ip:203.0.113.7'],
    ['IPv4-mapped IPv6 folded', {}, '::ffff:198.51.100.9', undefined, '198.51.100.9', 'ip:198.51.100.9'],
    ['IPv4-mapped, hex spelling', {}, '::ffff:c633:6409', undefined, '198.51.100.9', 'ip:198.51.100.9'],
    [
      'IPv4-mapped, long spelling',
      {},
      '0:0:0:0:0:ffff:c633:6409',
      undefined,
      '198.51.100.9',
      'ip:198.51.100.9',
    ],
    [
      'IPv6 grouped by /64',
      {},
      '2001:db8:1:2:aaaa:bbbb:cccc:dddd',
      undefined,
      '2001:db8:1:2:aaaa:bbbb:cccc:dddd',
      'ip:2001:db8:1:2::/64',
    ],
    [
      'IPv6 canonical form',
      {},
      '2001:0DB8:0000:0000:0000:0000:0000:0001',
      undefined,
      '2001:db8::1',
      'ip:2001:db8::/64',
    ],
    [
      'IPv6 /48 grouping',
      { ipv6Prefix: 48 },
      '2001:db8:1:2::1',
      undefined,
      '2001:db8:1:2::1',
      'ip:2001:db8:1::/48',
    ],
    ['IPv6 no grouping', { ipv6Prefix: 128 }, '2001:db8::1', undefined, '2001:db8::1', 'ip:2001:db8::1'],
    ['IPv6 zone id dropped', {}, 'fe80::1%eth0', undefined, 'fe80::1', 'ip:fe80::/64'],
    [
      'one trusted hop',
      { trustProxy: 1 },
      '10.0.0.1',
      '1.1.1.1, 203.0.113.7',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'two trusted hops',
      { trustProxy: 2 },
      '10.0.0.1',
      '1.1.1.1, 203.0.113.7, 10.0.0.2',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'hops beyond the chain: leftmost',
      { trustProxy: 5 },
      '10.0.0.1',
      '203.0.113.7',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'trusted CIDR walks right to left',
      { trustProxy: ['10.0.0.0/8'] },
      '10.0.0.1',
      '6.6.6.6, 203.0.113.7, 10.1.1.1',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'untrusted socket: XFF ignored',
      { trustProxy: ['10.0.0.0/8'] },
      '192.0.2.1',
      '203.0.113.7',
      '192.0.2.1',
      'ip:192.0.2.1',
    ],
    [
      'preset loopback',
      { trustProxy: 'loopback' },
      '127.0.0.1',
      '203.0.113.7',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'IPv6 trusted proxy',
      { trustProxy: ['fd00::/8'] },
      'fd00::5',
      '2001:db8::7',
      '2001:db8::7',
      'ip:2001:db8::/64',
    ],
    [
      'XFF entry with port',
      { trustProxy: 1 },
      '10.0.0.1',
      '203.0.113.7:51234',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'XFF bracketed IPv6 with port',
      { trustProxy: 1 },
      '10.0.0.1',
      '[2001:db8::7]:443',
      '2001:db8::7',
      'ip:2001:db8::/64',
    ],
    ['XFF mapped IPv4', { trustProxy: 1 }, '10.0.0.1', '::ffff:203.0.113.7', '203.0.113.7', 'ip:203.0.113.7'],
    [
      'repeated XFF headers joined',
      { trustProxy: 2 },
      '10.0.0.1',
      ['1.1.1.1', '203.0.113.7, 10.0.0.3'],
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'garbage in XFF: last believable hop',
      { trustProxy: 1 },
      '10.0.0.1',
      'not-an-ip',
      '10.0.0.1',
      'ip:10.0.0.1',
    ],
    [
      'garbage beyond the client is never read',
      { trustProxy: 1 },
      '10.0.0.1',
      '<script>, 203.0.113.7',
      '203.0.113.7',
      'ip:203.0.113.7',
    ],
    [
      'non-strict IPv4 spellings are garbage',
      { trustProxy: 1 },
      '10.0.0.1',
      '0x7f.1',
      '10.0.0.1',
      'ip:10.0.0.1',
    ],
    ['empty XFF entries', { trustProxy: 1 }, '10.0.0.1', ',,,', '10.0.0.1', 'ip:10.0.0.1'],
    ['unicode in XFF', { trustProxy: 1 }, '10.0.0.1', '１２７.０.０.１', '10.0.0.1', 'ip:10.0.0.1'],
    ['missing socket address', {}, undefined, undefined, 'unknown', 'ip:unknown'],
    ['garbage socket address', {}, 'hello', undefined, 'unknown', 'ip:unknown'],
  ] as const)('%s', (_name, options, socket, xff, ip, key) => {
    const id = resolve(options, socket, xff as string | string[] | undefined)
    expect({ ip: id.ip, key: id.key }).toEqual({ ip, key })
  })

  it('a huge X-Forwarded-For is read from the right and never crashes', () => {
    const xff = `${'9.9.9.9, '.repeat(200_000)}203.0.113.7`
    expect(resolve({ trustProxy: 1 }, '10.0.0.1', xff).ip).toBe('203.0.113.7')
    expect(resolve({ trustProxy: true }, '10.0.0.1', xff).ip).toBe('9.9.9.9')
  })

  it('warns once when X-Forwarded-For arrives and no proxy is trusted', () => {
    let warnings = 0
    const r = new ClientIpResolver({ onUntrustedForwarded: () => warnings++ })
    r.resolve('203.0.113.7', '1.2.3.4')
    r.resolve('203.0.113.8', '1.2.3.5')
    expect(warnings).toBe(1)
  })

  it('rejects bad trustProxy and ipv6Prefix values with a clear error', () => {
    expect(() => new ClientIpResolver({ trustProxy: ['10.0.0.0/33'] })).toThrow(
      /trustProxy entry "10.0.0.0\/33"/,
    )
    expect(() => new ClientIpResolver({ trustProxy: ['corp-proxy'] })).toThrow(/ERR_BULWARK_OPTIONS/)
    expect(() => new ClientIpResolver({ trustProxy: -1 })).toThrow(/hop count/)
    expect(() => new ClientIpResolver({ ipv6Prefix: 0 })).toThrow(/ipv6Prefix/)
  })
})
