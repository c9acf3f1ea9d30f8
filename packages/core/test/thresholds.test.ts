import { afterEach, describe, expect, it } from 'vitest'
import type { BanEvent, Decision } from '../src/index.js'
import { type Harness, harness } from './helpers.js'

let h: Harness
afterEach(() => h?.engine.close())

async function times(n: number, fn: (i: number) => Promise<Decision>): Promise<Decision[]> {
  const out: Decision[] = []
  for (let i = 0; i < n; i++) out.push(await fn(i))
  return out
}

describe('burst: more than 50 requests from one IP within 1 s', () => {
  it('allows 50 and bans the 51st for 1 h, logging the seed line once', async () => {
    h = harness()
    const bans: BanEvent[] = []
    h.engine.on('ban', (e) => bans.push(e))
    const first = await times(50, () => h.req())
    expect(first.every((d) => d.conclusion === 'allow' && d.enforced)).toBe(true)
    const d = await h.req()
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'burst',
      reason: 'Burst: 51 req/s (limit 50)',
      status: 403,
      retryAfterS: 3600,
      enforced: true,
      newBan: true,
      store: 'primary',
      subject: { ip: '198.51.100.42', ipKey: 'ip:198.51.100.42' },
      evidence: { count: 51, limit: 50, offense: 1, banned: 'ip:198.51.100.42' },
    })
    expect(h.logs).toEqual([
      'Security Block activated | IP: 198.51.100.42 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
    ])
    expect(bans).toHaveLength(1)
    expect(bans[0]).toMatchObject({
      subject: 'ip:198.51.100.42',
      target: '198.51.100.42',
      rule: 'burst',
      ttlS: 3600,
    })
    // Later requests are answered from the local ban cache: no store work, no second ban.
    const again = await h.req()
    expect(again).toMatchObject({ conclusion: 'block', rule: 'burst', newBan: false, store: 'none' })
    expect(bans).toHaveLength(1)
  })

  it('never bans a client steady at 50 req/s', async () => {
    h = harness()
    for (let i = 0; i < 500; i++) {
      h.clock.set(1_800_000_000_000 + i * 20)
      expect((await h.req()).conclusion).toBe('allow')
    }
  })

  it('the ban expires after its TTL', async () => {
    h = harness()
    await times(51, () => h.req())
    h.clock.advance(3_600_000 - 1)
    expect((await h.req()).conclusion).toBe('block')
    h.clock.advance(1)
    expect((await h.req()).conclusion).toBe('allow')
  })

  it('escalates repeat offenders: 1 h, then 2 h', async () => {
    h = harness()
    await times(51, () => h.req())
    h.clock.advance(3_600_000)
    const second = (await times(51, () => h.req()))[50]
    expect(second).toMatchObject({ rule: 'burst', retryAfterS: 7200, evidence: { offense: 2 } })
  })

  it('escalation can be turned off', async () => {
    h = harness({ ban: { ttlMs: 60_000, escalation: false } })
    await times(51, () => h.req())
    h.clock.advance(60_000)
    const second = (await times(51, () => h.req()))[50]
    expect(second).toMatchObject({ rule: 'burst', retryAfterS: 60, evidence: { offense: 2 } })
  })
})

describe('auth failures: more than 10 in 60 s', () => {
  it('tolerates 10 and bans on the 11th, per IP', async () => {
    h = harness()
    for (let i = 0; i < 10; i++) {
      expect((await h.engine.reportAuthFailure({ ip: '203.0.113.5' })).conclusion).toBe('allow')
    }
    const d = await h.engine.reportAuthFailure({ ip: '203.0.113.5' })
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'auth-failures',
      reason: 'Auth failures: 11 in 60s (limit 10)',
    })
    expect((await h.req({ ip: '203.0.113.5' })).conclusion).toBe('block')
  })

  it('counts per API key across IPs; only a keyed hash is stored or reported', async () => {
    h = harness()
    for (let i = 0; i < 10; i++)
      await h.engine.reportAuthFailure({ ip: `203.0.113.${i}`, apiKey: 'sk_live_secret' })
    const d = await h.engine.reportAuthFailure({ ip: '203.0.113.77', apiKey: 'sk_live_secret' })
    expect(d).toMatchObject({ conclusion: 'block', rule: 'auth-failures' })
    expect(d.evidence.banned).toMatch(/^key:[A-Za-z0-9_-]{22}$/)
    expect(JSON.stringify(d)).not.toContain('sk_live_secret')
    expect(JSON.stringify(await h.engine.listBans())).not.toContain('sk_live_secret')
    expect(h.logs.join('\n')).not.toContain('sk_live_secret')
    // The key is refused from a fresh IP; that IP without the key is fine.
    expect((await h.req({ ip: '192.0.2.1', apiKey: 'sk_live_secret' })).conclusion).toBe('block')
    expect((await h.req({ ip: '192.0.2.1' })).conclusion).toBe('allow')
  })

  it('failures older than 60 s are forgotten', async () => {
    h = harness()
    for (let i = 0; i < 10; i++) await h.engine.reportAuthFailure({ ip: '203.0.113.5' })
    h.clock.advance(60_000)
    expect((await h.engine.reportAuthFailure({ ip: '203.0.113.5' })).conclusion).toBe('allow')
  })
})

describe('scraping: more than 500 distinct items in 5 min', () => {
  it('bans on the 501st distinct item; repeats do not count', async () => {
    h = harness({ burst: false })
    for (let i = 0; i < 500; i++) expect((await h.req({ item: `hash-${i}` })).conclusion).toBe('allow')
    for (let i = 0; i < 100; i++) expect((await h.req({ item: `hash-${i}` })).conclusion).toBe('allow')
    const d = await h.req({ item: 'hash-500' })
    expect(d).toMatchObject({ rule: 'scraping', reason: 'Scraping: 501 distinct items in 5 min (limit 500)' })
  })

  it('counts per API key across IPs', async () => {
    h = harness({ burst: false })
    for (let i = 0; i < 500; i++) await h.req({ ip: `192.0.2.${i % 200}`, apiKey: 'k1', item: `x${i}` })
    const d = await h.req({ ip: '192.0.2.250', apiKey: 'k1', item: 'x500' })
    expect(d).toMatchObject({ conclusion: 'block', rule: 'scraping' })
    expect(d.evidence.banned).toMatch(/^key:/)
  })

  it('a slow scraper under the rate is never banned', async () => {
    h = harness({ burst: false })
    for (let i = 0; i < 2000; i++) {
      h.clock.advance(1000) // 300 distinct items per 5 min
      expect((await h.req({ item: `slow-${i}` })).conclusion).toBe('allow')
    }
  })
})

describe('probe paths and suspicion: 5 suspicious events in 24 h', () => {
  it('4 probes are reported, the 5th bans', async () => {
    h = harness()
    const paths = ['/.env', '/.git/config', '/wp-admin/', '/phpmyadmin/index.php']
    for (const [i, path] of paths.entries()) {
      const d = await h.req({ path })
      expect(d).toMatchObject({ conclusion: 'allow', rule: 'probe', evidence: { suspicion: i + 1 } })
    }
    const d = await h.req({ path: '/backup.sql' })
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'suspicion',
      reason: 'Suspicious activity: 5 events in 24h (ban at 5)',
      newBan: true,
    })
  })

  it('matches segments, not substrings', async () => {
    h = harness()
    for (const path of [
      '/api/config',
      '/admin-guide',
      '/environment',
      '/docs/git-tutorial',
      '/api/wp-admin-docs',
    ]) {
      expect((await h.req({ path })).rule, path).toBeNull()
    }
    const probes = ['/.ENV', '/a/%2e%2e/etc/passwd', '/static/.git/HEAD', '/.env.production', '/db.sql?x=1']
    for (const [i, path] of probes.entries()) {
      expect((await h.req({ ip: `192.0.2.${i}`, path })).rule, path).toBe('probe')
    }
  })
})

describe('scanner user agents', () => {
  it.each([
    'sqlmap/1.7.2#stable (https://sqlmap.org)',
    'Mozilla/5.00 (Nikto/2.1.6)',
    'Nuclei - Open-source project',
    'MASSCAN/1.3',
  ])('bans %s at once', async (ua) => {
    h = harness()
    const d = await h.req({ headers: { 'user-agent': ua } })
    expect(d).toMatchObject({ conclusion: 'block', rule: 'scanner', newBan: true, status: 403 })
  })

  it('leaves browsers and libraries alone, and the list can be replaced', async () => {
    h = harness({ scanner: { agents: ['evilbot'] } })
    for (const ua of [
      'Mozilla/5.0 (X11; Linux x86_64) Chrome/120',
      'curl/8.4.0',
      'python-requests/2.31',
      'sqlmap',
    ]) {
      expect((await h.req({ headers: { 'user-agent': ua } })).conclusion, ua).toBe('allow')
    }
    expect((await h.req({ headers: { 'user-agent': 'EvilBot/1' } })).rule).toBe('scanner')
  })
})

describe('body size', () => {
  it('refuses a declared body over 10 MB with 413 and a suspicious event', async () => {
    h = harness()
    const events: string[] = []
    h.engine.on('suspicious', (e) => events.push(`${e.kind}:${e.count}`))
    expect((await h.req({ headers: { 'content-length': String(10 * 1024 * 1024) } })).conclusion).toBe(
      'allow',
    )
    const d = await h.req({ headers: { 'content-length': String(10 * 1024 * 1024 + 1) } })
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'body-size',
      status: 413,
      evidence: { bytes: 10485761 },
    })
    expect(events).toEqual(['body-size:1'])
  })

  it.each(['-1', '1e9', '0x10', '12 34', '5, 6', 'abc', '99999999999999999999', ''.padEnd(300, '1')])(
    'refuses malformed Content-Length %j with 400',
    async (cl) => {
      h = harness()
      const d = await h.req({ headers: { 'content-length': cl } })
      expect(d).toMatchObject({ conclusion: 'block', rule: 'body-size', status: 400 })
    },
  )

  it('accepts a repeated identical Content-Length', async () => {
    h = harness()
    expect((await h.req({ headers: { 'content-length': '5, 5' } })).conclusion).toBe('allow')
  })
})

describe('endpoint limits', () => {
  it('limits with 429 and rate-limit info; first match wins; no ban', async () => {
    h = harness({
      endpoints: [
        { match: '/auth/', limit: 5, windowMs: 60_000 },
        { match: '/**', limit: 60, windowMs: 60_000, id: 'default' },
      ],
    })
    for (let i = 0; i < 5; i++) {
      const d = await h.req({ path: '/auth/login', method: 'POST' })
      expect(d.rateLimit).toEqual({ limit: 5, remaining: 4 - i, resetS: 60, windowS: 60, policy: '/auth/' })
    }
    const d = await h.req({ path: '/auth/login', method: 'POST' })
    expect(d).toMatchObject({
      conclusion: 'limit',
      rule: 'endpoint',
      status: 429,
      retryAfterS: 60,
      enforced: true,
    })
    expect(d.rateLimit?.remaining).toBe(0)
    expect((await h.req({ path: '/api/x' })).rateLimit).toMatchObject({ policy: 'default', remaining: 59 })
  })

  it('every 429 is a suspicious event: the 5th in 24 h bans', async () => {
    h = harness({ endpoints: [{ match: '/auth/', limit: 1, windowMs: 60_000 }] })
    await h.req({ path: '/auth/login' })
    for (let i = 0; i < 4; i++) expect((await h.req({ path: '/auth/login' })).conclusion).toBe('limit')
    expect((await h.req({ path: '/auth/login' })).rule).toBe('suspicion')
  })

  it('supports globs, RegExps and methods', async () => {
    h = harness({
      endpoints: [
        { match: '/api/*/export', limit: 1, windowMs: 1000, methods: ['POST'] },
        { match: /^\/reports\/\d+$/, limit: 1, windowMs: 1000 },
      ],
    })
    expect((await h.req({ path: '/api/a/export', method: 'GET' })).rateLimit).toBeUndefined()
    expect((await h.req({ path: '/api/a/export', method: 'post' })).rateLimit?.policy).toBe('/api/*/export')
    expect((await h.req({ path: '/api/a/b/export', method: 'POST' })).rateLimit).toBeUndefined()
    expect((await h.req({ path: '/reports/12' })).rateLimit?.policy).toBe('/^\\/reports\\/\\d+$/')
  })
})
