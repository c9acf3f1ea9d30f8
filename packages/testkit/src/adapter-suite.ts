import {
  type AdapterOptions,
  type BanEvent,
  type Bulwark,
  type BulwarkError,
  type BulwarkEventName,
  createBulwark,
  type DenySink,
  type EventsCount,
  type Logger,
  limit,
  type Rule,
} from '@bulwark/core'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { chunkedUpload, headOnly, rawExchange, type UploadResult } from './adapter-http.js'
import { type FakeClock, fakeClock } from './clock.js'
import { type Framework, SPELLINGS, type Spelling, spellingsFor } from './spellings.js'

/** An app started by a harness: Bulwark mounted, listening on 127.0.0.1. */
export interface StartedApp {
  url: string
  /** The engine the adapter uses (created from the options, or the `engine` passed in). */
  engine: Bulwark
  close(): Promise<void>
}

/** Options the suite mounts Bulwark with: adapter options; `Req` is the framework's request (or context). */
export type SuiteOptions = AdapterOptions<unknown> & Record<string, unknown>

/** How the framework itself is configured, apart from Bulwark. */
export interface FrameworkSetup {
  /** Turn on the framework's own proxy trust (express `trust proxy`, fastify `trustProxy`, koa `app.proxy`). */
  trustProxy?: boolean
  /** Mount the framework's helmet (helmet, @fastify/helmet, koa-helmet) with its defaults, before Bulwark. */
  helmet?: boolean
  /**
   * Mount `GET /api/tasks` (answering 200 `{ route: 'limited' }`) with this limit attached the adapter's way for a
   * route (express and koa `middleware.limit(...)` on the route — koa through @koa/router —, fastify
   * `config.bulwark.limit`), with the framework's default router options.
   */
  routeLimit?: { limit: number; windowMs: number; by?: 'ip' | 'user'; id?: string }
  /**
   * Mount `POST /auth` as an authentication route the adapter's way (express and koa `middleware.auth()`, fastify
   * `config.bulwark.auth`), answering JSON `{ ok }` with the status this function resolves to.
   */
  authRoute?: () => Promise<number>
}

/**
 * What an adapter provides to run the conformance suite. `start` must mount Bulwark with exactly the options given
 * (before any route) and serve these routes, every answer JSON through the framework's own JSON response:
 *
 * - `GET /decision` → 200 `{ conclusion, rule, helper }`: the request's Bulwark decision (`null` fields when the
 *   request has no decision) and whether `reportAuthFailure` is a function on the request's Bulwark state.
 * - `GET /login` → 401 `{ ok: false }`
 * - `GET /login-report` → awaits the state's `reportAuthFailure()`, then 401 `{ ok: false }`
 * - `GET /report` → awaits the state's `reportAuthFailure()`, then 200 `{ ok: true }`
 * - `POST /upload` → reads the whole body (any content type), then 200 `{ bytes }`
 * - `GET /2fa` → awaits the state's `report('2fa-failure')`, then 200 `{ ok: false }`
 * - `GET /gone/<anything>` → 404 `{ ok: false }`
 * - `GET /api/tasks` with `framework.routeLimit` (see `FrameworkSetup`)
 * - any other `GET` path → 200 `{ ok: true }`
 */
export interface AdapterHarness {
  /** Which framework, for the spellings its router routes (see `SPELLINGS`). */
  framework: Framework
  /**
   * The spellings of `GET /api/tasks` this app's router hands to the route, when they are not `framework`'s (a
   * framework built on another version of the router, e.g. NestJS's pinned fastify). Default:
   * `spellingsFor(framework)`.
   */
  spellings?: readonly Spelling[]
  start(options: SuiteOptions, framework?: FrameworkSetup): Promise<StartedApp>
  /** A query parameter of the framework's request, for `item`, `skip` and `isAuthFailure` callbacks. */
  query(req: unknown, name: string): string | undefined
  /** A request header, read the framework's way, for the `user` callback. */
  header(req: unknown, name: string): string | undefined
  /**
   * Options for the adapter's custom handlers: `onBlocked` answering 418 `{ handler: 'blocked', status }` and
   * `onLimited` answering 418 `{ handler: 'limited', status }`, `status` being the decision's.
   */
  custom: Record<string, unknown>
}

interface Reply {
  status: number
  headers: Record<string, string | null>
  body: unknown
}

interface Booted extends StartedApp {
  clock: FakeClock
  logs: string[]
  errors: BulwarkError[]
  bans: BanEvent[]
}

/** Response headers the suite compares in every answer. */
const CHECKED = [
  'content-type',
  'retry-after',
  'ratelimit-policy',
  'ratelimit',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
] as const

const JSON_TYPE = 'application/json; charset=utf-8'
const OK = { ok: true }
const BAN_ERROR = 'Rate Limit Exceeded - Security Block'
const HOUR_S = '3600'

type Expected = { status: number; body: unknown; headers?: Partial<Record<(typeof CHECKED)[number], string>> }

function expectAnswer(r: Reply, want: Expected, label?: string): void {
  const headers: Record<string, string | null> = {}
  for (const name of CHECKED) headers[name] = want.headers?.[name] ?? null
  headers['content-type'] = want.headers?.['content-type'] ?? JSON_TYPE
  expect({ status: r.status, body: r.body, headers: r.headers }, label).toEqual({
    status: want.status,
    body: want.body,
    headers,
  })
}

const allowed: Expected = { status: 200, body: OK }
const ban = (detail: string): Expected => ({
  status: 403,
  body: { error: BAN_ERROR, status: 403, detail },
  headers: { 'retry-after': HOUR_S },
})

const WHEN_SETTLED = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * The one behaviour every framework adapter must have, asserted over real HTTP with identical expectations for
 * status, headers and body. Run it from each adapter's tests with that adapter's harness.
 */
export function adapterConformanceSuite(name: string, harness: AdapterHarness): void {
  describe(`adapter conformance: ${name}`, () => {
    const apps: StartedApp[] = []
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((a) => a.close()))
    })

    async function boot(options: SuiteOptions = {}, framework?: FrameworkSetup): Promise<Booted> {
      const clock = fakeClock()
      const logs: string[] = []
      const logger: Logger = { warn: (m) => logs.push(m), error: (m) => logs.push(`ERROR ${m}`) }
      const started = await harness.start(
        { clock, logger, item: (req: unknown) => harness.query(req, 'hash'), ...options } as SuiteOptions,
        framework,
      )
      apps.push(started)
      const errors: BulwarkError[] = []
      const bans: BanEvent[] = []
      started.engine.on('error', (e) => errors.push(e))
      started.engine.on('ban', (e) => bans.push(e))
      return { ...started, clock, logs, errors, bans }
    }

    async function call(
      app: StartedApp,
      path: string,
      init: { method?: string; headers?: Record<string, string>; body?: string; client?: string } = {},
    ): Promise<Reply> {
      const headers: Record<string, string> = { ...init.headers }
      if (init.client !== undefined) headers['x-forwarded-for'] = init.client
      const res = await fetch(`${app.url}${path}`, { method: init.method ?? 'GET', headers, body: init.body })
      const text = await res.text()
      const out: Record<string, string | null> = {}
      for (const h of CHECKED) out[h] = res.headers.get(h)
      const json = out['content-type']?.includes('json') && text.length > 0
      return { status: res.status, headers: out, body: json ? JSON.parse(text) : text }
    }

    async function times(n: number, fn: (i: number) => Promise<Reply>): Promise<Reply[]> {
      const out: Reply[] = []
      for (let i = 0; i < n; i++) out.push(await fn(i))
      return out
    }

    const statuses = (rs: Reply[]) => [...new Set(rs.map((r) => r.status))]

    function nextEvent(engine: Bulwark, event: BulwarkEventName): Promise<unknown> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} event within 2 s`)), 2_000)
        engine.once(event, (e: unknown) => {
          clearTimeout(timer)
          resolve(e)
        })
      })
    }

    // ------------------------------------------------------------------ allow

    describe('allow', () => {
      it('serves a normal request unchanged: 200, the app body, no rate-limit headers', async () => {
        const app = await boot()
        expectAnswer(await call(app, '/api/items'), allowed)
        expect(app.bans).toEqual([])
      })

      it('gives handlers the decision and a reportAuthFailure() helper', async () => {
        const app = await boot()
        expectAnswer(await call(app, '/decision'), {
          status: 200,
          body: { conclusion: 'allow', rule: null, helper: true },
        })
      })

      it('leaves requests matched by skip() alone: no decision, never blocked', async () => {
        const app = await boot({ skip: (req: unknown) => harness.query(req, 'skip') === '1' })
        const ua = { 'user-agent': 'sqlmap/1.7.2#stable' }
        expectAnswer(await call(app, '/api/items?skip=1', { headers: ua }), allowed)
        expectAnswer(await call(app, '/decision?skip=1'), {
          status: 200,
          body: { conclusion: null, rule: null, helper: false },
        })
        expectAnswer(await call(app, '/api/items', { headers: ua }), ban('Scanner user agent: sqlmap'))
      })
    })

    // ------------------------------------------------------------------ burst

    describe('burst', () => {
      it('allows 50 requests in one second and bans the 51st with 403 and Retry-After', async () => {
        const app = await boot()
        const first = await times(50, () => call(app, '/api/items'))
        expect(statuses(first)).toEqual([200])
        expectAnswer(await call(app, '/api/items'), ban('Burst: 51 req/s (limit 50)'))
        expect(app.bans).toMatchObject([{ rule: 'burst', ip: '127.0.0.1', enforced: true }])
        app.clock.advance(1_000)
        const later = ban('Burst: 51 req/s (limit 50)')
        later.headers = { 'retry-after': '3599' }
        expectAnswer(
          await call(app, '/api/items'),
          later,
          'the ban outlives the window; Retry-After counts down',
        )
      })

      it('never bans 50 requests per second spread over time', async () => {
        const app = await boot()
        const rs = await times(150, () => {
          app.clock.advance(20)
          return call(app, '/api/items')
        })
        expect(statuses(rs)).toEqual([200])
      })

      it('shares one engine between apps passed as { engine }', async () => {
        const clock = fakeClock()
        const engine = createBulwark({ clock, logger: false })
        const a = await boot({ engine })
        const b = await boot({ engine })
        expect(a.engine).toBe(engine)
        expect(statuses(await times(50, () => call(a, '/api/items')))).toEqual([200])
        expectAnswer(await call(b, '/api/items'), ban('Burst: 51 req/s (limit 50)'))
        await a.close()
        expectAnswer(
          await call(b, '/api/items'),
          ban('Burst: 51 req/s (limit 50)'),
          'b still works after a closed',
        )
        await engine.close()
      })
    })

    // ------------------------------------------------------------------ auth failures

    describe('auth failures', () => {
      const client = '198.51.100.7'

      it('tolerates 10 responses with status 401 in 60 s and bans at the 11th', async () => {
        const app = await boot({ trustProxy: 'loopback' })
        for (let i = 1; i <= 10; i++) {
          expectAnswer(
            await call(app, '/login', { client }),
            { status: 401, body: { ok: false } },
            `401 #${i}`,
          )
          await WHEN_SETTLED()
        }
        expect(app.bans).toEqual([])
        const banned = nextEvent(app.engine, 'ban')
        expectAnswer(await call(app, '/login', { client }), { status: 401, body: { ok: false } })
        expect(await banned).toMatchObject({ rule: 'auth-failures', ip: client })
        expectAnswer(await call(app, '/api/items', { client }), ban('Auth failures: 11 in 60s (limit 10)'))
        expectAnswer(await call(app, '/api/items', { client: '198.51.100.8' }), allowed, 'another client')
      })

      it('forgets failures older than 60 s', async () => {
        const app = await boot({ trustProxy: 'loopback' })
        await times(10, () => call(app, '/login', { client }))
        app.clock.advance(60_000)
        await times(10, () => call(app, '/login', { client }))
        await WHEN_SETTLED()
        expect(app.bans).toEqual([])
        expectAnswer(await call(app, '/api/items', { client }), allowed)
      })

      it('counts the explicit helper, and a response at most once even when the helper was called for it', async () => {
        const app = await boot({ trustProxy: 'loopback' })
        for (let i = 0; i < 5; i++) {
          expectAnswer(await call(app, '/report', { client }), allowed)
          expectAnswer(await call(app, '/login-report', { client }), { status: 401, body: { ok: false } })
          await WHEN_SETTLED()
        }
        expect(app.bans, '10 failures, each counted once').toEqual([])
        const banned = nextEvent(app.engine, 'ban')
        await call(app, '/login', { client })
        expect(await banned).toMatchObject({ reason: 'Auth failures: 11 in 60s (limit 10)' })
        expectAnswer(await call(app, '/api/items', { client }), ban('Auth failures: 11 in 60s (limit 10)'))
      })

      it("one attacker sending a victim's API key with wrong passwords gets only its own address banned (issue 13 item 3)", async () => {
        const app = await boot({ trustProxy: 'loopback' })
        const victim = { 'x-api-key': 'victim-key-123' }
        for (let i = 0; i < 11; i++) {
          await call(app, '/login', { client: '203.0.113.66', headers: victim })
          await WHEN_SETTLED()
        }
        expect(app.bans.map((b) => b.subject)).toEqual(['ip:203.0.113.66'])
        // The victim's key still works from the victim's own address.
        expectAnswer(await call(app, '/api/items', { client: '198.51.100.20', headers: victim }), allowed)
        // A second attacker address adds its failures: two clients are still not enough.
        for (let i = 0; i < 11; i++) await call(app, '/login', { client: '203.0.113.67', headers: victim })
        await WHEN_SETTLED()
        expectAnswer(await call(app, '/api/items', { client: '198.51.100.20', headers: victim }), allowed)
        expect(app.bans.filter((b) => b.subject.startsWith('key:'))).toEqual([])
      })

      it('failures on one API key from 3 clients or more ban the key (a stuffing campaign)', async () => {
        const app = await boot({ trustProxy: 'loopback' })
        const key = { 'x-api-key': 'stuffed-key-456' }
        for (let i = 0; i < 11; i++) {
          await call(app, '/login', { client: `203.0.113.${10 + (i % 4)}`, headers: key })
          await WHEN_SETTLED()
        }
        expect(app.bans.filter((b) => b.subject.startsWith('key:'))).toMatchObject([
          { rule: 'auth-failures' },
        ])
        expectAnswer(
          await call(app, '/api/items', { client: '198.51.100.21', headers: key }),
          ban('Auth failures: 11 in 60s (limit 10)'),
        )
        // The addresses, each with 2 or 3 failures, are not banned.
        expect(app.bans.filter((b) => b.subject.startsWith('ip:'))).toEqual([])
      })

      it('lets an isAuthFailure predicate decide from the status and the request', async () => {
        const app = await boot({
          trustProxy: 'loopback',
          isAuthFailure: (status: number, req: unknown) =>
            status === 401 && harness.query(req, 'count') !== 'no',
        })
        await times(20, () => call(app, '/login?count=no', { client }))
        await WHEN_SETTLED()
        expect(app.bans).toEqual([])
        await times(11, () => call(app, '/login', { client }))
        await WHEN_SETTLED()
        expect(app.bans).toMatchObject([{ rule: 'auth-failures' }])
      })
    })

    // ------------------------------------------------------------------ scraping

    describe('scraping', () => {
      it('bans at the 501st distinct item in 5 minutes, the item read by the item() option', async () => {
        const app = await boot({ trustProxy: 'loopback' })
        const client = '198.51.100.9'
        const rs = await times(500, (i) => {
          app.clock.advance(25)
          return call(app, `/api/items?hash=h${i}`, { client })
        })
        expect(statuses(rs)).toEqual([200])
        expectAnswer(
          await call(app, '/api/items?hash=again', { client }),
          ban('Scraping: 501 distinct items in 5 min (limit 500)'),
        )
      })

      it('does not count the same item twice', async () => {
        const app = await boot()
        const rs = await times(600, (i) => {
          app.clock.advance(25)
          return call(app, `/api/items?hash=h${i % 20}`)
        })
        expect(statuses(rs)).toEqual([200])
      })
    })

    // ------------------------------------------------------------------ scanners and probes

    describe('scanners and probes', () => {
      it('bans a scanner user agent on its first request', async () => {
        const app = await boot()
        const headers = { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' }
        expectAnswer(await call(app, '/', { headers }), ban('Scanner user agent: sqlmap'))
        expectAnswer(await call(app, '/'), ban('Scanner user agent: sqlmap'), 'the IP stays banned')
      })

      it('serves 4 probe paths and bans at the 5th', async () => {
        const app = await boot()
        for (const path of ['/.env', '/.git/config', '/wp-admin/setup-config.php', '/phpmyadmin/']) {
          expectAnswer(await call(app, path), allowed, path)
        }
        expectAnswer(await call(app, '/backup.sql'), ban('Suspicious activity: 5 events in 24h (ban at 5)'))
      })
    })

    // ------------------------------------------------------------------ signatures: tools, strong and weak probes, 404s

    describe('signatures: tools’ own agents, probes the app serves or not, 404 enumeration', () => {
      it('bans ffuf’s and skipfish’s default user agents on their first request', async () => {
        const ffuf = await boot()
        expectAnswer(
          await call(ffuf, '/api/items', { headers: { 'user-agent': 'Fuzz Faster U Fool v2.1.0-dev' } }),
          ban('Scanner user agent: fuzz faster'),
        )
        const skipfish = await boot()
        expectAnswer(
          await call(skipfish, '/api/items', { headers: { 'user-agent': 'SF/2.10b' } }),
          ban('Scanner user agent: sf/2'),
        )
      })

      it('a weak probe path the app serves (200) never counts, however often', async () => {
        const app = await boot()
        const served = [
          '/api/server-status',
          '/packages/phpunit',
          '/notes.old',
          '/report.bak',
          '/index.php~',
          '/admin',
        ]
        for (let round = 0; round < 2; round++) {
          for (const path of served) {
            expectAnswer(await call(app, path), allowed, path)
            await WHEN_SETTLED()
          }
        }
        expectAnswer(await call(app, '/api/items'), allowed)
        expect(app.bans).toEqual([])
      })

      it('404 enumeration: a path spelled as a static file after ";" (/admin;.png) still counts', async () => {
        // A router or backend that honours ";" serves /admin for it: the static-file exemption must not apply.
        const app = await boot()
        for (let i = 1; i <= 15; i++) {
          const path = `/gone/page-${i};.png`
          expectAnswer(await call(app, path), { status: 404, body: { ok: false } }, path)
          await WHEN_SETTLED()
        }
        expectAnswer(await call(app, '/api/items'), ban('Suspicious activity: 5 events in 24h (ban at 5)'))
      })

      it('a page of another site cannot get its visitors banned: probes and 404s its browser sends cross-site never count', async () => {
        // An attacker's page embeds <img src="https://your-api/.env"> and made-up paths: every visitor's browser asks
        // for them with Sec-Fetch-Site: cross-site. Counted, five would ban each visitor for an hour.
        const app = await boot()
        const crossSite = {
          'sec-fetch-site': 'cross-site',
          'sec-fetch-mode': 'no-cors',
          'sec-fetch-dest': 'image',
        }
        for (let i = 0; i < 6; i++) {
          expectAnswer(await call(app, '/.env', { headers: crossSite }), allowed, `/.env ${i + 1}`)
          await WHEN_SETTLED()
        }
        for (let i = 1; i <= 20; i++) {
          const path = i % 2 === 0 ? `/gone/page-${i}` : `/gone/page-${i}.php`
          expectAnswer(
            await call(app, path, { headers: crossSite }),
            { status: 404, body: { ok: false } },
            path,
          )
          await WHEN_SETTLED()
        }
        expectAnswer(await call(app, '/api/items'), allowed)
        expect(app.bans).toEqual([])
        // The same browser on the site's own pages (same-origin) still counts: the 5th strong probe bans.
        for (let i = 0; i < 4; i++) {
          expectAnswer(await call(app, '/.env', { headers: { 'sec-fetch-site': 'same-origin' } }), allowed)
          await WHEN_SETTLED()
        }
        expectAnswer(
          await call(app, '/.env', { headers: { 'sec-fetch-site': 'same-origin' } }),
          ban('Suspicious activity: 5 events in 24h (ban at 5)'),
        )
      })

      it('a weak probe path answered 404 counts: the 5th bans', async () => {
        const app = await boot()
        for (const path of [
          '/gone/site.tar.gz',
          '/gone/index.php',
          '/gone/db.bak',
          '/gone/index.php~',
          '/gone/a.old',
        ]) {
          expectAnswer(await call(app, path), { status: 404, body: { ok: false } }, path)
          await WHEN_SETTLED()
        }
        expectAnswer(await call(app, '/api/items'), ban('Suspicious activity: 5 events in 24h (ban at 5)'))
        expect(app.bans.map((b) => b.rule)).toEqual(['suspicion'])
      })

      it('404 enumeration: over 10 distinct not-found paths in 10 s, each 404 is a suspicious event; the 15th bans', async () => {
        const app = await boot()
        const seen: string[] = []
        app.engine.on('suspicious', (e) => seen.push(`${e.kind} ${e.count}`))
        for (let i = 1; i <= 10; i++) {
          expectAnswer(await call(app, `/gone/page-${i}`), { status: 404, body: { ok: false } })
          await WHEN_SETTLED()
        }
        expectAnswer(await call(app, '/api/items'), allowed, 'ten 404s are not enumeration yet')
        for (let i = 11; i <= 14; i++) {
          expectAnswer(await call(app, `/gone/page-${i}`), { status: 404, body: { ok: false } })
          await WHEN_SETTLED()
        }
        expect(seen).toEqual(['enumeration 1', 'enumeration 2', 'enumeration 3', 'enumeration 4'])
        expectAnswer(await call(app, '/api/items'), allowed, 'four suspicious events do not ban')
        expectAnswer(await call(app, '/gone/page-15'), { status: 404, body: { ok: false } })
        await WHEN_SETTLED()
        expectAnswer(await call(app, '/api/items'), ban('Suspicious activity: 5 events in 24h (ban at 5)'))
        expect(app.bans.map((b) => `${b.subject} ${b.rule}`)).toEqual(['ip:127.0.0.1 suspicion'])
      })
    })

    // ------------------------------------------------------------------ body size

    describe('body size', () => {
      const tooLarge = (bytes: number, limit: number): Expected => ({
        status: 413,
        body: {
          error: 'Payload Too Large',
          status: 413,
          detail: `Body too large: ${bytes} bytes (limit ${limit})`,
        },
      })

      it('answers 413 to a declared 10 MB + 1 body before reading it', async () => {
        const app = await boot()
        const r = await headOnly(app.url, '/upload', 'POST', {
          'content-type': 'application/octet-stream',
          'content-length': '10485761',
        })
        expect(r.status).toBe(413)
        expect(r.headers['content-type']).toBe(JSON_TYPE)
        expect(r.headers['retry-after']).toBeUndefined()
        expect(JSON.parse(r.text)).toEqual(tooLarge(10485761, 10485760).body)
      })

      it('answers 413 to a real body over bodySize.maxBytes and serves one under it', async () => {
        const app = await boot({ bodySize: { maxBytes: 1024 } })
        const headers = { 'content-type': 'application/octet-stream' }
        expectAnswer(
          await call(app, '/upload', { method: 'POST', headers, body: 'x'.repeat(2048) }),
          tooLarge(2048, 1024),
        )
        expectAnswer(await call(app, '/upload', { method: 'POST', headers, body: 'x'.repeat(1000) }), {
          status: 200,
          body: { bytes: 1000 },
        })
      })
    })

    // ------------------------------------------------------------------ chunked bodies

    // Every adapter: the Node ones count the body the HTTP parser hands to the request stream, a Fetch API adapter
    // the bytes the handler pulls from the Request's body stream.
    describe('chunked bodies (no Content-Length)', () => {
      const MB = 1024 * 1024
      const limit = { bodySize: { maxBytes: 1000 } }
      const cutAt = (maxBytes: number): Expected => ({
        status: 413,
        body: {
          error: 'Payload Too Large',
          status: 413,
          detail: `Body too large: more than ${maxBytes} bytes (limit ${maxBytes})`,
        },
      })
      const reply = (r: UploadResult): Reply => {
        const headers: Record<string, string | null> = {}
        for (const h of CHECKED) {
          const v = r.headers[h]
          headers[h] = v === undefined ? null : Array.isArray(v) ? v.join(', ') : v
        }
        const json = headers['content-type']?.includes('json') === true && r.text.length > 0
        return { status: r.status, headers, body: json ? JSON.parse(r.text) : r.text }
      }
      const upload = async (app: StartedApp, bytes: number, chunk?: number): Promise<Reply> => {
        const r = await chunkedUpload(app.url, '/upload', { bytes, chunk })
        expect(r.error === undefined || r.status !== 0, `no answer: ${r.error}`).toBe(true)
        return reply(r)
      }
      const suspicious = (app: Booted): string[] => {
        const seen: string[] = []
        app.engine.on('suspicious', (e) => seen.push(`${e.kind}:${e.count}`))
        return seen
      }

      it('cuts a 12 MB chunked upload at bodySize.maxBytes: 413 and a suspicious event, the handler never answers', async () => {
        const app = await boot(limit)
        const seen = suspicious(app)
        const r = await chunkedUpload(app.url, '/upload', { bytes: 12 * MB })
        expectAnswer(reply(r), cutAt(1000))
        // The client stopped on the answer: the server stopped reading long before 12 MB.
        expect(r.sent).toBeLessThan(12 * MB)
        expect(seen).toEqual(['body-size:1'])
        expectAnswer(await call(app, '/'), allowed, 'the client is not banned by one')
      })

      it('reads a chunked body within the limit normally, to its last byte', async () => {
        const app = await boot(limit)
        const seen = suspicious(app)
        expectAnswer(await upload(app, 900, 100), { status: 200, body: { bytes: 900 } })
        expectAnswer(await upload(app, 1000, 128), { status: 200, body: { bytes: 1000 } })
        expectAnswer(await upload(app, 1001, 128), cutAt(1000), 'one byte over')
        expect(seen).toEqual(['body-size:1'])
      })

      it('five oversized chunked uploads ban the client, like five declared ones', async () => {
        const app = await boot(limit)
        const got: Reply[] = []
        for (let i = 0; i < 5; i++) got.push(await upload(app, 64 * 1024))
        for (const r of got.slice(0, 4)) expectAnswer(r, cutAt(1000))
        expectAnswer(got[4] as Reply, ban('Suspicious activity: 5 events in 24h (ban at 5)'), 'the 5th bans')
        expectAnswer(await call(app, '/'), ban('Suspicious activity: 5 events in 24h (ban at 5)'))
        expect(app.bans.map((b) => b.rule)).toEqual(['suspicion'])
      })

      it('never cuts in monitor mode (engine or rule), and still reports the event', async () => {
        for (const options of [
          { mode: 'monitor' as const, ...limit },
          { bodySize: { maxBytes: 1000, mode: 'monitor' as const } },
        ]) {
          const app = await boot(options)
          const seen = suspicious(app)
          expectAnswer(await upload(app, 100_000), { status: 200, body: { bytes: 100_000 } })
          expect(seen).toEqual(['body-size:1'])
        }
      })
    })

    // ------------------------------------------------------------------ endpoint limits

    describe('endpoint limits', () => {
      const endpoints = [{ match: '/api/search', limit: 3, windowMs: 60_000, id: 'search' }]
      const policy = '"search";q=3;w=60'

      it('sends RateLimit-Policy and RateLimit on allowed requests and 429 with Retry-After past the limit', async () => {
        const app = await boot({ endpoints })
        for (let i = 0; i < 3; i++) {
          expectAnswer(await call(app, '/api/search'), {
            status: 200,
            body: OK,
            headers: { 'ratelimit-policy': policy, ratelimit: `"search";r=${2 - i};t=60` },
          })
        }
        expectAnswer(await call(app, '/api/search'), {
          status: 429,
          body: {
            error: 'Too Many Requests',
            status: 429,
            detail: 'Rate limit: 3 requests per 60s on search',
          },
          headers: { 'ratelimit-policy': policy, ratelimit: '"search";r=0;t=60', 'retry-after': '60' },
        })
        expectAnswer(await call(app, '/api/items'), allowed, 'other paths carry no rate-limit headers')
      })

      it('adds the legacy X-RateLimit-* headers when asked', async () => {
        const app = await boot({ endpoints, legacyHeaders: true })
        expectAnswer(await call(app, '/api/search'), {
          status: 200,
          body: OK,
          headers: {
            'ratelimit-policy': policy,
            ratelimit: '"search";r=2;t=60',
            'x-ratelimit-limit': '3',
            'x-ratelimit-remaining': '2',
            'x-ratelimit-reset': '60',
          },
        })
      })
    })

    // ------------------------------------------------------------------ the app's facts: routes, users

    describe('decided on what the app knows: its routes and its users', () => {
      /** One request written byte for byte (the target is not normalised by any client), answered and closed. */
      async function raw(
        app: StartedApp,
        method: string,
        target: string,
        headers: Record<string, string> = {},
      ) {
        const head = Object.entries({ host: 'localhost', ...headers, connection: 'close' })
          .map(([k, v]) => `${k}: ${v}\r\n`)
          .join('')
        const { status, text } = await rawExchange(
          app.url,
          Buffer.from(`${method} ${target} HTTP/1.1\r\n${head}\r\n`, 'latin1'),
        )
        const split = text.indexOf('\r\n\r\n')
        const head2 = split < 0 ? text : text.slice(0, split)
        const policy = /\r\nratelimit-policy: ([^\r]*)/i.exec(head2)?.[1] ?? null
        return { status, body: split < 0 ? '' : text.slice(split + 4), policy }
      }

      it('a route limit counts every spelling the router routes to the route: past the limit none reaches it', async () => {
        const app = await boot({ suspicion: false }, { routeLimit: { limit: 2, windowMs: 60_000 } })
        for (let i = 1; i <= 2; i++) {
          const r = await raw(app, 'GET', '/api/tasks')
          expect([r.status, r.body, r.policy]).toEqual([
            200,
            '{"route":"limited"}',
            '"GET /api/tasks";q=2;w=60',
          ])
        }
        const routed = new Set(harness.spellings ?? spellingsFor(harness.framework))
        for (const s of SPELLINGS) {
          const r = await raw(app, s.method, s.target)
          // The property: no spelling reaches the limited handler past the limit …
          expect(r.body.includes('"route":"limited"'), `${s.name} reached the handler`).toBe(false)
          // … and every spelling this framework's router routes to it is refused by the limit.
          if (routed.has(s)) expect(r.status, s.name).toBe(429)
        }
      })

      it('a refused route limit is a suspicious event: the 5th refusal bans, in every adapter', async () => {
        const app = await boot({}, { routeLimit: { limit: 1, windowMs: 60_000 } })
        const got = await times(6, () => call(app, '/api/tasks'))
        expect(got.map((r) => r.status)).toEqual([200, 429, 429, 429, 429, 403])
        expect(got[5]?.body).toMatchObject({ detail: 'Suspicious activity: 5 events in 24h (ban at 5)' })
      })

      it('a global endpoint limit counts every spelling of its path against one limit', async () => {
        const app = await boot({
          suspicion: false,
          probes: false,
          endpoints: [{ match: '/api/tasks', limit: 3, windowMs: 60_000, methods: ['GET'], id: 'tasks' }],
        })
        for (let i = 1; i <= 3; i++) expect((await raw(app, 'GET', '/api/tasks')).status).toBe(200)
        for (const s of SPELLINGS) {
          const { status } = await raw(app, s.method, s.target)
          // A framework may refuse a target as 400 before any middleware (fastify: an empty authority).
          expect([429, 400], `${s.name}: ${status}`).toContain(status)
        }
      })

      it("a limit by: 'user' counts the user the app authenticated, across addresses, and each user apart", async () => {
        const user = (req: unknown) => harness.header(req, 'x-user')
        const app = await boot(
          {
            user,
            suspicion: false,
            trustProxy: true,
            rules: [limit({ id: 'per-user', limit: 2, windowMs: 60_000, by: 'user' })],
          },
          { trustProxy: true },
        )
        const as = (who: string, client: string) =>
          call(app, '/api/items', { headers: { 'x-user': who }, client })
        expect((await as('u1', '203.0.113.1')).status).toBe(200)
        expect((await as('u1', '203.0.113.2')).status).toBe(200)
        const third = await as('u1', '203.0.113.3')
        expect([third.status, third.headers['ratelimit-policy']]).toEqual([429, '"per-user";q=2;w=60'])
        expect((await as('u2', '203.0.113.3')).status).toBe(200)
      })

      it("a route limit by: 'user' refuses that user on that route only", async () => {
        const user = (req: unknown) => harness.header(req, 'x-user')
        const app = await boot(
          { user, suspicion: false },
          { routeLimit: { limit: 1, windowMs: 60_000, by: 'user' } },
        )
        const as = (who: string, path = '/api/tasks') => call(app, path, { headers: { 'x-user': who } })
        expect((await as('u1')).status).toBe(200)
        expect((await as('u1')).status).toBe(429)
        expect((await as('u1', '/api/items')).status).toBe(200)
        expect((await as('u2')).status).toBe(200)
      })

      it("learns from the status the app answered: a rule on 'not-found' counts 404s, not other answers", async () => {
        const count: EventsCount = {
          kind: 'events',
          rule: 'not-found',
          key: 'r:not-found',
          limit: 2,
          windowMs: 10_000,
          add: 1,
        }
        const notFound: Rule = { id: 'not-found', mode: 'enforce', on: 'not-found', check: () => ({ count }) }
        const app = await boot({ rules: [notFound] })
        for (let i = 0; i < 5; i++) expectAnswer(await call(app, `/api/items?i=${i}`), allowed)
        for (let i = 1; i <= 3; i++) {
          expectAnswer(await call(app, `/gone/${i}`), { status: 404, body: { ok: false } })
          await WHEN_SETTLED()
        }
        expect(app.bans.map((b) => `${b.subject} ${b.rule}`)).toEqual(['ip:127.0.0.1 not-found'])
        expect((await call(app, '/api/items')).status).toBe(403)
      })

      it('an authentication route counts each attempt before its handler: 45 concurrent wrong guesses, 10 reach it', async () => {
        let entered = 0
        let release = () => {}
        const gate = new Promise<void>((resolve) => {
          release = resolve
        })
        const authRoute = async () => {
          entered++
          await gate
          return 401
        }
        const app = await boot({}, { authRoute })
        let answered = 0
        const pending = Array.from({ length: 45 }, () =>
          call(app, '/auth', { method: 'POST' }).then((r) => {
            answered++
            return r
          }),
        )
        // Refusals answer at once; the guesses that got through wait at the gate.
        for (let i = 0; i < 400 && entered + answered < 45; i++) await new Promise((r) => setTimeout(r, 5))
        expect([entered, answered]).toEqual([10, 35])
        release()
        const statuses = (await Promise.all(pending)).map((r) => r.status)
        expect(statuses.filter((s) => s === 401)).toHaveLength(10)
        expect(statuses.filter((s) => s === 403)).toHaveLength(35)
        expect(app.bans.map((b) => b.rule)).toEqual(['auth-failures'])
      })

      it('an authentication route gives the attempt back when it succeeds: 30 good logins never ban', async () => {
        const app = await boot({}, { authRoute: async () => 200 })
        for (let i = 0; i < 30; i++) {
          expectAnswer(await call(app, '/auth', { method: 'POST' }), { status: 200, body: { ok: true } })
          await WHEN_SETTLED()
        }
        expect(app.bans).toEqual([])
      })

      it('a rule of your own, reported by a handler, bans the user from any address and nobody else', async () => {
        const count: EventsCount = {
          kind: 'events',
          rule: '2fa-failures',
          key: 'r:2fa-failures',
          limit: 3,
          windowMs: 600_000,
          add: 1,
        }
        const twoFactor: Rule = {
          id: '2fa-failures',
          mode: 'enforce',
          on: '2fa-failure',
          check: () => ({ count, by: 'user' }),
          describe: (b) => `2FA failures: ${b.count} in 10 min (limit ${b.limit})`,
        }
        const user = (req: unknown) => harness.header(req, 'x-user')
        const app = await boot({ user, rules: [twoFactor], trustProxy: true }, { trustProxy: true })
        const alice = { 'x-user': 'alice' }
        for (let i = 1; i <= 4; i++) {
          expectAnswer(await call(app, '/2fa', { headers: alice, client: `203.0.113.${i}` }), {
            status: 200,
            body: { ok: false },
          })
        }
        expect(app.bans.map((b) => `${b.subject} ${b.rule}`)).toEqual(['user:alice 2fa-failures'])
        expectAnswer(
          await call(app, '/api/items', { headers: alice, client: '198.51.100.99' }),
          ban('2FA failures: 4 in 10 min (limit 3)'),
        )
        expectAnswer(
          await call(app, '/api/items', { headers: { 'x-user': 'bob' }, client: '203.0.113.1' }),
          allowed,
        )
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.1' }), allowed)
      })
    })

    // ------------------------------------------------------------------ responses

    describe('responses', () => {
      it('hides the reason with exposeReason: false', async () => {
        const app = await boot({ exposeReason: false })
        expectAnswer(await call(app, '/', { headers: { 'user-agent': 'Nikto/2.5.0' } }), {
          status: 403,
          body: { error: BAN_ERROR, status: 403 },
          headers: { 'retry-after': HOUR_S },
        })
      })

      it('lets onBlocked and onLimited replace the responses', async () => {
        const app = await boot({
          ...harness.custom,
          endpoints: [{ match: '/api/search', limit: 1, windowMs: 60_000, id: 'search' }],
        })
        await call(app, '/api/search')
        expectAnswer(await call(app, '/api/search'), {
          status: 418,
          body: { handler: 'limited', status: 429 },
        })
        expectAnswer(await call(app, '/', { headers: { 'user-agent': 'sqlmap' } }), {
          status: 418,
          body: { handler: 'blocked', status: 403 },
        })
      })
    })

    // ------------------------------------------------------------------ next to helmet

    it("keeps the security headers of the framework's helmet on served, limited and refused answers", async () => {
      const app = await boot(
        { endpoints: [{ match: '/api/search', limit: 1, windowMs: 60_000, id: 'search' }] },
        { helmet: true },
      )
      const answers: [string, Record<string, string>, number][] = [
        ['/api/search', {}, 200],
        ['/api/search', {}, 429],
        ['/', { 'user-agent': 'sqlmap' }, 403],
      ]
      for (const [path, headers, status] of answers) {
        const res = await fetch(`${app.url}${path}`, { headers })
        await res.arrayBuffer()
        expect(res.status).toBe(status)
        expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
        expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'")
      }
    })

    it("refusals carry no-store, nosniff and a JSON content type on a bare app (no helmet): served answers are the app's", async () => {
      const app = await boot({
        endpoints: [{ match: '/api/search', limit: 1, windowMs: 60_000, id: 'search' }],
      })
      const answers: [string, RequestInit, number][] = [
        ['/api/search', {}, 429],
        ['/', { headers: { 'user-agent': 'sqlmap' } }, 403],
      ]
      const first = await fetch(`${app.url}/api/search`)
      await first.arrayBuffer()
      expect([first.status, first.headers.get('cache-control')]).toEqual([200, null])
      for (const [path, init, status] of answers) {
        const res = await fetch(`${app.url}${path}`, init)
        await res.arrayBuffer()
        expect(
          [
            res.status,
            res.headers.get('cache-control'),
            res.headers.get('x-content-type-options'),
            res.headers.get('content-type'),
          ],
          path,
        ).toEqual([status, 'no-store', 'nosniff', JSON_TYPE])
      }
    })

    // ------------------------------------------------------------------ whitelist and monitor mode

    describe('whitelist and monitor mode', () => {
      it('lets a whitelisted client through everything', async () => {
        const app = await boot({ whitelist: ['127.0.0.1'] })
        const headers = { 'user-agent': 'sqlmap' }
        expect(statuses(await times(60, () => call(app, '/.env', { headers })))).toEqual([200])
        expectAnswer(await call(app, '/decision', { headers }), {
          status: 200,
          body: { conclusion: 'allow', rule: 'whitelist', helper: true },
        })
      })

      it('never changes a response in monitor mode, while still reporting bans', async () => {
        const app = await boot({
          mode: 'monitor',
          bodySize: { maxBytes: 10 },
          endpoints: [{ match: '/api/search', limit: 1, windowMs: 60_000, id: 'search' }],
        })
        expectAnswer(await call(app, '/', { headers: { 'user-agent': 'sqlmap' } }), allowed)
        expect(statuses(await times(60, () => call(app, '/api/items')))).toEqual([200])
        const search = await times(3, () => call(app, '/api/search'))
        for (const r of search) expectAnswer(r, allowed, 'no rate-limit headers in monitor mode')
        expectAnswer(
          await call(app, '/upload', {
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream' },
            body: 'x'.repeat(100),
          }),
          { status: 200, body: { bytes: 100 } },
        )
        for (let i = 0; i < 11; i++) await call(app, '/login')
        await WHEN_SETTLED()
        expect(app.bans.length).toBeGreaterThan(0)
        expect(app.bans.every((b) => !b.enforced)).toBe(true)
      })
    })

    // ------------------------------------------------------------------ ranges, deny lists, verified bots

    describe('ranges, deny lists and verified bots', () => {
      it('refuses a client inside a banned range or a deny source’s range: 403 and Retry-After; others pass', async () => {
        const blocklist = {
          name: 'blocklist',
          start: (sink: DenySink) => {
            sink.replace([{ target: '198.51.100.0/24', reason: 'listed' }])
          },
        }
        const app = await boot({ trustProxy: 'loopback', deny: [blocklist] })
        await app.engine.ready
        await app.engine.ban('203.0.113.0/24', { reason: 'botnet', ttlMs: 600_000 })
        const inRange = ban('Manual ban of 203.0.113.0/24: botnet')
        inRange.headers = { 'retry-after': '600' }
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.77' }), inRange)
        expectAnswer(
          await call(app, '/api/items', { client: '198.51.100.9' }),
          ban('Denied by blocklist: 198.51.100.0/24 (listed)'),
        )
        expectAnswer(await call(app, '/api/items', { client: '203.0.114.1' }), allowed)
        expect(await app.engine.unban('203.0.113.0/24')).toBe(true)
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.77' }), allowed)
      })

      it('lets a verified crawler past burst and probes, held to its own limit: 429, never a ban', async () => {
        const app = await boot({
          trustProxy: 'loopback',
          goodBots: { ranges: { googlebot: ['66.249.64.0/19'] }, limit: { limit: 60, windowMs: 60_000 } },
        })
        const headers = {
          'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
        }
        const crawl = await times(59, (i) =>
          call(app, i % 10 === 0 ? '/.env' : `/api/items?hash=${i}`, { client: '66.249.66.1', headers }),
        )
        expect(statuses(crawl)).toEqual([200])
        const seen = await call(app, '/decision', { client: '66.249.66.1', headers })
        expect([seen.status, seen.body]).toEqual([
          200,
          { conclusion: 'allow', rule: 'good-bots', helper: true },
        ])
        // A verified bot is told its own limit.
        expect(seen.headers['ratelimit-policy']).toBe('"good-bots";q=60;w=60')
        const over = await call(app, '/api/items', { client: '66.249.66.1', headers })
        expect(over.status).toBe(429)
        expect(over.body).toMatchObject({ status: 429 })
        expect(String((over.body as { detail?: string }).detail)).toMatch(
          /^Verified googlebot: over its limit of 60 requests per /,
        )
        expect(app.bans).toEqual([])
      })
    })

    // ------------------------------------------------------------------ client address

    describe('client address', () => {
      it('behind an untrusted load balancer (default options), request 51 is limited for a second, never banned', async () => {
        // Every request comes from 127.0.0.1 carrying X-Forwarded-For: a proxy Bulwark was not told about.
        const app = await boot()
        const rs = await times(50, (i) => call(app, '/api/items', { client: `203.0.113.${i + 1}` }))
        expect(statuses(rs)).toEqual([200])
        const limited = await call(app, '/api/items', { client: '203.0.113.200' })
        expect([limited.status, limited.headers['retry-after']]).toEqual([429, '1'])
        expect(app.bans).toEqual([])
        expect(app.logs.filter((l) => l.includes('BULWARK_PROXY_UNTRUSTED'))).toHaveLength(1)
        expect(app.logs.find((l) => l.includes('BULWARK_PROXY_UNTRUSTED'))).toMatch(/^ERROR .*trustProxy/)
        app.clock.advance(1_000)
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.201' }), allowed)
      })

      it("behind an untrusted load balancer, a rule without a window (a scanner agent) limits it for 60 s, not the request's longest window", async () => {
        // The request also counts an item (scraping: 5 min): the short ban still lasts only the tripped rule's time.
        const app = await boot()
        const sqlmap = { 'user-agent': 'sqlmap/1.8', 'x-forwarded-for': '203.0.113.5' }
        const limited = await call(app, '/api/items?hash=abc', { headers: sqlmap })
        expect([limited.status, limited.headers['retry-after']]).toEqual([429, '60'])
        expect(app.bans).toEqual([])
        app.clock.advance(59_000)
        expect((await call(app, '/api/items', { client: '203.0.113.6' })).status).toBe(429)
        app.clock.advance(1_000)
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.6' }), allowed)
      })

      it('behind an untrusted load balancer, 404s that reach the suspicion ban limit it for 60 s (not 24 h), health checks included', async () => {
        const app = await boot()
        for (let i = 1; i <= 14; i++) {
          const r = await call(app, `/gone/page-${i}`, { client: `203.0.113.${i}` })
          expect(r.status, `404 ${i}`).toBe(404)
          await WHEN_SETTLED()
        }
        const fifteenth = await call(app, '/gone/page-15', { client: '203.0.113.15' })
        expect(fifteenth.status).toBe(404)
        await WHEN_SETTLED()
        const limited = await call(app, '/api/items', { client: '203.0.113.99' })
        expect([limited.status, limited.headers['retry-after']]).toEqual([429, '60'])
        // The balancer's own health check carries no X-Forwarded-For: limited too, never refused with 403.
        const health = await call(app, '/api/items')
        expect([health.status, health.headers['retry-after']]).toEqual([429, '60'])
        expect(app.bans).toEqual([])
        app.clock.advance(60_000)
        expectAnswer(await call(app, '/api/items'), allowed)
      })

      it("ignores a spoofed X-Forwarded-For: the socket address is counted, and proxyMisconfiguration: 'strict' bans it", async () => {
        const app = await boot({ proxyMisconfiguration: 'strict' })
        const rs = await times(50, (i) => call(app, '/api/items', { client: `203.0.113.${i + 1}` }))
        expect(statuses(rs)).toEqual([200])
        expectAnswer(
          await call(app, '/api/items', { client: '203.0.113.200' }),
          ban('Burst: 51 req/s (limit 50)'),
        )
        expect(app.bans).toMatchObject([{ ip: '127.0.0.1' }])
      })

      it('honours X-Forwarded-For from a trusted proxy', async () => {
        const app = await boot({ trustProxy: 'loopback' })
        await app.engine.ban('203.0.113.7', { reason: 'abuse' })
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.7' }), ban('Manual ban: abuse'))
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.8' }), allowed)
        const a = await times(50, () => call(app, '/api/items', { client: '198.51.100.1' }))
        const b = await times(50, () => call(app, '/api/items', { client: '198.51.100.2' }))
        expect(statuses([...a, ...b])).toEqual([200])
        expectAnswer(
          await call(app, '/api/items', { client: '198.51.100.1' }),
          ban('Burst: 51 req/s (limit 50)'),
        )
      })

      it('a trusted proxy that sends no X-Forwarded-For (or an empty one) is limited for the rule window, never banned', async () => {
        // trustProxy: 1 and the proxy on loopback forgets the header: every client arrives as 127.0.0.1.
        const app = await boot({ trustProxy: 1 })
        const rs = await times(50, (i) =>
          call(app, '/api/items', i % 2 === 0 ? {} : { headers: { 'x-forwarded-for': '' } }),
        )
        expect(statuses(rs)).toEqual([200])
        const limited = await call(app, '/api/items')
        expect([limited.status, limited.headers['retry-after']]).toEqual([429, '1'])
        expect(app.bans).toEqual([])
        app.clock.advance(1_000)
        expectAnswer(await call(app, '/api/items', { client: '203.0.113.9' }), allowed)
      })

      it('X-Forwarded-For naming the trusted proxy itself does not land a ban on the proxy', async () => {
        const app = await boot({ trustProxy: 1 })
        const rs = await times(50, () => call(app, '/api/items', { client: '127.0.0.1' }))
        expect(statuses(rs)).toEqual([200])
        const limited = await call(app, '/api/items', { client: '127.0.0.1' })
        expect(limited.status).toBe(429)
        expect(app.bans).toEqual([])
        // A real client behind the proxy is still answered, and still banned on its own burst.
        const own = await times(50, () => call(app, '/api/items', { client: '198.51.100.3' }))
        expect(statuses(own)).toEqual([200])
        expectAnswer(
          await call(app, '/api/items', { client: '198.51.100.3' }),
          ban('Burst: 51 req/s (limit 50)'),
        )
      })

      it('warns once when the framework and Bulwark disagree about proxies', async () => {
        const app = await boot({}, { trustProxy: true })
        await call(app, '/api/items')
        await call(app, '/api/items')
        expect(app.logs.filter((l) => l.includes('BULWARK_TRUST_PROXY_MISMATCH'))).toHaveLength(1)
      })

      it('does not warn when they agree', async () => {
        const trusting = await boot({ trustProxy: 'loopback' }, { trustProxy: true })
        const neither = await boot()
        await call(trusting, '/api/items')
        await call(neither, '/api/items')
        expect([...trusting.logs, ...neither.logs].filter((l) => l.includes('MISMATCH'))).toEqual([])
      })
    })

    // ------------------------------------------------------------------ failure

    describe('engine failure', () => {
      function broken(how: 'reject' | 'throw'): Bulwark {
        const engine = createBulwark({ clock: fakeClock(), logger: false })
        const fail = () => new Error('store exploded')
        const failing =
          how === 'reject'
            ? () => Promise.reject(fail())
            : () => {
                throw fail()
              }
        engine.inspect = failing
        engine.decide = failing
        engine.reportAuthFailure = () => Promise.reject(fail())
        return engine
      }

      for (const how of ['reject', 'throw'] as const) {
        it(`serves the request when the engine ${how}s (fail-open) and emits an error event`, async () => {
          const app = await boot({ engine: broken(how) })
          expectAnswer(await call(app, '/api/items'), allowed)
          expectAnswer(await call(app, '/decision'), {
            status: 200,
            body: { conclusion: null, rule: null, helper: true },
          })
          expectAnswer(await call(app, '/login'), { status: 401, body: { ok: false } })
          expectAnswer(await call(app, '/login-report'), { status: 401, body: { ok: false } })
          await WHEN_SETTLED()
          expect(app.errors.length).toBeGreaterThanOrEqual(3)
          expect(app.errors[0]).toMatchObject({ code: 'ERR_BULWARK_ADAPTER' })
          expect(app.errors[0]?.message).toContain('store exploded')
          await app.engine.close()
        })
      }

      it('serves the request when an option callback throws', async () => {
        const app = await boot({
          item: () => {
            throw new Error('item exploded')
          },
        })
        expectAnswer(await call(app, '/api/items?hash=a'), allowed)
        expect(app.errors.map((e) => e.message).join()).toContain('item exploded')
      })
    })

    // ------------------------------------------------------------------ malformed input

    describe('malformed requests never crash', () => {
      const head = (lines: string[], path = '/api/items') =>
        Buffer.from(
          `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`,
          'utf8',
        )
      const cases: [string, Buffer, number][] = [
        ['a huge X-Forwarded-For', head([`X-Forwarded-For: ${'10.0.0.1, '.repeat(1100)}10.0.0.2`]), 200],
        [
          'non-IP X-Forwarded-For values',
          head(['X-Forwarded-For: not-an-ip, 999.1.1.1, ::ffff:zzz, [::1]:80, , unknown']),
          200,
        ],
        [
          'unicode in headers',
          head(['User-Agent: Mozilla/5.0 ☃ 日本語 🚀', 'X-Forwarded-For: ١٢٧.٠.٠.١', 'X-Api-Key: ключ']),
          200,
        ],
        [
          'repeated X-Forwarded-For headers',
          head(['X-Forwarded-For: 1.2.3.4', 'X-Forwarded-For: 5.6.7.8']),
          200,
        ],
        ['a huge API key', head([`X-Api-Key: ${'k'.repeat(12_000)}`]), 200],
        ['a percent-encoded unicode path', head([], '/caf%C3%A9/%F0%9F%9A%80'), 200],
        ['an invalid Content-Length', head(['Content-Length: abc']), 400],
        ['a negative Content-Length', head(['Content-Length: -1']), 400],
        ['a control character in a header', head(['User-Agent: a\u0000b']), 400],
      ]
      for (const [label, bytes, status] of cases) {
        it(`answers ${status} to ${label}`, async () => {
          const app = await boot({ trustProxy: 'loopback' })
          const r = await rawExchange(app.url, bytes)
          expect(r.status).toBe(status)
          if (status === 200) expect(r.text.endsWith(JSON.stringify(OK))).toBe(true)
          expectAnswer(await call(app, '/api/items'), allowed, 'still serving')
          expect(app.errors).toEqual([])
        })
      }

      it('fuzz: 1,000 requests with arbitrary headers always get a non-5xx answer and no engine error', async () => {
        const app = await boot({
          trustProxy: 'loopback',
          endpoints: [{ match: '/api/search', limit: 5, windowMs: 1_000 }],
          bodySize: { maxBytes: 1024 },
          suspicion: false,
          ban: { ttlMs: 1_000, escalation: false },
        })
        await fc.assert(
          fc.asyncProperty(fuzzRequest(), async (bytes) => {
            app.clock.advance(1_001)
            const r = await rawExchange(app.url, bytes)
            return r.status >= 200 && r.status < 500 && app.errors.length === 0
          }),
          { numRuns: 1_000 },
        )
        // A fuzzed agent can match a scanner signature and ban the sender (1 s here), and a fuzzed X-Forwarded-For that
        // names no client makes the loopback proxy a suspected one, limited (429) for a rule's window instead (at most
        // the scraping rule's 5 min): still serving once that is over.
        app.clock.advance(5 * 60_000 + 1)
        expectAnswer(await call(app, '/api/items'), allowed, 'still serving')
      }, 60_000)
    })
  })
}

const TCHAR = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".split('')

/** Raw request bytes: a known path and method, then up to 12 headers with arbitrary names and byte values. */
export function fuzzRequest(): fc.Arbitrary<Buffer> {
  const token = fc.string({ unit: fc.constantFrom(...TCHAR), minLength: 1, maxLength: 24 })
  const name = fc.oneof(
    fc.constantFrom(
      'X-Forwarded-For',
      'User-Agent',
      'Content-Length',
      'X-Api-Key',
      'Content-Type',
      'Transfer-Encoding',
      'Expect',
      'Cookie',
      'Host',
    ),
    token.filter((t) => t.toLowerCase() !== 'connection'),
  )
  const address = fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.domain(), fc.string({ maxLength: 20 }))
  const text = (s: string) => Buffer.from(s, 'utf8')
  const value = fc.oneof(
    fc.string({ maxLength: 200 }).map(text),
    fc.string({ unit: 'grapheme', maxLength: 50 }).map(text),
    fc.array(address, { maxLength: 40 }).map((a) => text(a.join(', '))),
    fc.integer().map((n) => text(String(n))),
    fc.constantFrom('sqlmap/1.0', '', ' ', '-1', '1e3', '0x10', '10485761', '1, 2', '2048').map(text),
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.nat({ max: 12_000 }).map((n) => Buffer.alloc(n, 'a')),
  )
  const path = fc.oneof(
    fc.constantFrom(
      '/',
      '/api/items',
      '/api/items?hash=x',
      '/api/search',
      '/.env',
      '/login',
      '/decision',
      '/caf%C3%A9',
      '/%zz',
      '/%E0%A4%A',
      '//x//y',
      '/..%2f..%2fetc/passwd',
    ),
    fc.webPath().filter((p) => p.startsWith('/')),
  )
  const method = fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH')
  return fc
    .record({ method, path, headers: fc.array(fc.tuple(name, value), { maxLength: 12 }) })
    .map(({ method, path, headers }) =>
      Buffer.concat([
        text(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`),
        ...headers.flatMap(([n, v]) => [text(`${n}: `), v, text('\r\n')]),
        text('Connection: close\r\n\r\n'),
      ]),
    )
}
