import type { LookupAddress } from 'node:dns'
import { describe, expect, it } from 'vitest'
import { createConnectGuard } from '../src/connect-guard.ts'
import { UrlCode } from '../src/index.ts'

const answers =
  (...addresses: string[]) =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))

function lookup(
  guard: ReturnType<typeof createConnectGuard>,
  hostname: string,
  options: Parameters<ReturnType<typeof createConnectGuard>['lookup']>[1],
): Promise<{ error: { code?: string } | null; address: string | LookupAddress[]; family?: number }> {
  return new Promise((resolve) => {
    guard.lookup(hostname, options, (error, address, family) => resolve({ error, address, family }))
  })
}

describe('connect guard', () => {
  it('answers net.connect in both callback shapes, filtered by family', async () => {
    const guard = createConnectGuard({ lookup: answers('93.184.215.14', '2606:2800::1') })
    expect(await lookup(guard, 'example.com', {})).toEqual({
      error: null,
      address: '93.184.215.14',
      family: 4,
    })
    expect(await lookup(guard, 'example.com', { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800::1', family: 6 },
      ],
      family: undefined,
    })
    expect(await lookup(guard, 'example.com', { family: 6 })).toEqual({
      error: null,
      address: '2606:2800::1',
      family: 6,
    })
    expect(await lookup(guard, 'example.com', { family: 'IPv4', all: true })).toMatchObject({
      address: [{ address: '93.184.215.14', family: 4 }],
    })
  })

  it('fails when the requested family has no answer, when any answer is private, and when DNS fails', async () => {
    const v4only = createConnectGuard({ lookup: answers('93.184.215.14') })
    expect((await lookup(v4only, 'example.com', { family: 6 })).error?.code).toBe(UrlCode.DNS_FAILED)
    const mixed = createConnectGuard({ lookup: answers('93.184.215.14', 'fd00::1') })
    expect((await lookup(mixed, 'example.com', { family: 4 })).error?.code).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    const failing = createConnectGuard({
      lookup: () => {
        throw new Error('resolver exploded synchronously')
      },
    })
    expect((await lookup(failing, 'example.com', {})).error?.code).toBe(UrlCode.DNS_FAILED)
  })

  it('checks targets with the URL rules, brackets or not', () => {
    const guard = createConnectGuard()
    expect(guard.target('https:', 'example.com', '')).toBeUndefined()
    expect(guard.target('https:', '::1', 443)?.code).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(guard.target('https:', '[::1]', '443')?.code).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(guard.target('http:', 'example.com', 25)?.code).toBe(UrlCode.PORT_NOT_ALLOWED)
    expect(guard.target('http:', 'example.com', 80, '/var/run/docker.sock')?.code).toBe(
      UrlCode.HOST_NOT_ALLOWED,
    )
    expect(guard.target('http:', '0x7f.1', 80)?.code).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
  })
})
