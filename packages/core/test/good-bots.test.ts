import { createSocket, type Socket } from 'node:dgram'
import { promises as dns } from 'node:dns'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import * as packet from 'dns-packet'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { GoodBotsRule } from '../src/good-bots.js'
import type { SuspiciousEvent } from '../src/index.js'
import {
  fetchBotRanges,
  GOOD_BOT_RANGE_SOURCES,
  GOOD_BOT_RANGES,
  GOOD_BOT_SIGNATURES,
  type GoodBotsOptions,
} from '../src/index.js'
import { harness } from './helpers.js'

const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
const BINGBOT_UA = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)'
const DDG_UA = 'DuckDuckBot/1.1; (+http://duckduckgo.com/duckduckbot.html)'

/**
 * A tiny DNS server on loopback: PTR, A and AAAA answers from `zone`, NXDOMAIN for anything else, no answer at all
 * for names in `hang`. Counts the questions it was asked.
 */
async function dnsServer(zone: Record<string, { PTR?: string[]; A?: string[]; AAAA?: string[] }>) {
  const asked: string[] = []
  const hang = new Set<string>()
  const socket: Socket = createSocket('udp4')
  socket.on('message', (msg, rinfo) => {
    const q = packet.decode(msg)
    const question = q.questions?.[0]
    if (question === undefined) return
    asked.push(`${question.type} ${question.name}`)
    if (hang.has(question.name)) return
    const data = zone[question.name]?.[question.type as 'PTR' | 'A' | 'AAAA']
    const answers = (data ?? []).map((d) => ({ type: question.type, name: question.name, ttl: 60, data: d }))
    const reply = packet.encode({
      id: q.id,
      type: 'response',
      flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | (data === undefined ? 3 : 0),
      questions: [question],
      answers: answers as packet.Answer[],
    })
    socket.send(reply, rinfo.port, rinfo.address)
  })
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r))
  const resolver = new dns.Resolver({ timeout: 5000, tries: 1 })
  resolver.setServers([`127.0.0.1:${(socket.address() as AddressInfo).port}`])
  return { resolver, asked, hang, close: () => new Promise<void>((r) => socket.close(() => r())) }
}

const ZONE = {
  '1.66.249.66.in-addr.arpa': { PTR: ['crawl-66-249-66-1.googlebot.com'] },
  'crawl-66-249-66-1.googlebot.com': { A: ['66.249.66.1'] },
  // Someone else's address with a PTR record it wrote itself: the forward lookup does not come back.
  '9.113.0.203.in-addr.arpa': { PTR: ['crawl-203-0-113-9.googlebot.com'] },
  'crawl-203-0-113-9.googlebot.com': { A: ['66.249.66.200'] },
  '7.113.0.203.in-addr.arpa': { PTR: ['mail.example.net'] },
  '4.3.2.1.in-addr.arpa': { PTR: ['msnbot-1-2-3-4.search.msn.com'] },
  'msnbot-1-2-3-4.search.msn.com': { A: ['1.2.3.4'] },
  // 2001:4860:4801:10::1 (a Googlebot IPv6 address), nibble by nibble.
  '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.1.0.8.4.0.6.8.4.1.0.0.2.ip6.arpa': {
    PTR: ['crawl-2001-4860-4801-10--1.googlebot.com'],
  },
  'crawl-2001-4860-4801-10--1.googlebot.com': { AAAA: ['2001:4860:4801:10::1'] },
}

let server: Awaited<ReturnType<typeof dnsServer>>

beforeEach(async () => {
  server = await dnsServer(ZONE)
})

afterEach(async () => {
  vi.useRealTimers()
  await server.close()
})

function botHarness(goodBots: GoodBotsOptions = {}, extra = {}) {
  const h = harness({ goodBots: { resolver: server.resolver, ...goodBots }, ...extra })
  const rule = h.engine.options.rules[0] as GoodBotsRule
  expect(rule).toBeInstanceOf(GoodBotsRule)
  const suspicious: SuspiciousEvent[] = []
  h.engine.on('suspicious', (e) => suspicious.push(e))
  const bot = (ip: string, ua = GOOGLEBOT_UA, path = '/api/items') =>
    h.req({ ip, path, headers: { 'user-agent': ua } })
  return { ...h, rule, suspicious, bot }
}

describe('goodBots: verified crawlers', () => {
  it('verifies Googlebot by reverse then forward DNS, off the request path, once per address', async () => {
    const h = botHarness()
    // The first request is decided as an ordinary client while the lookup runs.
    expect(await h.bot('66.249.66.1')).toMatchObject({ conclusion: 'allow', rule: null })
    await h.rule.settled()
    expect(server.asked).toEqual(['PTR 1.66.249.66.in-addr.arpa', 'A crawl-66-249-66-1.googlebot.com'])
    const d = await h.bot('66.249.66.1')
    expect(d).toMatchObject({
      conclusion: 'allow',
      rule: 'good-bots',
      reason: 'Verified googlebot (rdns crawl-66-249-66-1.googlebot.com)',
      evidence: { matched: 'rdns crawl-66-249-66-1.googlebot.com', bot: 'googlebot' },
      // The first request, decided before the verdict was known, was not the bot's: 99 left.
      rateLimit: { limit: 100, remaining: 99, windowS: 10, policy: 'good-bots' },
    })
    for (let i = 0; i < 5; i++) await h.bot('66.249.66.1')
    await h.rule.settled()
    // Cached: no more DNS questions.
    expect(server.asked).toHaveLength(2)
  })

  it('a verified bot skips burst, scraping, probes and 404 enumeration, and is held to its own limit (429, no ban)', async () => {
    const h = botHarness({}, { burst: { limit: 5, windowMs: 1000 } })
    await h.bot('66.249.66.1')
    await h.rule.settled()
    // 100 more within the burst window: far over burst (5/s), within the bot's own 100 per 10 s.
    for (let i = 0; i < 99; i++)
      expect((await h.bot('66.249.66.1', GOOGLEBOT_UA, `/item/${i}`)).conclusion).toBe('allow')
    expect(await h.bot('66.249.66.1', GOOGLEBOT_UA, '/.env')).toMatchObject({
      conclusion: 'allow',
      rule: 'good-bots',
    })
    const over = await h.bot('66.249.66.1')
    expect(over).toMatchObject({
      conclusion: 'limit',
      status: 429,
      rule: 'good-bots',
      reason: 'Verified googlebot: over its limit of 100 requests per 10s',
      retryAfterS: 10,
    })
    expect(await h.engine.listBans()).toEqual([])
    expect(h.suspicious).toEqual([])
    // A sliding window: two windows later the count has gone.
    h.clock.advance(20_000)
    expect(await h.bot('66.249.66.1')).toMatchObject({ conclusion: 'allow', rule: 'good-bots' })
    // Another client with the same path pattern is not exempt: burst bans it.
    for (let i = 0; i < 5; i++) await h.req({ ip: '198.51.100.1' })
    expect(await h.req({ ip: '198.51.100.1' })).toMatchObject({ conclusion: 'block', rule: 'burst' })
  })

  it('verifies an IPv6 Googlebot (ip6.arpa, AAAA) and Bingbot by its own domain', async () => {
    const h = botHarness()
    await h.bot('2001:4860:4801:10::1')
    await h.bot('1.2.3.4', BINGBOT_UA)
    await h.rule.settled()
    expect(await h.bot('2001:4860:4801:10::1')).toMatchObject({
      rule: 'good-bots',
      reason: 'Verified googlebot (rdns crawl-2001-4860-4801-10--1.googlebot.com)',
    })
    expect(await h.bot('1.2.3.4', BINGBOT_UA)).toMatchObject({
      reason: 'Verified bingbot (rdns msnbot-1-2-3-4.search.msn.com)',
    })
    // A Googlebot claim from Bing's address is not verified by Bing's name.
    await h.bot('1.2.3.4', GOOGLEBOT_UA)
    await h.rule.settled()
    expect(await h.bot('1.2.3.4', GOOGLEBOT_UA)).toMatchObject({ conclusion: 'allow', rule: null })
    expect(h.suspicious.map((e) => e.detail)).toEqual([
      'claims googlebot: 1.2.3.4 resolves to msnbot-1-2-3-4.search.msn.com, not googlebot.com or google.com or googleusercontent.com',
    ])
  })
})

describe('goodBots: fake crawlers', () => {
  it('a claim that fails verification is a suspicious event and gets no exemption', async () => {
    const h = botHarness({}, { burst: { limit: 5, windowMs: 1000 } })
    for (const ip of ['203.0.113.7', '203.0.113.9', '203.0.113.8']) await h.bot(ip)
    await h.rule.settled()
    await h.bot('203.0.113.7')
    await h.bot('203.0.113.9')
    await h.bot('203.0.113.8')
    expect(h.suspicious.map((e) => [e.ip, e.kind, e.detail])).toEqual([
      [
        '203.0.113.7',
        'fake-bot',
        'claims googlebot: 203.0.113.7 resolves to mail.example.net, not googlebot.com or google.com or googleusercontent.com',
      ],
      [
        '203.0.113.9',
        'fake-bot',
        'claims googlebot: crawl-203-0-113-9.googlebot.com does not resolve back to 203.0.113.9',
      ],
      ['203.0.113.8', 'fake-bot', 'claims googlebot: 203.0.113.8 has no reverse DNS name'],
    ])
    // Burst still applies to it.
    for (let i = 0; i < 3; i++) await h.bot('203.0.113.7')
    expect(await h.bot('203.0.113.7')).toMatchObject({ conclusion: 'block', rule: 'burst' })
  })

  it('five fake claims from one address within a day are a ban (the suspicion rule)', async () => {
    const h = botHarness()
    await h.bot('203.0.113.7')
    await h.rule.settled()
    const decisions = []
    for (let i = 0; i < 5; i++) decisions.push(await h.bot('203.0.113.7'))
    expect(decisions.at(-1)).toMatchObject({ conclusion: 'block', rule: 'suspicion', newBan: true })
  })

  it('a DNS server that does not answer leaves the client unverified (ordinary), asked again later', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    server.hang.add('1.66.249.66.in-addr.arpa')
    const h = botHarness({ timeoutMs: 300, ttlMs: { unanswered: 60_000 } })
    await h.bot('66.249.66.1')
    await vi.advanceTimersByTimeAsync(300)
    await h.rule.settled()
    expect(await h.bot('66.249.66.1')).toMatchObject({ conclusion: 'allow', rule: null })
    expect(h.suspicious).toEqual([])
    server.hang.clear()
    h.clock.advance(60_000)
    await h.bot('66.249.66.1')
    await h.rule.settled()
    expect(await h.bot('66.249.66.1')).toMatchObject({ rule: 'good-bots' })
  })
})

describe('goodBots: published ranges', () => {
  it("an address in the operator's ranges is verified at once, without DNS; DuckDuckBot only so", async () => {
    const h = botHarness({ ranges: { duckduckbot: ['20.191.45.212'], googlebot: ['66.249.64.0/19'] } })
    expect(await h.bot('20.191.45.212', DDG_UA)).toMatchObject({
      rule: 'good-bots',
      reason: 'Verified duckduckbot (range 20.191.45.212)',
    })
    expect(await h.bot('66.249.70.3')).toMatchObject({ reason: 'Verified googlebot (range 66.249.64.0/19)' })
    expect(server.asked).toEqual([])
    await h.bot('203.0.113.50', DDG_UA)
    expect(h.suspicious.map((e) => e.detail)).toEqual([
      "claims duckduckbot: 203.0.113.50 is not in DuckDuckBot's published ranges",
    ])
    // Without its ranges, a DuckDuckBot claim cannot be checked: an ordinary client, never a fake one.
    const plain = botHarness()
    expect(await plain.bot('20.191.45.212', DDG_UA)).toMatchObject({ conclusion: 'allow', rule: null })
    expect(plain.suspicious).toEqual([])
    expect(server.asked).toEqual([])
  })

  it('checks its options and ships each bot with the page that documents its verification', () => {
    expect(() => harness({ goodBots: { ranges: { nobot: [] } } })).toThrow(/ranges.nobot: no bot has that id/)
    expect(() => harness({ goodBots: { ranges: { googlebot: ['x'] } } })).toThrow(/not an address or CIDR/)
    expect(() => harness({ goodBots: { timeoutMs: 0 } })).toThrow(/timeoutMs/)
    expect(GOOD_BOT_SIGNATURES.map((b) => b.id)).toEqual([
      'googlebot',
      'bingbot',
      'applebot',
      'duckduckbot',
      'yandexbot',
      'baiduspider',
    ])
    for (const b of GOOD_BOT_SIGNATURES) expect(b.source).toMatch(/^https:\/\//)
    // Off unless asked: no rule, no DNS.
    expect(harness().engine.options.rules.some((r) => r.id === 'good-bots')).toBe(false)
  })
})

describe('GOOD_BOT_RANGES: the published ranges shipped as data', () => {
  const APPLEBOT_UA =
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)'

  it('verifies Googlebot, Bingbot and Applebot offline with resolver: false; a claim from outside is fake', async () => {
    const h = botHarness({ ranges: GOOD_BOT_RANGES, resolver: false })
    expect(await h.bot('66.249.66.1')).toMatchObject({
      conclusion: 'allow',
      rule: 'good-bots',
      reason: 'Verified googlebot (range 66.249.66.0/27)',
    })
    expect(await h.bot('2001:4860:4801:10::1')).toMatchObject({
      reason: 'Verified googlebot (range 2001:4860:4801:10::/64)',
    })
    expect(await h.bot('157.55.39.1', BINGBOT_UA)).toMatchObject({
      reason: 'Verified bingbot (range 157.55.39.0/24)',
    })
    expect(await h.bot('17.241.208.170', APPLEBOT_UA)).toMatchObject({
      reason: 'Verified applebot (range 17.241.208.160/27)',
    })
    // Outside the ranges, with DNS off: fake at once (no pending first request), a suspicious event each time.
    expect(await h.bot('203.0.113.7')).toMatchObject({ conclusion: 'allow' })
    await h.rule.settled()
    expect(h.suspicious.map((e) => [e.ip, e.kind, e.detail])).toEqual([
      ['203.0.113.7', 'fake-bot', "claims googlebot: 203.0.113.7 is not in Googlebot's published ranges"],
    ])
    // A bot whose ranges are not given cannot be told apart without DNS: an ordinary client, never a fake one.
    expect(await h.bot('203.0.113.8', 'Mozilla/5.0 (compatible; YandexBot/3.0)')).toMatchObject({
      conclusion: 'allow',
      rule: null,
    })
    expect(h.suspicious).toHaveLength(1)
    expect(server.asked).toEqual([])
    expect(() => harness({ goodBots: { resolver: 'dns' as never } })).toThrow(/resolver must be/)
  })

  it('names where each list comes from, and every entry is a CIDR of a bot that publishes its ranges', () => {
    expect(Object.keys(GOOD_BOT_RANGES).sort()).toEqual(['applebot', 'bingbot', 'googlebot'])
    for (const [bot, list] of Object.entries(GOOD_BOT_RANGES)) {
      const signature = GOOD_BOT_SIGNATURES.find((b) => b.id === bot)
      const source = GOOD_BOT_RANGE_SOURCES[bot]
      expect(source?.url).toBe(signature?.rangesUrl)
      expect(source?.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/)
      expect(source?.retrieved).toMatch(/^\d{4}-\d\d-\d\d$/)
      expect(list.length).toBeGreaterThan(10)
      expect(new Set(list).size).toBe(list.length)
      for (const cidr of list) expect(cidr).toMatch(/^[0-9a-f.:]+\/\d{1,3}$/)
    }
    // Loaded as given: the rule takes every entry.
    expect(() => harness({ goodBots: { ranges: GOOD_BOT_RANGES, resolver: false } })).not.toThrow()
  })
})

describe('fetchBotRanges()', () => {
  it("reads the operators' published JSON ranges into goodBots({ ranges }), and names the files that failed", async () => {
    const tls = join(import.meta.dirname, 'fixtures', 'tls')
    const cert = readFileSync(join(tls, 'localhost.crt'))
    const key = readFileSync(join(tls, 'localhost.key'))
    const files: Record<string, [number, string]> = {
      '/googlebot.json': [
        200,
        JSON.stringify({
          creationTime: '2026-12-01T00:00:00',
          prefixes: [
            { ipv4Prefix: '66.249.64.0/27' },
            { ipv6Prefix: '2001:4860:4801:10::/64' },
            { ipv4Prefix: 'junk' },
          ],
        }),
      ],
      '/bingbot.json': [500, 'down'],
    }
    const https = createServer({ cert, key }, (req, res) => {
      const [status, body] = files[req.url ?? ''] ?? [404, '']
      res.writeHead(status, { 'content-type': 'application/json' }).end(body)
    })
    await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
    const base = `https://127.0.0.1:${(https.address() as AddressInfo).port}`
    const bots = GOOD_BOT_SIGNATURES.map((b) =>
      b.id === 'googlebot' || b.id === 'bingbot'
        ? { ...b, rangesUrl: `${base}/${b.id}.json` }
        : { ...b, rangesUrl: undefined },
    )
    try {
      const { ranges, failed } = await fetchBotRanges({ bots, ca: cert })
      expect(ranges).toEqual({ googlebot: ['66.249.64.0/27', '2001:4860:4801:10::/64'] })
      expect(failed).toEqual({ bingbot: 'HTTP 500' })
      const h = botHarness({ ranges })
      expect(await h.bot('66.249.64.5')).toMatchObject({
        reason: 'Verified googlebot (range 66.249.64.0/27)',
      })
      expect(server.asked).toEqual([])
    } finally {
      await new Promise<void>((r) => https.close(() => r()))
    }
  })
})
