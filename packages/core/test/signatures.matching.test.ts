import { describe, expect, it } from 'vitest'
import {
  BulwarkError,
  createBulwark,
  isCrossSite,
  NOT_FOUND,
  PROBE_SIGNATURES,
  probes,
  type RequestFacts,
  resolveOptions,
  SCANNER_AGENT_SIGNATURES,
  SIGNATURE_SOURCES,
} from '../src/index.js'
import { isStaticResource } from '../src/rules/not-found.js'
import { ProbeMatcher } from '../src/rules/probe-paths.js'
import { MAX_USER_AGENT_LENGTH, ScannerMatcher } from '../src/rules/scanner.js'
import { VerdictCache } from '../src/rules/verdict-cache.js'
import { harness } from './helpers.js'

const at = (path: string, over: Partial<RequestFacts> = {}): RequestFacts => ({
  ip: '198.51.100.7',
  method: 'GET',
  path,
  headers: {},
  ...over,
})

describe('probe paths are matched on the canonical path, whatever the spelling or the padding', () => {
  const m = new ProbeMatcher()
  it.each([
    ['/.env', '.env'],
    ['/.env#x', '.env'],
    ['/.ENV', '.env'],
    [`${'/.'.repeat(1100)}/.env`, '.env'],
    [`/${'./'.repeat(1100)}.env`, '.env'],
    ['//.env', '.env'],
    ['/%2e%65nv', '.env'],
    ['/.git%2fconfig', '.git'],
    ['/static\\.git\\HEAD', '.git'],
    ['/api/..%2f.env', '..'],
    ['/a/%2e%2e/etc/passwd', '..'],
    ['/a/%252e%252e/etc/passwd', '..'],
    ['/x/..;/wp-admin', '..'],
    ['/wp-admin/setup-config.php', 'wp-admin'],
    ['/phpMyAdmin-4.5.0-rc1-english/', 'phpmyadmin-4.5.0-rc1-english'],
    ['/pma2005/', 'pma2005'],
    ['/+CSCOE+/logon.html', '+cscoe+'],
    ['/backup.sql', 'backup.sql'],
    ['/db.sql.gz?x=1', 'db.sql.gz'],
    ['/c99.php', 'c99.php'],
    ['/.aws/credentials', '.aws'],
  ])('%s is a strong probe (%s)', (path, detail) => {
    expect(m.verdict(path)).toBe(`s${detail}`)
  })

  it('a path longer than MAX_PATH_LENGTH is a strong probe by itself: no cut-off hides what follows', () => {
    const padded = `/${'a/'.repeat(3000)}.env`
    expect(m.verdict(padded)).toBe(`soverlong path (${padded.length} characters)`)
    expect(m.match(`/${'x'.repeat(5000)}`)).toMatch(/^overlong path/)
  })

  it.each([
    ['/api/server-status', 'server-status'],
    ['/packages/phpunit', 'phpunit'],
    ['/notes.old', 'notes.old'],
    ['/report.bak', 'report.bak'],
    ['/index.php~', 'index.php~'],
    ['/index.php', 'index.php'],
    ['/admin', 'admin'],
    ['/config', 'config'],
    ['/backup', 'backup'],
    ['/sql', 'sql'],
    ['/dump', 'dump'],
    ['/site.tar.gz', 'site.tar.gz'],
    ['/.travis.yml', '.travis.yml'],
  ])('%s is a weak probe (%s): it counts only when the app answered 404', (path, detail) => {
    expect(m.verdict(path)).toBe(`w${detail}`)
  })

  it('/api/config is weak at most: a generic name the app may serve', () => {
    expect(m.verdict('/api/config')).toBe('wconfig')
  })

  it.each([
    '/',
    '/api/items/42',
    '/admin-guide',
    '/environment',
    '/docs/git-tutorial',
    '/api/wp-admin-docs',
    '/api/admin.users.list',
    '/repos/octocat/hello-world/readme',
    '/repos/octocat/.github',
    '/.well-known/openid-configuration',
    '/.well-known/acme-challenge/abc',
    '/robots.txt',
    '/favicon.ico',
    '/v1/customers/cus_123/invoices',
  ])('%s is not a probe', (path) => {
    const v = m.verdict(path)
    // A dot folder other than .well-known is weak (it counts on 404 only); none of these is strong.
    if (path === '/repos/octocat/.github') expect(v).toBe('w.github')
    else expect(v).toBe('')
  })
})

describe('scanner user agents: the whole header, case-insensitively', () => {
  const m = new ScannerMatcher()
  it.each([
    ['Fuzz Faster U Fool v2.1.0-dev', 'fuzz faster'],
    ['SF/2.10b', 'sf/2'],
    ['Mozilla/5.0 SF/2.10b', ' sf/2'],
    ['SQLMAP/1.7', 'sqlmap'],
    ['Teh Forest Lobster', 'teh forest lobster'],
    ['OWASP ZAP/2.14.0', 'owasp zap/'],
    ['Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)', 'nmap'],
  ])('%s is a scanner (%s)', (ua, matched) => {
    expect(m.match(ua)).toBe(matched)
  })

  it('a fragment past the first 1,024 characters is still found', () => {
    expect(m.match(`Mozilla/5.0 ${'x'.repeat(2000)} sqlmap/1.7`)).toBe('sqlmap')
  })

  it.each([
    'Zapier',
    'Mozilla/5.0 (Windows NT 10.0) Firefox/130.0',
    'Go-http-client/1.1',
    'python-httpx/0.27.2',
  ])('%s is not', (ua) => {
    expect(m.match(ua)).toBeNull()
  })

  it('an overlong user agent without a scanner in it is a suspicious event, not a ban', async () => {
    const h = harness()
    const events: string[] = []
    h.engine.on('suspicious', (e) => events.push(`${e.kind}:${e.detail}`))
    const ua = `Mozilla/5.0 ${'x'.repeat(MAX_USER_AGENT_LENGTH)}`
    const d = await h.req({ headers: { 'user-agent': ua } })
    expect(d.conclusion).toBe('allow')
    expect(events).toEqual([`scanner:user agent of ${ua.length} characters`])
    const banned = await h.req({ ip: '203.0.113.9', headers: { 'user-agent': `${ua} nikto` } })
    expect(banned).toMatchObject({ conclusion: 'block', rule: 'scanner' })
    await h.engine.close()
  })
})

describe('verdict caches are bounded in bytes', () => {
  it('long keys are never cached, and the total never passes the budget', () => {
    const c = new VerdictCache<string>(10_000, 64)
    c.set('x'.repeat(65), '')
    expect(c.size).toBe(0)
    for (let i = 0; i < 10_000; i++) c.set(`/k/${i}`, i % 2 ? '' : 'sx')
    expect(c.bytes).toBeLessThanOrEqual(10_000)
    expect(c.get('/k/9999')).toBe('')
  })

  it('the probe and scanner caches stay under 512 KiB whatever is sent', () => {
    const p = new ProbeMatcher()
    const s = new ScannerMatcher()
    for (let i = 0; i < 20_000; i++) {
      p.verdict(`/api/items/${i}/${'a'.repeat(200)}`)
      p.verdict(`/${'b'.repeat(15_000)}${i}`)
      s.match(`agent/${i} ${'c'.repeat(400)}`)
      s.match(`${'d'.repeat(15_000)}${i}`)
    }
    expect(p.cacheBytes).toBeLessThanOrEqual(512 * 1024)
    expect(s.cacheBytes).toBeLessThanOrEqual(512 * 1024)
  }, 120_000)
})

describe('strong before the response, weak only on 404, through the engine', () => {
  it('a weak probe the app serves (200) never counts; the same path answered 404 does', async () => {
    const h = harness({ notFound: false })
    const events: string[] = []
    h.engine.on('suspicious', (e) => events.push(`${e.kind}:${e.detail}`))
    for (const path of [
      '/api/server-status',
      '/packages/phpunit',
      '/notes.old',
      '/report.bak',
      '/index.php~',
    ]) {
      for (let i = 0; i < 3; i++) expect((await h.req({ path })).rule, path).toBeNull()
    }
    expect(events).toEqual([])
    const d = await h.engine.report(NOT_FOUND, at('/backup'))
    expect(d).toMatchObject({
      conclusion: 'allow',
      rule: 'probe',
      reason: expect.stringContaining('answered 404'),
    })
    expect(events).toEqual(['probe:backup'])
    await h.engine.close()
  })

  it('five weak probes answered 404 ban through the suspicion rule', async () => {
    const h = harness({ notFound: false })
    for (const path of ['/admin', '/backup', '/config', '/index.php']) {
      expect((await h.engine.report(NOT_FOUND, at(path))).conclusion).toBe('allow')
    }
    expect(await h.engine.report(NOT_FOUND, at('/dump.tar.gz'))).toMatchObject({
      conclusion: 'block',
      rule: 'suspicion',
    })
    expect((await h.req({ ip: '198.51.100.7' })).conclusion).toBe('block')
    await h.engine.close()
  })

  it('a strong probe counts once, before the response, not again on its 404', async () => {
    const h = harness({ notFound: false })
    const events: string[] = []
    h.engine.on('suspicious', (e) => events.push(e.detail))
    await h.req({ ip: '198.51.100.7', path: '/.env' })
    await h.engine.report(NOT_FOUND, at('/.env'))
    expect(events).toEqual(['.env'])
    await h.engine.close()
  })
})

describe('requests a browser sent for another site (Sec-Fetch-Site: cross-site)', () => {
  it('are told apart by the header alone', () => {
    const f = (v?: string | string[]) =>
      isCrossSite(at('/', { headers: v === undefined ? {} : { 'sec-fetch-site': v } }))
    expect([
      f('cross-site'),
      f(['cross-site', 'same-origin']),
      f('same-site'),
      f('same-origin'),
      f('none'),
      f(),
    ]).toEqual([true, true, false, false, false, false])
  })

  it('raise no probe or 404-enumeration signal; scanner agents and burst still count them', async () => {
    const h = harness()
    const cross = { 'sec-fetch-site': 'cross-site' }
    for (let i = 0; i < 10; i++)
      expect((await h.req({ path: '/.git/config', headers: cross })).rule).toBe(null)
    for (let i = 0; i < 30; i++) {
      expect((await h.engine.report(NOT_FOUND, at(`/nope-${i}.php`, { headers: cross }))).rule).toBe(null)
    }
    const scanner = await h.req({ path: '/', headers: { ...cross, 'user-agent': 'sqlmap/1.8' } })
    expect([scanner.conclusion, scanner.rule]).toEqual(['block', 'scanner'])
    await h.engine.close()
  })
})

describe('404 enumeration', () => {
  it('over 10 distinct not-found paths in 10 s, each 404 is a suspicious event: the 15th bans (suspicion); repeats and static files never count', async () => {
    const h = harness({ probes: false })
    const events: { kind: string; detail: string; count: number }[] = []
    h.engine.on('suspicious', (e) => events.push({ kind: e.kind, detail: e.detail, count: e.count }))
    for (let i = 0; i < 10; i++) {
      expect(await h.engine.report(NOT_FOUND, at(`/guess-${i}`)), `404 ${i + 1}`).toMatchObject({
        conclusion: 'allow',
        rule: null,
      })
      await h.engine.report(NOT_FOUND, at(`/guess-${i}`))
      await h.engine.report(NOT_FOUND, at(`/img/missing-${i}.png`))
    }
    expect(events).toEqual([])
    for (let i = 10; i < 14; i++) {
      expect(await h.engine.report(NOT_FOUND, at(`/guess-${i}`)), `404 ${i + 1}`).toMatchObject({
        conclusion: 'allow',
        rule: 'enumeration',
        reason: `404 enumeration: more than 10 distinct not-found paths in 10s (suspicious event ${i - 9} of 5)`,
        evidence: { limit: 10, windowMs: 10_000, suspicion: i - 9 },
        enforced: true,
      })
    }
    expect(events).toEqual(
      [1, 2, 3, 4].map((count) => ({
        kind: 'enumeration',
        detail: 'more than 10 distinct not-found paths in 10s',
        count,
      })),
    )
    // Still allowed: a client between its 11th and 15th 404 is not refused.
    expect((await h.req({ ip: '198.51.100.7' })).conclusion).toBe('allow')
    const d = await h.engine.report(NOT_FOUND, at('/guess-14'))
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'suspicion',
      reason: 'Suspicious activity: 5 events in 24h (ban at 5)',
      newBan: true,
    })
    expect((await h.req({ ip: '198.51.100.7' })).conclusion).toBe('block')
    expect((await h.req({ ip: '198.51.100.8' })).conclusion).toBe('allow')
    await h.engine.close()
  })

  it("by other than 'ip' bans at the 11th distinct 404 (the suspicion rule counts per IP)", async () => {
    const h = harness({ probes: false, notFound: { by: 'user' } })
    const alice = (path: string) => at(path, { user: 'alice', ip: `198.51.100.${path.length}` })
    for (let i = 0; i < 10; i++) expect((await h.engine.report(NOT_FOUND, alice(`/g${i}`))).rule).toBe(null)
    expect(await h.engine.report(NOT_FOUND, alice('/g10'))).toMatchObject({
      conclusion: 'block',
      rule: 'enumeration',
      subject: { user: 'user:alice' },
    })
    await h.engine.close()
  })

  it('ban: true bans at the first 404 over the limit, as CrowdSec does', async () => {
    const h = harness({ probes: false, notFound: { ban: true } })
    for (let i = 0; i < 10; i++) {
      expect((await h.engine.report(NOT_FOUND, at(`/guess-${i}`))).conclusion, `404 ${i + 1}`).toBe('allow')
    }
    const d = await h.engine.report(NOT_FOUND, at('/guess-10'))
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'enumeration',
      reason: '404 enumeration: 11 distinct not-found paths in 10s (limit 10)',
    })
    expect((await h.req({ ip: '198.51.100.7' })).conclusion).toBe('block')
    await h.engine.close()
    expect(() => createBulwark({ logger: false, notFound: { ban: 'yes' as never } })).toThrow(BulwarkError)
  })

  it('the window slides: 10 every 10 s never ban', async () => {
    const h = harness({ probes: false })
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) {
        expect((await h.engine.report(NOT_FOUND, at(`/r${round}/p${i}`))).conclusion).toBe('allow')
      }
      h.clock.advance(10_001)
    }
    await h.engine.close()
  })

  it('limit, window and mode are options; false turns it off', async () => {
    const h = harness({ probes: false, notFound: { limit: 2, windowMs: 60_000 } })
    await h.engine.report(NOT_FOUND, at('/a'))
    await h.engine.report(NOT_FOUND, at('/b'))
    expect((await h.engine.report(NOT_FOUND, at('/c'))).rule).toBe('enumeration')
    h.clock.advance(60_001)
    expect((await h.engine.report(NOT_FOUND, at('/d'))).rule, 'the window passed').toBe(null)
    await h.engine.close()
    const off = harness({ probes: false, notFound: false })
    for (let i = 0; i < 30; i++)
      expect((await off.engine.report(NOT_FOUND, at(`/x${i}`))).conclusion).toBe('allow')
    expect(off.engine.listens(NOT_FOUND)).toBe(false)
    await off.engine.close()
    const monitor = harness({ probes: false, notFound: { mode: 'monitor', limit: 1, ban: true } })
    await monitor.engine.report(NOT_FOUND, at('/a'))
    expect(await monitor.engine.report(NOT_FOUND, at('/b'))).toMatchObject({
      rule: 'enumeration',
      enforced: false,
    })
    await monitor.engine.close()
    // Monitored, its suspicious events are reported and feed no enforced suspicion ban.
    const watched = harness({ probes: false, notFound: { mode: 'monitor', limit: 1 } })
    for (let i = 0; i < 20; i++) {
      const d = await watched.engine.report(NOT_FOUND, at(`/w${i}`))
      expect([d.conclusion, d.rule], `404 ${i + 1}`).toEqual(['allow', i === 0 ? null : 'enumeration'])
    }
    expect((await watched.req({ ip: '198.51.100.7' })).conclusion).toBe('allow')
    await watched.engine.close()
    await monitor.engine.close()
  })

  it('static resources are what CrowdSec calls static', () => {
    for (const p of ['/a.png', '/x/app.js', '/s/site.css', '/f.woff2', '/m.map'])
      expect(isStaticResource(p), p).toBe(true)
    expect(isStaticResource('/img/a.png;v=2')).toBe(true)
    for (const p of ['/a', '/x.php', '/b.sql.gz', '/.js', '/a.json', '/admin;.png', '/x/secret;a=1.css'])
      expect(isStaticResource(p), p).toBe(false)
  })
})

describe('options: add, remove and replace the lists', () => {
  it('the rules run in order, suspicion last, listening to not-found when a rule does', () => {
    const { rules } = resolveOptions({})
    expect(rules.map((r) => r.id)).toEqual([
      'scanner',
      'burst',
      'auth-failures',
      'scraping',
      'body-size',
      'probe',
      'enumeration',
      'suspicion',
    ])
    expect(rules.at(-1)?.on).toContain(NOT_FOUND)
    const quiet = resolveOptions({ notFound: false, probes: { weak: [] } }).rules
    expect(quiet.at(-1)?.on).not.toContain(NOT_FOUND)
    expect(quiet.find((r) => r.id === 'probe')?.on).toBe('request')
  })

  it('scanner.agents replaces the list; signatures, strings and RegExps are accepted', async () => {
    const h = harness({ scanner: { agents: [...SCANNER_AGENT_SIGNATURES, 'evilbot', /^acme-audit\//] } })
    expect((await h.req({ ip: '192.0.2.1', headers: { 'user-agent': 'EvilBot/1' } })).rule).toBe('scanner')
    expect((await h.req({ ip: '192.0.2.2', headers: { 'user-agent': 'acme-audit/2' } })).rule).toBe('scanner')
    expect((await h.req({ ip: '192.0.2.3', headers: { 'user-agent': 'sqlmap/1' } })).rule).toBe('scanner')
    await h.engine.close()
  })

  it('probes.paths adds or removes signatures; probes.strong / weak replace one class; allow exempts a segment', async () => {
    const added = new ProbeMatcher({
      paths: [...PROBE_SIGNATURES, { pattern: 'internal-admin', strength: 'strong', source: 'mine' }],
    })
    expect(added.verdict('/internal-admin')).toBe('sinternal-admin')
    const removed = new ProbeMatcher({ paths: PROBE_SIGNATURES.filter((s) => s.pattern !== 'server-status') })
    expect(removed.verdict('/server-status')).toBe('')
    const replaced = new ProbeMatcher({ strong: ['/secret-place', '*.key'], weak: [] })
    expect([
      replaced.verdict('/.env'),
      replaced.verdict('/a/secret-place/b'),
      replaced.verdict('/a.key'),
    ]).toEqual(['', 'ssecret-place', 'sa.key'])
    const allowed = new ProbeMatcher({ allow: ['.well-known', 'wp-json'] })
    expect(allowed.verdict('/wp-json/wp/v2/posts')).toBe('')
  })

  it('bad options are refused with the option named', () => {
    const bad: [unknown, RegExp][] = [
      [{ probes: { strong: 'x' } }, /probes\.strong: must be an array/],
      [{ probes: { weak: [42] } }, /probes\.weak: a pattern must be/],
      [{ probes: { paths: [{ pattern: 'x' }] } }, /probes\.paths: each entry/],
      [
        { probes: { strong: [{ pattern: 'x', strength: 'strong', source: 'y', where: 'up' }] } },
        /where must be/,
      ],
      [{ scanner: { agents: [42] } }, /scanner\.agents/],
      [{ notFound: { limit: 0 } }, /notFound\.limit/],
    ]
    for (const [options, message] of bad) {
      expect(() => createBulwark(options as never), message.source).toThrow(BulwarkError)
      expect(() => createBulwark(options as never), message.source).toThrow(message)
    }
  })

  it('every signature names its source, and every source its licence and commit', () => {
    for (const s of [...PROBE_SIGNATURES, ...SCANNER_AGENT_SIGNATURES]) {
      const key = s.source.split(/[: ]/)[0] as string
      expect(SIGNATURE_SOURCES[key], s.source).toBeDefined()
    }
    for (const key of ['crs', 'crowdsec', 'seclists']) {
      expect(SIGNATURE_SOURCES[key]?.commit).toMatch(/^[0-9a-f]{40}$/)
    }
    expect(SIGNATURE_SOURCES.crs?.licence).toBe('Apache-2.0')
    expect(SIGNATURE_SOURCES.crowdsec?.licence).toBe('MIT')
    expect(SIGNATURE_SOURCES.seclists?.licence).toBe('MIT')
    expect(probes().id).toBe('probe')
  })
})
