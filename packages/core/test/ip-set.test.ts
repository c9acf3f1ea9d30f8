import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type IpRange, parseIp, parseRange } from '../src/ip.js'
import { formatV6, hash4, IpSet, parsePrefix, v6FromText } from '../src/ip-set.js'
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

describe('IPv6 on the fast path (parsePrefix without ipaddr.js)', () => {
  /** An address as eight groups, zeros often (so that runs of zero groups are common), spelled in any legal way. */
  const groups = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 8,
    maxLength: 8,
  })
  const spell = (g: number[], upper: boolean, pad: boolean, zip: number) => {
    let parts = g.map((x) => {
      const h = x.toString(16)
      return (pad ? h.padStart(4, '0') : h)[upper ? 'toUpperCase' : 'toLowerCase']()
    })
    // Compress the zip-th run of zero groups (any run, not only the longest: every spelling must read the same).
    const runs: [number, number][] = []
    for (let i = 0; i < 8; ) {
      if (g[i] !== 0) {
        i++
        continue
      }
      let j = i
      while (j < 8 && g[j] === 0) j++
      runs.push([i, j])
      i = j
    }
    const run = runs.length === 0 ? undefined : runs[zip % runs.length]
    if (run !== undefined && zip % (runs.length + 1) !== runs.length) {
      parts = [...parts.slice(0, run[0]), '', ...parts.slice(run[1])]
      let text = parts.join(':')
      if (run[0] === 0) text = `:${text}`
      if (run[1] === 8) text = `${text}:`
      return text
    }
    return parts.join(':')
  }

  it('reads every spelling of every address and prefix as ipaddr.js does: same canonical text and bits', () => {
    fc.assert(
      fc.property(
        groups,
        fc.boolean(),
        fc.boolean(),
        fc.nat(8),
        fc.option(fc.integer({ min: 0, max: 128 }), { nil: undefined }),
        (g, upper, pad, zip, bits) => {
          const text = `${spell(g, upper, pad, zip)}${bits === undefined ? '' : `/${bits}`}`
          const slow = parseRange(text)
          const fast = parsePrefix(text)
          expect(slow, text).not.toBeNull()
          expect(fast && { text: fast.text, bits: fast.bits }, text).toEqual(
            slow && { text: slow.text, bits: slow.bits },
          )
          // And it is found where ipaddr.js says it is.
          const set = new IpSet<string>()
          set.set(fast as NonNullable<typeof fast>, text)
          expect(set.get(slow as IpRange)?.value, text).toBe(text)
          expect(set.match((slow as IpRange).addr)?.text, text).toBe(slow?.text)
        },
      ),
      { numRuns: 3000 },
    )
  })

  it('leaves what is not plain hex to ipaddr.js, and refuses what neither reads', () => {
    const cases = [
      '::',
      '::/0',
      '::1',
      '1::',
      '1::/16',
      '0:0:0:0:0:0:0:1',
      '2001:DB8:0:0:1:0:0:1',
      '2001:db8::1:0:0:1',
      '2001:0:0:1:0:0:0:1',
      '2001:db8:0:0:0:0:2:1',
      '::ffff:1.2.3.4',
      '::ffff:102:304',
      '::ffff:0:0/96',
      '::ffff:192.0.2.0/120',
      '64:ff9b::192.0.2.33',
      'fe80::1%eth0',
      '2001:db8::/129',
      '2001:db8::/033',
      '2001:db8::/x',
      ':::',
      ':1',
      '1:',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1::2::3',
      '12345::',
      'g::1',
      '1:2:3:4:5:6:7::8',
      '::1:2:3:4:5:6:7',
      '',
      ':',
    ]
    for (const t of cases) expect(parsePrefix(t)?.text ?? null, t).toBe(parseRange(t)?.text ?? null)
    expect(v6FromText('2001:db8::1.2.3.4')).toBeNull()
    expect(formatV6([0x20010db8, 0, 0, 1])).toBe('2001:db8::1')
    expect(formatV6([0x20010000, 0x1, 0, 1])).toBe('2001:0:0:1::1')
  })

  it('tells apart prefixes whose hashes collide', () => {
    // Find two /128s with the same hash: among 300,000 random ones a 32-bit hash almost surely repeats.
    const seen = new Map<number, number[]>()
    let pair: [number[], number[]] | undefined
    for (let i = 0; i < 300_000 && pair === undefined; i++) {
      const w = [0x20010db8, (Math.random() * 2 ** 32) >>> 0, (Math.random() * 2 ** 32) >>> 0, i]
      const h = hash4(w[0] as number, w[1] as number, w[2] as number, w[3] as number)
      const other = seen.get(h)
      if (other !== undefined) pair = [other, w]
      else seen.set(h, w)
    }
    expect(pair).toBeDefined()
    const [a, b] = (pair as [number[], number[]]).map((w) => formatV6(w)) as [string, string]
    const third = '2001:db8::3'
    const set = new IpSet<string>()
    for (const t of [a, b, third]) set.set(parsePrefix(t) as NonNullable<ReturnType<typeof parsePrefix>>, t)
    expect(set.size).toBe(3)
    expect(set.match(ip(a))?.value).toBe(a)
    expect(set.match(ip(b))?.value).toBe(b)
    set.set(parsePrefix(b) as NonNullable<ReturnType<typeof parsePrefix>>, 'b again')
    expect(set.size).toBe(3)
    expect(set.get(parsePrefix(b) as NonNullable<ReturnType<typeof parsePrefix>>)?.value).toBe('b again')
    expect(set.delete(parsePrefix(a) as NonNullable<ReturnType<typeof parsePrefix>>)).toBe(true)
    expect(set.match(ip(a))).toBeNull()
    expect(set.match(ip(b))?.value).toBe('b again')
    expect([...set.entries()].map((e) => e.value).sort()).toEqual([third, 'b again'].sort())
    set.set(parsePrefix(a) as NonNullable<ReturnType<typeof parsePrefix>>, a)
    set.sweep((v) => (v === a ? undefined : v))
    expect(set.size).toBe(2)
    expect(set.match(ip(a))).toBeNull()
    expect(set.match(ip(b))?.value).toBe('b again')
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
