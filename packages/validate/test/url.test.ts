import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkUrl, UrlCode } from '../src/index.ts'

const codeOf = (input: unknown, options?: Parameters<typeof checkUrl>[1]): string => {
  const result = checkUrl(input, options)
  return result.ok ? 'ok' : result.code
}

describe('checkUrl', () => {
  it('returns the canonical href, host, port and IP', () => {
    expect(checkUrl('HTTPS://Example.COM:443/a/../b?x=1#y')).toEqual({
      ok: true,
      value: { href: 'https://example.com/b?x=1#y', protocol: 'https:', hostname: 'example.com', port: 443 },
    })
    expect(checkUrl('http://8.8.8.8:8080/')).toEqual({
      ok: true,
      value: {
        href: 'http://8.8.8.8:8080/',
        protocol: 'http:',
        hostname: '8.8.8.8',
        port: 8080,
        ip: '8.8.8.8',
      },
    })
    expect(
      checkUrl('https://[2606:4700:4700::1111]/').ok && checkUrl('https://[2606:4700:4700::1111]/'),
    ).toMatchObject({
      value: { hostname: '[2606:4700:4700::1111]', ip: '2606:4700:4700::1111' },
    })
  })

  it('accepts a URL object and checks its href', () => {
    expect(codeOf(new URL('http://127.0.0.1/'))).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(codeOf(new URL('https://example.com/'))).toBe('ok')
  })

  it.each([
    [undefined, UrlCode.NOT_STRING],
    [42, UrlCode.NOT_STRING],
    [{ href: 'https://example.com' }, UrlCode.NOT_STRING],
    ['', UrlCode.INVALID],
    ['example.com', UrlCode.INVALID],
    ['https://', UrlCode.INVALID],
    ['http://exa mple.com/', UrlCode.INVALID],
    [`https://example.com/${'a'.repeat(2048)}`, UrlCode.TOO_LONG],
    ['https://example.com/\u0000', UrlCode.CONTROL_CHARACTER],
    ['https://exa\tmple.com/', UrlCode.CONTROL_CHARACTER],
    ['https://example.com/\r\nHost: evil', UrlCode.CONTROL_CHARACTER],
    ['https://example.com/\u0085', UrlCode.CONTROL_CHARACTER],
    ['https://example.com/ ', UrlCode.WHITESPACE],
    ['\u00a0https://example.com/', UrlCode.WHITESPACE],
    ['\ufeffhttps://example.com/', UrlCode.WHITESPACE],
    ['https:\\\\example.com', UrlCode.BACKSLASH],
    ['//example.com/', UrlCode.PROTOCOL_RELATIVE],
    ['ftp://example.com/', UrlCode.PROTOCOL_NOT_ALLOWED],
    ['wss://example.com/', UrlCode.PROTOCOL_NOT_ALLOWED],
    ['DATA:text/html,x', UrlCode.PROTOCOL_NOT_ALLOWED],
    ['https://:@example.com/', UrlCode.CREDENTIALS],
    ['https://user@example.com/', UrlCode.CREDENTIALS],
    ['https://example.com:22/', UrlCode.PORT_NOT_ALLOWED],
    ['http://example.com:443/', 'ok'],
    ['https://a..b.example.com/', UrlCode.HOST_INVALID],
    ['https://exa!mple.com/', UrlCode.HOST_INVALID],
    [`https://${'a'.repeat(64)}.com/`, UrlCode.HOST_INVALID],
    ['https://intranet/', UrlCode.HOST_LOCAL],
    ['https://wiki/', UrlCode.HOST_SINGLE_LABEL],
    ['https://wiki./', UrlCode.HOST_SINGLE_LABEL],
    ['https://LocalHost/', UrlCode.HOST_LOCAL],
    ['https://a.b.LOCALHOST./', UrlCode.HOST_LOCAL],
    ['https://metadata.google.internal./', UrlCode.HOST_LOCAL],
    ['https://1.0.0.127.in-addr.arpa/', UrlCode.HOST_LOCAL],
    ['https://x.onion/', UrlCode.HOST_LOCAL],
  ])('%j fails with %s', (input, code) => {
    expect(codeOf(input)).toBe(code)
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.webUrl(), fc.anything()),
        (input) => {
          const result = checkUrl(input)
          expect(typeof result.ok).toBe('boolean')
        },
      ),
      { numRuns: 500 },
    )
  })

  it('returns an href that checks to itself', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (input) => {
        const first = checkUrl(input, { ports: 'any' })
        if (!first.ok) return
        expect(checkUrl(first.value.href, { ports: 'any' })).toEqual(first)
      }),
      { numRuns: 300 },
    )
  })
})

describe('checkUrl options', () => {
  it('accepts other special schemes only when asked', () => {
    expect(codeOf('wss://example.com/', { protocols: ['wss:'] })).toBe('ok')
    expect(codeOf('https://example.com/', { protocols: ['wss:'] })).toBe(UrlCode.PROTOCOL_NOT_ALLOWED)
    expect(() => checkUrl('x', { protocols: ['file:' as 'http:'] })).toThrow(TypeError)
  })

  it('applies the port policy to the effective port', () => {
    expect(codeOf('https://example.com/', { ports: [8443] })).toBe(UrlCode.PORT_NOT_ALLOWED)
    expect(codeOf('https://example.com:8443/', { ports: [8443] })).toBe('ok')
    expect(codeOf('https://example.com:9999/', { ports: 'any' })).toBe('ok')
    expect(() => checkUrl('x', { ports: [0] })).toThrow(TypeError)
  })

  it('accepts credentials only when asked', () => {
    expect(codeOf('https://u:p@example.com/', { allowCredentials: true })).toBe('ok')
  })

  it('limits the length', () => {
    expect(codeOf('https://example.com/abc', { maxLength: 10 })).toBe(UrlCode.TOO_LONG)
    expect(() => checkUrl('x', { maxLength: 0 })).toThrow(TypeError)
  })

  it('exempts allowHosts from the name rules but not from the address rules', () => {
    const options = { allowHosts: ['search.internal', '*.corp', 'wiki', '127.0.0.1'] }
    expect(codeOf('https://search.internal/', options)).toBe('ok')
    expect(codeOf('https://git.corp/', options)).toBe('ok')
    expect(codeOf('https://corp/', options)).toBe(UrlCode.HOST_LOCAL)
    expect(codeOf('https://wiki/', options)).toBe('ok')
    expect(codeOf('https://127.0.0.1/', options)).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
  })

  it('restricts to onlyHosts', () => {
    const options = { onlyHosts: ['example.com', '*.example.org', '8.8.8.0/24'] }
    expect(codeOf('https://example.com/', options)).toBe('ok')
    expect(codeOf('https://www.example.org/', options)).toBe('ok')
    expect(codeOf('https://example.org/', options)).toBe(UrlCode.HOST_NOT_ALLOWED)
    expect(codeOf('https://8.8.8.8/', options)).toBe('ok')
    expect(codeOf('https://1.1.1.1/', options)).toBe(UrlCode.HOST_NOT_ALLOWED)
  })

  it('denies denyHosts names, wildcards and ranges, ahead of everything else', () => {
    const options = { denyHosts: ['evil.com', '*.tracker.net', '8.8.0.0/16'], allowHosts: ['evil.com'] }
    expect(codeOf('https://EVIL.com./', options)).toBe(UrlCode.HOST_DENIED)
    expect(codeOf('https://a.tracker.net/', options)).toBe(UrlCode.HOST_DENIED)
    expect(codeOf('https://8.8.8.8/', options)).toBe(UrlCode.HOST_DENIED)
    expect(codeOf('https://[::ffff:8.8.4.4]/', options)).toBe(UrlCode.HOST_DENIED)
    expect(codeOf('https://tracker.net/', options)).toBe('ok')
  })

  it('lets allowAddresses reach exactly the listed addresses', () => {
    const options = { allowAddresses: ['127.0.0.1'], ports: 'any' as const }
    expect(codeOf('http://127.0.0.1:3000/', options)).toBe('ok')
    expect(codeOf('http://127.0.0.2:3000/', options)).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(codeOf('http://[::1]:3000/', options)).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
  })

  it('rejects malformed host patterns as a programming error', () => {
    expect(() => checkUrl('https://example.com/', { denyHosts: ['http://x/'] })).toThrow(TypeError)
    expect(() => checkUrl('https://example.com/', { allowAddresses: ['10.0.0.0/40'] })).toThrow(TypeError)
  })

  it('never changes the defaults when another call passes options', () => {
    checkUrl('http://127.0.0.1/', { allowAddresses: ['127.0.0.0/8'] })
    expect(codeOf('http://127.0.0.1/')).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
  })
})
