import { describe, expect, it, vi } from 'vitest'
import { assertPublicUrl, checkPublicUrl, UrlCode, ValidationError } from '../src/index.ts'

const answers =
  (...addresses: string[]) =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

describe('checkPublicUrl / assertPublicUrl', () => {
  it('resolves every record and returns them', async () => {
    const result = await assertPublicUrl('https://example.com/x', {
      lookup: answers('93.184.215.14', '2606:2800::1'),
    })
    expect(result.href).toBe('https://example.com/x')
    expect(result.addresses.map((a) => a.address)).toEqual(['93.184.215.14', '2606:2800::1'])
  })

  it('blocks when any one record is not public', async () => {
    const result = await checkPublicUrl('https://example.com/', {
      lookup: answers('93.184.215.14', '10.0.0.5'),
    })
    expect(result).toMatchObject({ ok: false, code: UrlCode.ADDRESS_NOT_PUBLIC })
    expect(result.ok ? '' : result.message).toContain('10.0.0.5')
  })

  it('blocks an IPv4-mapped or NAT64 answer that embeds a private address', async () => {
    for (const address of ['::ffff:169.254.169.254', '64:ff9b::a00:1']) {
      const result = await checkPublicUrl('https://example.com/', { lookup: answers(address) })
      expect(result).toMatchObject({ ok: false, code: UrlCode.ADDRESS_NOT_PUBLIC })
    }
  })

  it('blocks when DNS fails or returns nothing', async () => {
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })
    }
    expect(await checkPublicUrl('https://example.com/', { lookup: failing })).toMatchObject({
      ok: false,
      code: UrlCode.DNS_FAILED,
    })
    expect(await checkPublicUrl('https://example.com/', { lookup: answers() })).toMatchObject({
      ok: false,
      code: UrlCode.DNS_FAILED,
    })
  })

  it('throws a ValidationError with the stable code', async () => {
    const error = await assertPublicUrl('http://localhost/').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect(error).toMatchObject({ name: 'ValidationError', code: UrlCode.HOST_LOCAL })
    await expect(
      assertPublicUrl('https://example.com/', { lookup: answers('127.0.0.1') }),
    ).rejects.toMatchObject({
      code: UrlCode.ADDRESS_NOT_PUBLIC,
    })
  })

  it('does not resolve IP literals', async () => {
    const lookup = vi.fn(answers('127.0.0.1'))
    const result = await assertPublicUrl('https://8.8.8.8/', { lookup })
    expect(result.addresses).toEqual([{ address: '8.8.8.8', family: 4 }])
    expect(lookup).not.toHaveBeenCalled()
  })

  it('checks resolved addresses against denyHosts and allowAddresses', async () => {
    expect(
      await checkPublicUrl('https://example.com/', { lookup: answers('8.8.8.8'), denyHosts: ['8.8.8.0/24'] }),
    ).toMatchObject({ ok: false, code: UrlCode.HOST_DENIED })
    expect(
      await checkPublicUrl('https://example.com/', {
        lookup: answers('10.1.2.3'),
        allowAddresses: ['10.1.2.3'],
      }),
    ).toMatchObject({ ok: true })
  })

  it('uses the system resolver by default', async () => {
    // localhost resolves without network, and both its answers are loopback; the name rule fires first,
    // so exempt the name to reach the DNS step.
    const result = await checkPublicUrl('http://localhost/', { allowHosts: ['localhost'] })
    expect(result).toMatchObject({ ok: false, code: UrlCode.ADDRESS_NOT_PUBLIC })
  })
})
