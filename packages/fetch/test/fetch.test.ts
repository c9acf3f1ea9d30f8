// The Fetch API forms driven with `new Request(...)` objects directly: no server, the way Next.js, Bun and Deno
// call a fetch handler.
import { type BanEvent, type BulwarkError, createBulwark, type Diagnostic } from '@bulwark/core'
import { fakeClock } from '@bulwark/testkit'
import { afterEach, describe, expect, it } from 'vitest'
import { type BulwarkHandler, type BulwarkRequestState, bulwark, withBulwark } from '../src/index.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

const BASE = 'http://app.test'
const JSON_TYPE = 'application/json; charset=utf-8'

/** A test engine: fake clock, no log output, its events collected. */
function engine(options: Parameters<typeof createBulwark>[0] = {}) {
  const clock = fakeClock()
  const e = createBulwark({ clock, logger: false, ...options })
  const bans: BanEvent[] = []
  const errors: BulwarkError[] = []
  const diagnostics: Diagnostic[] = []
  e.on('ban', (b) => bans.push(b))
  e.on('error', (err) => errors.push(err))
  e.on('diagnostic', (d) => diagnostics.push(d))
  closers.push(() => e.close())
  return { engine: e, clock, bans, errors, diagnostics }
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

/** A Bun server as `Bun.serve` hands it to `fetch(request, server)`: only `requestIP` matters here. */
const bunServer = (address: string) => ({ requestIP: () => ({ address, family: 'IPv4', port: 50_000 }) })
/** Deno's `ServeHandlerInfo`, as `Deno.serve` hands it to the handler. */
const denoInfo = (hostname: string) => ({ remoteAddr: { transport: 'tcp', hostname, port: 50_000 } })

describe('withBulwark: a Next.js route handler (Node runtime), called as Next.js calls it', () => {
  // app/api/projects/[id]/route.ts: Next.js gives the handler the request and `{ params }` (a promise since Next 15),
  // and no connection: behind a proxy that sets X-Real-IP, that header names the client.
  type Params = { params: Promise<{ id: string }> }
  const call = (
    handler: (r: Request, ctx: Params) => Promise<Response>,
    init: RequestInit = {},
    ip = '203.0.113.5',
  ) =>
    handler(
      new Request(`${BASE}/api/projects/42`, { ...init, headers: { 'x-real-ip': ip, ...init.headers } }),
      { params: Promise.resolve({ id: '42' }) },
    )

  it('serves the handler, which sees its params and the decision; refuses a scanner with 403 JSON', async () => {
    const { engine: e, bans } = engine()
    const seen: unknown[] = []
    const GET = withBulwark(
      async (request: Request, { params }: Params, state) => {
        seen.push([(await params).id, state?.decision?.conclusion, request.method])
        return Response.json({ id: (await params).id })
      },
      { engine: e, ip: (request) => request.headers.get('x-real-ip') },
    )
    const ok = await call(GET)
    expect([ok.status, await ok.json()]).toEqual([200, { id: '42' }])
    expect(seen).toEqual([['42', 'allow', 'GET']])
    const refused = await call(GET, { headers: { 'user-agent': 'sqlmap/1.7' } }, '203.0.113.6')
    expect(refused.status).toBe(403)
    expect(refused.headers.get('content-type')).toBe(JSON_TYPE)
    expect(refused.headers.get('retry-after')).toBe('3600')
    expect(refused.headers.get('cache-control')).toBe('no-store')
    expect(await refused.json()).toEqual({
      error: 'Rate Limit Exceeded - Security Block',
      status: 403,
      detail: 'Scanner user agent: sqlmap',
    })
    expect(bans).toMatchObject([{ ip: '203.0.113.6', rule: 'scanner' }])
    expect(seen).toHaveLength(1)
    expect((await call(GET)).status, 'another client is still served').toBe(200)
  })

  it('a route limit on the handler: RateLimit headers on its answers, 429 past it, named by its id', async () => {
    const { engine: e } = engine({ suspicion: false })
    const POST = withBulwark(async () => Response.json({ created: true }, { status: 201 }), {
      engine: e,
      ip: (request) => request.headers.get('x-real-ip'),
      limit: { id: 'create-project', limit: 2, windowMs: 60_000 },
    })
    const answers = []
    for (let i = 0; i < 3; i++) answers.push(await call(POST, { method: 'POST' }))
    expect(answers.map((r) => [r.status, r.headers.get('ratelimit')])).toEqual([
      [201, '"create-project";r=1;t=60'],
      [201, '"create-project";r=0;t=60'],
      [429, '"create-project";r=0;t=60'],
    ])
    expect(answers[0]?.headers.get('ratelimit-policy')).toBe('"create-project";q=2;w=60')
    expect(await answers[2]?.json()).toMatchObject({ status: 429, error: 'Too Many Requests' })
    expect((await call(POST, { method: 'POST' }, '203.0.113.99')).status, 'counted per client').toBe(201)
  })

  it('counts 401 answers as auth failures and bans the client at the 11th', async () => {
    const { engine: e, bans } = engine()
    const POST = withBulwark(async () => Response.json({ error: 'invalid credentials' }, { status: 401 }), {
      engine: e,
      ip: (request) => request.headers.get('x-real-ip'),
    })
    for (let i = 0; i < 11; i++) {
      expect((await call(POST, { method: 'POST' })).status).toBe(401)
      await settled()
    }
    expect(bans).toMatchObject([{ rule: 'auth-failures', ip: '203.0.113.5' }])
    expect((await call(POST, { method: 'POST' })).status).toBe(403)
  })

  it('without an ip option nor a runtime that gives the address, refuses (400) and says why, once', async () => {
    const { engine: e, diagnostics, bans } = engine()
    let ran = 0
    const GET = withBulwark(
      () => {
        ran++
        return new Response('ok')
      },
      { engine: e },
    )
    const r = await GET(new Request(`${BASE}/`), { params: Promise.resolve({}) })
    await GET(new Request(`${BASE}/`), { params: Promise.resolve({}) })
    expect([r.status, ran, bans]).toEqual([400, 0, []])
    expect(diagnostics.map((d) => [d.code, d.detail])).toEqual([
      [
        'BULWARK_NO_CLIENT_ADDRESS',
        "no `ip` option, and the handler's second argument is not Bun's server, Deno's info or @hono/node-server's bindings",
      ],
    ])
  })
})

describe('Next.js middleware (Node runtime) in front of wrapped route handlers', () => {
  it('globalRules: false: a request is counted once, bans still hold, the handler learns the answer', async () => {
    const { engine: e, bans, clock } = engine()
    const guard = bulwark({ engine: e })
    const ip = (request: Request) => request.headers.get('x-real-ip')
    // middleware.ts: the app-wide rules, before every route; NextResponse.next() says "go on" to Next.js.
    const middleware = (request: Request) =>
      guard.handle(
        request,
        { ip: ip(request) },
        () => new Response(null, { headers: { 'x-middleware-next': '1' } }),
      )
    // app/login/route.ts: its own limit and the auth-failure count, not the global rules again.
    const POST = guard.wrap(() => Response.json({ error: 'invalid credentials' }, { status: 401 }), {
      ip,
      globalRules: false,
      limit: { id: 'login', limit: 100, windowMs: 60_000 },
    })
    const request = (client: string) =>
      new Request(`${BASE}/login`, { method: 'POST', headers: { 'x-real-ip': client } })
    // 30 requests in one second through the middleware and a handler: counted twice, 60 would be a burst ban.
    const through = async (handler: (r: Request, ctx: unknown) => Promise<Response>, client: string) => {
      clock.advance(2_000)
      for (let i = 0; i < 30; i++) {
        expect((await middleware(request(client))).status).toBe(200)
        expect((await handler(request(client), {})).status).toBe(200)
      }
    }
    await through(
      guard.wrap(() => Response.json({ ok: true }), { ip, globalRules: false }),
      '198.51.100.20',
    )
    expect(bans).toEqual([])
    const twice = guard.wrap(() => Response.json({ ok: true }), { ip })
    await expect(through(twice, '198.51.100.21'), 'counted twice').rejects.toThrow()
    expect(bans.map((b) => b.rule)).toEqual(['burst'])
    bans.length = 0
    for (let i = 0; i < 11; i++) {
      const mw = await middleware(request('198.51.100.30'))
      if (mw.headers.get('x-middleware-next') === '1') await POST(request('198.51.100.30'), {})
      await settled()
    }
    expect(bans.map((b) => b.rule)).toEqual(['auth-failures'])
    expect(
      (await POST(request('198.51.100.30'), {})).status,
      'the wrapper alone refuses a banned client',
    ).toBe(403)
  })
})

describe('the client address: from the runtime, X-Forwarded-For only through trustProxy', () => {
  const handler: BulwarkHandler = () => new Response('ok')

  it("reads Bun's server.requestIP(request) and Deno's info.remoteAddr without options", async () => {
    const { engine: e, bans } = engine()
    const fetchHandler = withBulwark(handler, { engine: e })
    const scanner = { headers: { 'user-agent': 'Nikto/2.5.0' } }
    expect((await fetchHandler(new Request(BASE, scanner), bunServer('198.51.100.1'))).status).toBe(403)
    expect((await fetchHandler(new Request(BASE, scanner), denoInfo('198.51.100.2'))).status).toBe(403)
    expect(
      (await fetchHandler(new Request(BASE), { incoming: { socket: { remoteAddress: '198.51.100.3' } } }))
        .status,
    ).toBe(200)
    expect(bans.map((b) => b.ip)).toEqual(['198.51.100.1', '198.51.100.2'])
    expect((await fetchHandler(new Request(BASE), bunServer('198.51.100.1'))).status, 'the ban holds').toBe(
      403,
    )
  })

  it('ignores a spoofed X-Forwarded-For by default; believes it from a trusted proxy', async () => {
    const spoofed = engine()
    const direct = withBulwark(handler, { engine: spoofed.engine })
    const xff = { headers: { 'x-forwarded-for': '203.0.113.77', 'user-agent': 'sqlmap' } }
    await direct(new Request(BASE, xff), bunServer('198.51.100.1'))
    expect(spoofed.bans.map((b) => b.ip)).toEqual(['198.51.100.1'])
    expect(spoofed.diagnostics.map((d) => d.code)).toContain('BULWARK_XFF_UNTRUSTED')

    const proxied = engine({ trustProxy: 'loopback' })
    const behindProxy = withBulwark(handler, { engine: proxied.engine })
    await behindProxy(new Request(BASE, xff), bunServer('127.0.0.1'))
    expect(proxied.bans.map((b) => b.ip)).toEqual(['203.0.113.77'])
  })

  it('an ip option that throws is reported and the request refused as one without an address', async () => {
    const { engine: e, errors } = engine()
    const guarded = withBulwark(handler, {
      engine: e,
      ip: () => {
        throw new Error('no header store')
      },
    })
    expect((await guarded(new Request(BASE), undefined)).status).toBe(400)
    expect(errors.map((err) => err.message).join()).toContain('no header store')
  })
})

describe('bulwark(options).handle(request, info, next)', () => {
  it('adds the rate-limit headers to an immutable Response (fetch, Response.redirect) by copying it', async () => {
    const { engine: e } = engine({ endpoints: [{ match: '/go', limit: 5, windowMs: 60_000, id: 'go' }] })
    const guard = bulwark({ engine: e })
    const redirect = Response.redirect(`${BASE}/elsewhere`, 302)
    expect(() => redirect.headers.set('x', 'y')).toThrow(TypeError)
    const r = await guard.handle(new Request(`${BASE}/go`), { ip: '198.51.100.4' }, () => redirect)
    expect([r.status, r.headers.get('location'), r.headers.get('ratelimit')]).toEqual([
      302,
      `${BASE}/elsewhere`,
      '"go";r=4;t=60',
    ])
    const mutable = new Response('body')
    const same = await guard.handle(new Request(`${BASE}/go`), { ip: '198.51.100.4' }, () => mutable)
    expect(same, 'a mutable Response is kept, not copied').toBe(mutable)
    expect(await same.text()).toBe('body')
  })

  it('hands next the state: the decision, reportAuthFailure() and report(event)', async () => {
    const { engine: e, bans } = engine()
    const guard = bulwark({ engine: e })
    const states: (BulwarkRequestState | undefined)[] = []
    for (let i = 0; i < 11; i++) {
      await guard.handle(new Request(`${BASE}/token`), { ip: '198.51.100.5' }, async (_r, state) => {
        states.push(state)
        await state?.reportAuthFailure() // a failure that is not a 401
        return new Response('bad token', { status: 400 })
      })
    }
    expect(states[0]?.decision).toMatchObject({ conclusion: 'allow' })
    expect(typeof states[0]?.report).toBe('function')
    expect(bans).toMatchObject([{ rule: 'auth-failures', ip: '198.51.100.5' }])
  })

  it('skip(request) leaves a request alone: no decision, no state, never refused', async () => {
    const { engine: e } = engine()
    const guard = bulwark({ engine: e, skip: (r) => new URL(r.url).pathname === '/health' })
    let state: BulwarkRequestState | undefined = {} as BulwarkRequestState
    const r = await guard.handle(
      new Request(`${BASE}/health`, { headers: { 'user-agent': 'sqlmap' } }),
      {},
      (_r, s) => {
        state = s
        return new Response('up')
      },
    )
    expect([r.status, state]).toEqual([200, undefined])
  })

  it('onBlocked and onLimited replace the answers; returning undefined lets the request through', async () => {
    const { engine: e } = engine({
      endpoints: [{ match: '/search', limit: 1, windowMs: 60_000, id: 'search' }],
    })
    const guard = bulwark({
      engine: e,
      onLimited: (_request, decision) => Response.json({ slowDown: decision.status }, { status: 418 }),
      onBlocked: (request) =>
        new URL(request.url).searchParams.has('pass') ? undefined : new Response('no', { status: 451 }),
    })
    const next = () => new Response('served')
    const at = (path: string, ip: string, init?: RequestInit) =>
      guard.handle(new Request(`${BASE}${path}`, init), { ip }, next)
    await at('/search', '198.51.100.6')
    const limited = await at('/search', '198.51.100.6')
    expect([limited.status, await limited.json()]).toEqual([418, { slowDown: 429 }])
    const ua = { headers: { 'user-agent': 'sqlmap' } }
    expect((await at('/', '198.51.100.7', ua)).status).toBe(451)
    const through = await at('/?pass', '198.51.100.7', ua)
    expect([through.status, await through.text()]).toEqual([200, 'served'])
  })

  it('an auth request counts its attempt before next runs: 20 concurrent wrong guesses, 10 reach next', async () => {
    const { engine: e, bans } = engine()
    const guard = bulwark({ engine: e })
    let entered = 0
    let release = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const login = async () => {
      entered++
      await gate
      return new Response('invalid', { status: 401 })
    }
    const pending = Array.from({ length: 20 }, () =>
      guard.handle(
        new Request(`${BASE}/login`, { method: 'POST' }),
        { ip: '198.51.100.8', auth: true },
        login,
      ),
    )
    for (let i = 0; i < 100 && entered < 10; i++) await settled()
    release()
    const statuses = (await Promise.all(pending)).map((r) => r.status)
    expect([
      entered,
      statuses.filter((s) => s === 401).length,
      statuses.filter((s) => s === 403).length,
    ]).toEqual([10, 10, 10])
    expect(bans.map((b) => b.rule)).toEqual(['auth-failures'])
  })

  it('an auth request that succeeds gives its attempt back: 30 good logins never ban', async () => {
    const { engine: e, bans } = engine()
    const guard = bulwark({ engine: e })
    for (let i = 0; i < 30; i++) {
      const r = await guard.handle(
        new Request(`${BASE}/login`, { method: 'POST' }),
        { ip: '198.51.100.9', auth: true },
        () => Response.json({ ok: true }),
      )
      expect(r.status).toBe(200)
      await settled()
    }
    expect(bans).toEqual([])
  })

  it('learns 404s for rules on not-found', async () => {
    const { engine: e, bans } = engine({
      rules: [
        {
          id: 'not-found',
          mode: 'enforce',
          on: 'not-found',
          check: () => ({
            count: {
              kind: 'events',
              rule: 'not-found',
              key: 'r:not-found',
              limit: 2,
              windowMs: 10_000,
              add: 1,
            },
          }),
        },
      ],
    })
    const guard = bulwark({ engine: e })
    for (let i = 0; i < 3; i++) {
      await guard.handle(
        new Request(`${BASE}/gone/${i}`),
        { ip: '198.51.100.10' },
        () => new Response(null, { status: 404 }),
      )
      await settled()
    }
    expect(bans.map((b) => b.rule)).toEqual(['not-found'])
  })

  it('fails open: a broken engine serves the request and reports an error; an error thrown by next is yours', async () => {
    const { engine: e, errors } = engine()
    e.decide = () => {
      throw new Error('store exploded')
    }
    const guard = bulwark({ engine: e })
    const r = await guard.handle(new Request(BASE), { ip: '198.51.100.11' }, (_r, state) =>
      Response.json({ decision: state?.decision ?? null }),
    )
    expect([r.status, await r.json()]).toEqual([200, { decision: null }])
    expect(errors[0]).toMatchObject({ code: 'ERR_BULWARK_ADAPTER' })
    await expect(
      guard.handle(new Request(BASE), { ip: '198.51.100.11' }, () => {
        throw new Error('handler bug')
      }),
    ).rejects.toThrow('handler bug')
  })

  it('matches global endpoints on the path as a router would route it: a trailing slash ignored unless told', async () => {
    const endpoints = [{ match: /^\/api\/tasks$/, limit: 1, windowMs: 60_000, id: 'tasks' }]
    const broad = bulwark({ engine: engine({ endpoints, suspicion: false }).engine })
    const strict = bulwark({
      engine: engine({ endpoints, suspicion: false }).engine,
      routing: { caseSensitive: true, ignoreTrailingSlash: false },
    })
    const next = () => new Response('ok')
    const ask = (g: typeof broad, path: string) =>
      g.handle(new Request(`${BASE}${path}`), { ip: '198.51.100.12' }, next)
    expect((await ask(broad, '/api/tasks')).status).toBe(200)
    expect((await ask(broad, '/API/%74asks/')).status).toBe(429)
    expect((await ask(strict, '/api/tasks')).status).toBe(200)
    expect((await ask(strict, '/api/tasks/')).status, 'a different route to a strict router').toBe(200)
    expect((await ask(strict, '/api/x/../tasks')).status, 'the URL resolved the dot segment').toBe(429)
  })

  it('counts the path WHATWG URL parses from request.url: Deno hands over the target as sent', async () => {
    const endpoints = [{ match: '/api/tasks', limit: 1, windowMs: 60_000, id: 'tasks' }]
    const guard = bulwark({ engine: engine({ endpoints, suspicion: false, probes: false }).engine })
    // Node's Request parses its URL; Deno's `request.url` keeps `\` and dot segments (observed with Deno 2.9).
    const asDeno = (url: string) => ({ url, method: 'GET', headers: new Headers() }) as unknown as Request
    const next = () => new Response('ok')
    expect(
      (await guard.handle(asDeno('http://localhost/api/tasks'), { ip: '198.51.100.13' }, next)).status,
    ).toBe(200)
    for (const url of [
      'http://localhost/api\\tasks',
      'http://localhost/api/./tasks',
      'HTTP://X/api/%2E/tasks',
    ]) {
      const r = await guard.handle(asDeno(url), { ip: '198.51.100.13' }, next)
      expect([url, r.status]).toEqual([url, 429])
    }
  })

  it('checks a limit when the handler is wrapped, not on the first request', () => {
    const guard = bulwark({ logger: false })
    closers.push(() => guard.engine.close())
    expect(() => guard.wrap(() => new Response(), { limit: { id: 'x', limit: 0, windowMs: 1000 } })).toThrow(
      /limit/,
    )
  })
})
