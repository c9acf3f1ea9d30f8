/**
 * Connect-time checks against real servers on loopback. 127.0.0.1 plays the public host (exempted
 * with `allowAddresses`, the documented allow-list); 127.0.0.2 and ::1 play private hosts. Host
 * names are answered by a stubbed resolver, so no test touches real DNS or leaves the machine.
 */
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { fetch as undiciFetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertPublicUrl,
  type LookupAddress,
  safeAgent,
  safeDispatcher,
  safeHttpsAgent,
  UrlCode,
} from '../src/index.ts'

interface TestServer {
  readonly port: number
  readonly hits: string[]
  close(): Promise<void>
}

function serve(
  host: string,
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<TestServer> {
  const hits: string[] = []
  const server = http.createServer((req, res) => {
    hits.push(req.url ?? '')
    handler(req, res)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        hits,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    )
  })
}

let publicServer: TestServer
let privateServer: TestServer

beforeAll(async () => {
  privateServer = await serve('127.0.0.2', (_req, res) => res.end('internal secret'))
  publicServer = await serve('127.0.0.1', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const to = url.searchParams.get('to')
    if (to) {
      res.writeHead(302, { location: to })
      res.end()
    } else {
      res.end('public page')
    }
  })
})

afterAll(async () => {
  await publicServer.close()
  await privateServer.close()
})

/** Stub DNS: fixed answers per name; anything else fails like NXDOMAIN. */
function stubLookup(table: Record<string, string[] | (() => string[])>) {
  const calls: string[] = []
  const lookup = async (hostname: string): Promise<LookupAddress[]> => {
    calls.push(hostname)
    const entry = table[hostname]
    if (!entry) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' })
    const list = typeof entry === 'function' ? entry() : entry
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return { lookup, calls }
}

const testPolicy = { ports: 'any' as const, allowAddresses: ['127.0.0.1'] }

async function causeCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
    return 'no error'
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause
    return cause?.code ?? (error as { code?: string }).code ?? String(error)
  }
}

describe('safeDispatcher', () => {
  it('fetches from an allowed host, through undici and through the global fetch', async () => {
    const dispatcher = safeDispatcher(testPolicy)
    const url = `http://127.0.0.1:${publicServer.port}/`
    expect(await (await undiciFetch(url, { dispatcher })).text()).toBe('public page')
    expect(await (await fetch(url, { dispatcher } as unknown as RequestInit)).text()).toBe('public page')
    await dispatcher.close()
  })

  it('blocks a private IP literal before connecting', async () => {
    const dispatcher = safeDispatcher(testPolicy)
    const before = privateServer.hits.length
    const code = await causeCode(undiciFetch(`http://127.0.0.2:${privateServer.port}/`, { dispatcher }))
    expect(code).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(privateServer.hits.length).toBe(before)
    expect(await causeCode(undiciFetch(`http://[::1]:${privateServer.port}/`, { dispatcher }))).toBe(
      UrlCode.ADDRESS_NOT_PUBLIC,
    )
    await dispatcher.close()
  })

  it.each([
    ['a private IP', (port: number) => `http://127.0.0.2:${port}/`, UrlCode.ADDRESS_NOT_PUBLIC],
    [
      'an IPv4-mapped private IP',
      (port: number) => `http://[::ffff:127.0.0.2]:${port}/`,
      UrlCode.ADDRESS_NOT_PUBLIC,
    ],
    ['a decimal private IP', (port: number) => `http://2130706434:${port}/`, UrlCode.ADDRESS_NOT_PUBLIC],
    ['localhost', (port: number) => `http://localhost:${port}/`, UrlCode.HOST_LOCAL],
    [
      'a name resolving to a private IP',
      (port: number) => `http://internal.example.com:${port}/`,
      UrlCode.ADDRESS_NOT_PUBLIC,
    ],
  ])('blocks a redirect hop to %s (global fetch and undici fetch)', async (_label, target, code) => {
    const { lookup } = stubLookup({ 'internal.example.com': ['127.0.0.2'] })
    const dispatcher = safeDispatcher({ ...testPolicy, lookup })
    const before = privateServer.hits.length
    const url = `http://127.0.0.1:${publicServer.port}/?to=${encodeURIComponent(target(privateServer.port))}`
    expect(await causeCode(undiciFetch(url, { dispatcher }))).toBe(code)
    expect(await causeCode(fetch(url, { dispatcher } as unknown as RequestInit))).toBe(code)
    expect(privateServer.hits.length).toBe(before)
    await dispatcher.close()
  })

  it('follows a redirect to another allowed host', async () => {
    const { lookup } = stubLookup({ 'www.example.com': ['127.0.0.1'] })
    const dispatcher = safeDispatcher({ ...testPolicy, lookup })
    const target = `http://www.example.com:${publicServer.port}/final`
    const response = await undiciFetch(
      `http://127.0.0.1:${publicServer.port}/?to=${encodeURIComponent(target)}`,
      {
        dispatcher,
      },
    )
    expect(response.url).toBe(target)
    expect(await response.text()).toBe('public page')
    await dispatcher.close()
  })

  it('defeats DNS rebinding: the address checked at connect time is the one used', async () => {
    let answer = 0
    const { lookup, calls } = stubLookup({
      'rebind.example.com': () => (answer++ === 0 ? ['127.0.0.1'] : ['127.0.0.2']),
    })
    // The point-in-time check sees the first, harmless answer…
    await expect(
      assertPublicUrl(`http://rebind.example.com:${privateServer.port}/`, { ...testPolicy, lookup }),
    ).resolves.toMatchObject({ href: `http://rebind.example.com:${privateServer.port}/` })
    // …but the connection resolves again and is refused, so the private server is never reached.
    const dispatcher = safeDispatcher({ ...testPolicy, lookup })
    const before = privateServer.hits.length
    expect(
      await causeCode(undiciFetch(`http://rebind.example.com:${privateServer.port}/`, { dispatcher })),
    ).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(privateServer.hits.length).toBe(before)
    expect(calls).toEqual(['rebind.example.com', 'rebind.example.com'])
    await dispatcher.close()
  })

  it('blocks when any answer is private, and when DNS fails', async () => {
    const { lookup } = stubLookup({ 'mixed.example.com': ['127.0.0.1', '127.0.0.2'] })
    const dispatcher = safeDispatcher({ ...testPolicy, lookup })
    expect(
      await causeCode(undiciFetch(`http://mixed.example.com:${publicServer.port}/`, { dispatcher })),
    ).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(
      await causeCode(undiciFetch(`http://nxdomain.example.com:${publicServer.port}/`, { dispatcher })),
    ).toBe(UrlCode.DNS_FAILED)
    await dispatcher.close()
  })

  it('keeps the safe defaults: loopback and odd ports are refused without the test allow-list', async () => {
    const dispatcher = safeDispatcher()
    const before = publicServer.hits.length
    expect(await causeCode(undiciFetch(`http://127.0.0.1:${publicServer.port}/`, { dispatcher }))).toBe(
      UrlCode.PORT_NOT_ALLOWED,
    )
    const anyPort = safeDispatcher({ ports: 'any' })
    expect(
      await causeCode(undiciFetch(`http://127.0.0.1:${publicServer.port}/`, { dispatcher: anyPort })),
    ).toBe(UrlCode.ADDRESS_NOT_PUBLIC)
    expect(publicServer.hits.length).toBe(before)
    await dispatcher.close()
    await anyPort.close()
  })
})

function get(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = ''
        res.on('data', (chunk) => {
          body += chunk
        })
        res.on('end', () => resolve(body))
      })
      .on('error', reject)
  })
}

describe('safeAgent / safeHttpsAgent', () => {
  it('connects to an allowed host through a stubbed name', async () => {
    const { lookup } = stubLookup({ 'www.example.com': ['127.0.0.1'] })
    const agent = safeAgent({ ...testPolicy, lookup })
    expect(await get(`http://www.example.com:${publicServer.port}/`, agent)).toBe('public page')
    agent.destroy()
  })

  it.each([
    ['a private IP literal', (port: number) => `http://127.0.0.2:${port}/`, UrlCode.ADDRESS_NOT_PUBLIC],
    ['IPv6 loopback', (port: number) => `http://[::1]:${port}/`, UrlCode.ADDRESS_NOT_PUBLIC],
    ['localhost', (port: number) => `http://localhost:${port}/`, UrlCode.HOST_LOCAL],
    [
      'a name resolving privately',
      (port: number) => `http://internal.example.com:${port}/`,
      UrlCode.ADDRESS_NOT_PUBLIC,
    ],
    ['an unknown name', (port: number) => `http://nxdomain.example.com:${port}/`, UrlCode.DNS_FAILED],
  ])('refuses %s', async (_label, target, code) => {
    const { lookup } = stubLookup({ 'internal.example.com': ['127.0.0.2'] })
    const agent = safeAgent({ ...testPolicy, lookup })
    const before = privateServer.hits.length
    expect(await causeCode(get(target(privateServer.port), agent))).toBe(code)
    expect(privateServer.hits.length).toBe(before)
    agent.destroy()
  })

  it('refuses a Unix socket path', async () => {
    const agent = safeAgent(testPolicy)
    const error = await new Promise<unknown>((resolve) => {
      http.get({ socketPath: '/var/run/docker.sock', path: '/containers/json', agent }).on('error', resolve)
    })
    expect(error).toMatchObject({ code: UrlCode.HOST_NOT_ALLOWED })
    agent.destroy()
  })

  it('the https agent refuses private targets before any TLS handshake', async () => {
    const agent = safeHttpsAgent(testPolicy)
    const error = await new Promise<unknown>((resolve) => {
      https.get(`https://127.0.0.2:${privateServer.port}/`, { agent }).on('error', resolve)
    })
    expect(error).toMatchObject({ code: UrlCode.ADDRESS_NOT_PUBLIC })
    agent.destroy()
  })
})
