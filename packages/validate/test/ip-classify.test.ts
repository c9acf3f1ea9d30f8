import { describe, expect, it } from 'vitest'
import { CLOUD_METADATA_ADDRESSES, classifyAddress } from '../src/index.ts'
import { compileAddressList } from '../src/ip-classify.ts'

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.1.1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['239.1.1.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['198.19.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'deprecatedSiteLocal'],
    ['100::1', 'discard'],
    ['2001:2::1', 'benchmarking'],
    ['2001:db8::1', 'reserved'],
    ['4000::1', 'notGlobalUnicast'],
    ['64:ff9b:1::1', 'nat64Local'],
    ['::ffff:0:7f00:1', 'rfc6145'],
  ])('%s is not public (%s)', (address, range) => {
    const verdict = classifyAddress(address)
    expect(verdict?.public).toBe(false)
    expect(verdict?.range).toBe(range)
  })

  it.each(CLOUD_METADATA_ADDRESSES)('metadata address %s is blocked as cloudMetadata', (address) => {
    expect(classifyAddress(address)).toMatchObject({ public: false, range: 'cloudMetadata' })
  })

  it.each([
    ['::ffff:127.0.0.1', '127.0.0.1', 'loopback'],
    ['::ffff:a9fe:a9fe', '169.254.169.254', 'cloudMetadata'],
    ['0:0:0:0:0:ffff:10.0.0.1', '10.0.0.1', 'private'],
  ])('IPv4-mapped %s is judged as %s', (address, v4, range) => {
    expect(classifyAddress(address)).toMatchObject({ address: v4, family: 4, public: false, range })
  })

  it.each([
    ['::127.0.0.1', 'ipv4Compatible', '127.0.0.1'],
    ['::7f00:1', 'ipv4Compatible', '127.0.0.1'],
    ['64:ff9b::7f00:1', 'rfc6052', '127.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052', '169.254.169.254'],
    ['2002:c0a8:101::1', '6to4', '192.168.1.1'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'teredo', '127.0.0.1'],
    ['2001:0:a00:1:8000:63bf:f7f7:f7f7', 'teredo', '10.0.0.1'],
  ])('translation form %s (%s) embeds non-public %s', (address, range, embedded) => {
    const verdict = classifyAddress(address)
    expect(verdict).toMatchObject({ public: false, range })
    expect(verdict?.embedded?.address).toBe(embedded)
  })

  it.each([
    ['8.8.8.8', 4],
    ['1.1.1.1', 4],
    ['93.184.215.14', 4],
    ['2606:4700:4700::1111', 6],
    ['64:ff9b::808:808', 6],
    ['2002:808:808::1', 6],
  ])('%s is public', (address, family) => {
    expect(classifyAddress(address)).toMatchObject({ public: true, family })
  })

  it('keeps the IPv4-compatible form blocked even when it embeds a public address', () => {
    expect(classifyAddress('::8.8.8.8')).toMatchObject({ public: false, range: 'ipv4Compatible' })
  })

  it.each(['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '[::1]'])(
    'reads the spelling %s',
    (spelling) => {
      expect(classifyAddress(spelling)?.range).toBe('loopback')
    },
  )

  it.each(['', 'example.com', '1.2.3.4.5', '::g', '999.1.1.1', 'localhost'])(
    'returns undefined for %j',
    (input) => {
      expect(classifyAddress(input)).toBeUndefined()
    },
  )

  it('never throws on non-strings', () => {
    expect(classifyAddress(42 as unknown as string)).toBeUndefined()
  })
})

describe('compileAddressList', () => {
  it('matches addresses and CIDR ranges, IPv4-mapped as IPv4', () => {
    const match = compileAddressList(['10.0.0.0/8', '::1', '[fd00::1]', '::ffff:192.168.0.0/112'])
    expect(match('10.200.0.1')).toBe(true)
    expect(match('::ffff:10.0.0.1')).toBe(true)
    expect(match('::1')).toBe(true)
    expect(match('fd00::1')).toBe(true)
    expect(match('192.168.3.4')).toBe(true)
    expect(match('11.0.0.1')).toBe(false)
    expect(match('not an ip')).toBe(false)
  })

  it.each(['10.0.0.0/33', 'example.com', '127.1', '10.0.0.0/x'])('rejects the entry %j', (entry) => {
    expect(() => compileAddressList([entry])).toThrow(TypeError)
  })
})
