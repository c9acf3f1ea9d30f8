import { describe, expect, it } from 'vitest'
import { type IpRange, parseIp, parseRange } from '../src/ip.js'
import { IpSet } from '../src/ip-set.js'
import { parseEntry, Whitelist } from '../src/whitelist.js'

function range(text: string): IpRange {
  const r = parseRange(text)
  if (r === null) throw new Error(`bad range ${text}`)
  return r
}

function ip(text: string) {
  const a = parseIp(text)
  if (a === null) throw new Error(`bad ip ${text}`)
  return a
}

describe('IpSet', () => {
  it('matches IPv4 ranges by longest prefix, and only inside them', () => {
    const set = new IpSet<string>()
    set.set(range('10.0.0.0/8'), 'ten')
    set.set(range('10.1.0.0/16'), 'ten-one')
    set.set(range('192.0.2.7'), 'one')
    set.set(range('0.0.0.0/0'), 'all')
    expect(set.size).toBe(4)
    expect(set.match(ip('10.1.2.3'))?.value).toBe('ten-one')
    expect(set.match(ip('10.2.2.3'))?.value).toBe('ten')
    expect(set.match(ip('192.0.2.7'))).toEqual({ text: '192.0.2.7', value: 'one' })
    expect(set.match(ip('192.0.2.8'))?.value).toBe('all')
    set.delete(range('0.0.0.0/0'))
    expect(set.match(ip('192.0.2.8'))).toBeNull()
    expect(set.match(ip('11.0.0.0'))).toBeNull()
    expect(set.match(ip('9.255.255.255'))).toBeNull()
    expect(set.match(ip('10.255.255.255'))?.value).toBe('ten')
  })

  it('matches IPv6 ranges at every prefix length, including non-multiples of 32', () => {
    const set = new IpSet<string>()
    set.set(range('2001:db8::/32'), 'doc')
    set.set(range('2001:db8:1:2::/64'), 'net')
    set.set(range('2001:db8:1:2:8000::/65'), 'upper-half')
    set.set(range('2001:db8:1:2::7'), 'host')
    expect(set.match(ip('2001:db8:1:2::7'))?.value).toBe('host')
    expect(set.match(ip('2001:db8:1:2::8'))?.value).toBe('net')
    expect(set.match(ip('2001:db8:1:2:8000::1'))?.value).toBe('upper-half')
    expect(set.match(ip('2001:db8:ffff::1'))?.value).toBe('doc')
    expect(set.match(ip('2001:db9::1'))).toBeNull()
    // Families never mix: ::/0 holds no IPv4 address, 0.0.0.0/0 no IPv6 one.
    set.set(range('::/0'), 'all6')
    expect(set.match(ip('192.0.2.1'))).toBeNull()
    expect(set.match(ip('3000::1'))?.value).toBe('all6')
  })

  it('folds IPv4-mapped IPv6 to IPv4 on both sides', () => {
    const set = new IpSet<string>()
    set.set(range('::ffff:203.0.113.0/120'), 'mapped')
    expect(set.match(ip('203.0.113.9'))?.text).toBe('203.0.113.0/24')
    expect(set.match(ip('::ffff:cb00:7109'))?.value).toBe('mapped')
  })

  it('canonicalises: two spellings of one range are one entry', () => {
    const set = new IpSet<number>()
    set.set(range('203.0.113.77/24'), 1)
    set.set(range('203.0.113.0/24'), 2)
    expect(set.size).toBe(1)
    expect(set.get(range('203.0.113.5/24'))?.value).toBe(2)
    expect(set.delete(range('203.0.113.1/24'))).toBe(true)
    expect(set.size).toBe(0)
    expect(set.delete(range('203.0.113.1/24'))).toBe(false)
  })

  it('falls back to a shorter prefix when accept refuses the longer one', () => {
    const set = new IpSet<{ live: boolean }>()
    set.set(range('198.51.100.0/24'), { live: false })
    set.set(range('198.51.0.0/16'), { live: true })
    expect(set.match(ip('198.51.100.1'), (v) => v.live)?.text).toBe('198.51.0.0/16')
  })

  it('answers 100,000 entries in well under a microsecond per lookup', () => {
    const set = new IpSet<number>()
    for (let i = 0; i < 50_000; i++) {
      set.set(range(`${10 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}.0/24`), i)
      set.set(range(`100.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`), i)
    }
    expect(set.size).toBe(100_000)
    const probes = Array.from({ length: 1000 }, (_, i) => ip(`${10 + (i % 3)}.${i & 255}.${(i * 7) & 255}.9`))
    let hits = 0
    let best = Number.POSITIVE_INFINITY
    // The best of several rounds, so a busy machine's pauses do not count.
    for (let round = 0; round < 7; round++) {
      const t0 = process.hrtime.bigint()
      for (let r = 0; r < 50; r++) for (const p of probes) if (set.match(p) !== null) hits++
      best = Math.min(best, Number(process.hrtime.bigint() - t0) / (50 * probes.length))
    }
    expect(hits).toBeGreaterThan(0)
    expect(best).toBeLessThan(1000)
  })
})

describe('Whitelist', () => {
  it('matches addresses by CIDR without scanning, and lists what was added', () => {
    const list = new Whitelist()
    const hash = (k: string) => `key:${k}`
    list.add(parseEntry('10.0.0.0/8', hash))
    list.add(parseEntry('2001:db8::/32', hash))
    list.add(parseEntry('secret-key', hash))
    expect(list.matchIp('10.9.9.9')).toBe('10.0.0.0/8')
    expect(list.matchIp('2001:db8::5')).toBe('2001:db8::/32')
    expect(list.matchIp('11.0.0.1')).toBeNull()
    expect(list.matchIp('not an ip')).toBeNull()
    expect(list.matchKey('key:secret-key')).toBe('key:secret-key')
    expect(list.list()).toEqual(['10.0.0.0/8', '2001:db8::/32', 'key:secret-key'])
    expect(list.remove(parseEntry('10.0.0.0/8', hash))).toBe(true)
    expect(list.matchIp('10.9.9.9')).toBeNull()
  })
})
