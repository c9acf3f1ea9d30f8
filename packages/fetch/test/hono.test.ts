import { type BanEvent, type BulwarkError, createBulwark, type Diagnostic } from '@bulwark/core'
import { fakeClock, listen, rawExchange, SPELLINGS } from '@bulwark/testkit'
import { createAdaptorServer } from '@hono/node-server'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { afterEach, describe, expect, it } from 'vitest'
import { type BulwarkHonoOptions, bulwarkHono } from '../src/hono.js'

const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

function engine(options: Parameters<typeof createBulwark>[0] = {}) {
  const e = createBulwark({ clock: fakeClock(), logger: false, ...options })
  const bans: BanEvent[] = []
  const errors: BulwarkError[] = []
  const diagnostics: Diagnostic[] = []
  e.on('ban', (b) => bans.push(b))
  e.on('error', (err) => errors.push(err))
  e.on('diagnostic', (d) => diagnostics.push(d))
  closers.push(() => e.close())
  return { engine: e, bans, errors, diagnostics }
}

/** `@hono/node-server`'s bindings, as `app.request(path, init, env)` takes them: only the socket matters here. */
const from = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } })

/** One raw HTTP/1.1 request to a served app (the target byte for byte): status and body. */
async function raw(url: string, method: string, target: string) {
  const r = await rawExchange(
    url,
    Buffer.from(`${method} ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`, 'latin1'),
  )
  return { status: r.status, body: r.text.slice(r.text.indexOf('\r\n\r\n') + 4) }
}

async function served(app: Hono): Promise<string> {
  const server = await listen(createAdaptorServer({ fetch: app.fetch }) as Parameters<typeof listen>[0])
  closers.push(server.close)
  return server.url
}

describe('hono: route limits', () => {
  it("one counter per route, named by Hono's matched route (method and pattern); one shared with an id", async () => {
    const { engine: e } = engine({ suspicion: false })
    const mw = bulwarkHono({ engine: e })
    const app = new Hono()
    app.use(mw)
    const perRoute = mw.limit({ limit: 1, windowMs: 60_000 })
    const shared = mw.limit({ limit: 1, windowMs: 60_000, id: 'exports' })
    app.get('/items/:id', perRoute, (c) => c.json({ id: c.req.param('id') }))
    app.post('/items/:id', perRoute, (c) => c.json({ posted: true }))
    app.get('/x', shared, (c) => c.text('x'))
    app.get('/y', shared, (c) => c.text('y'))
    const get = (path: string, method = 'GET') => app.request(path, { method }, from('198.51.100.1'))
    const first = await get('/items/1')
    expect([first.status, first.headers.get('ratelimit-policy')]).toEqual([200, '"GET /items/:id";q=1;w=60'])
    expect((await get('/items/2')).status, 'another id, the same route').toBe(429)
    expect((await get('/items/2', 'HEAD')).status, 'HEAD runs the GET route').toBe(429)
    expect((await get('/items/1', 'POST')).headers.get('ratelimit-policy')).toBe('"POST /items/:id";q=1;w=60')
    expect((await get('/x')).status).toBe(200)
    expect((await get('/y')).status).toBe(429)
  })

  it("a route limit's RateLimit headers win over an app-wide endpoint's on the same answer", async () => {
    const { engine: e } = engine({
      suspicion: false,
      endpoints: [{ match: '/api/', limit: 100, windowMs: 60_000, id: 'api' }],
    })
    const mw = bulwarkHono({ engine: e })
    const app = new Hono()
    app.use(mw)
    app.get('/api/export', mw.limit({ limit: 2, windowMs: 3_600_000 }), (c) => c.text('csv'))
    app.get('/api/list', (c) => c.text('list'))
    const r = await app.request('/api/export', {}, from('198.51.100.2'))
    expect(r.headers.get('ratelimit')).toBe('"GET /api/export";r=1;t=3600')
    expect((await app.request('/api/list', {}, from('198.51.100.2'))).headers.get('ratelimit')).toBe(
      '"api";r=98;t=60',
    )
  })

  it('options are checked when the limit is made', () => {
    const mw = bulwarkHono({ logger: false })
    closers.push(() => mw.engine.close())
    expect(() => mw.limit({ limit: 0, windowMs: 60_000 })).toThrow(/limit\.limit/)
  })
})

describe('hono: what its router routes is what Bulwark counts', () => {
  // Beyond the suite's SPELLINGS: @hono/node-server parses the target with WHATWG URL, which resolves dot segments
  // (encoded ones too), so Hono routes these to `GET /api/tasks` (observed with hono 4.13, @hono/node-server 2.1).
  const DOTS = ['/api/./tasks', '/api/x/../tasks', '/api/%2E/tasks', '/api/x/%2E%2E/tasks', '/api/%2e/tasks']

  it('a route limit and a global endpoint limit count the dot-segment spellings too', async () => {
    const { engine: e } = engine({
      suspicion: false,
      probes: false,
      endpoints: [{ match: '/api/tasks', limit: 2, windowMs: 60_000, methods: ['GET'], id: 'tasks' }],
    })
    const mw = bulwarkHono({ engine: e })
    const app = new Hono()
    app.use(mw)
    app.get('/api/tasks', mw.limit({ limit: 3, windowMs: 60_000 }), (c) => c.json({ route: 'tasks' }))
    app.get('*', (c) => c.json({ route: 'other' }, 404))
    const url = await served(app)
    expect((await raw(url, 'GET', '/api/tasks')).status).toBe(200)
    expect((await raw(url, 'GET', DOTS[0] as string)).body, 'routed to the handler').toBe('{"route":"tasks"}')
    for (const target of DOTS) {
      const r = await raw(url, 'GET', target)
      expect([target, r.status]).toEqual([target, 429])
    }
  })

  it("a global endpoint limit counts every spelling of the suite's list; http:///api/tasks is Hono's /tasks", async () => {
    const { engine: e } = engine({
      suspicion: false,
      probes: false,
      endpoints: [{ match: '/api/tasks', limit: 3, windowMs: 60_000, methods: ['GET'], id: 'tasks' }],
    })
    const app = new Hono()
    app.use(bulwarkHono({ engine: e }))
    app.get('*', (c) => c.json({ path: c.req.path }))
    const url = await served(app)
    for (let i = 1; i <= 3; i++) expect((await raw(url, 'GET', '/api/tasks')).status).toBe(200)
    const emptyAuthority = 'http:///api/tasks'
    for (const s of SPELLINGS.filter((s) => s.target !== emptyAuthority)) {
      const { status } = await raw(url, s.method, s.target)
      // @hono/node-server refuses upper-case and non-http(s) schemes (400) before Hono runs.
      expect([429, 400], `${s.name}: ${status}`).toContain(status)
    }
    expect(await raw(url, 'GET', emptyAuthority)).toEqual({ status: 200, body: '{"path":"/tasks"}' })
  })

  it('is case-sensitive and strict about a trailing slash by default; `routing` follows new Hono({ strict: false })', async () => {
    const endpoints = [{ match: /^\/api\/tasks$/, limit: 1, windowMs: 60_000, id: 'tasks' }]
    const serve = async (strict: boolean, options: BulwarkHonoOptions) => {
      const app = new Hono({ strict })
      app.use(bulwarkHono({ ...options, engine: engine({ endpoints, suspicion: false }).engine }))
      app.get('/api/tasks', (c) => c.text('tasks'))
      return (path: string) => app.request(path, {}, from('198.51.100.3'))
    }
    const strict = await serve(true, {})
    expect((await strict('/api/tasks')).status).toBe(200)
    expect((await strict('/api/tasks/')).status, 'Hono: another route (404), not counted').toBe(404)
    const loose = await serve(false, { routing: { caseSensitive: true, ignoreTrailingSlash: true } })
    expect((await loose('/api/tasks')).status).toBe(200)
    expect((await loose('/api/tasks/')).status, 'Hono routes it to /api/tasks: counted').toBe(429)
  })
})

describe('hono: answers', () => {
  it('adds the rate-limit headers to an immutable Response a handler returns', async () => {
    const { engine: e } = engine({ endpoints: [{ match: '/go', limit: 5, windowMs: 60_000, id: 'go' }] })
    const app = new Hono()
    app.use(bulwarkHono({ engine: e }))
    app.get('/go', () => Response.redirect('http://app.test/elsewhere', 302))
    const r = await app.request('/go', {}, from('198.51.100.4'))
    expect([r.status, r.headers.get('location'), r.headers.get('ratelimit')]).toEqual([
      302,
      'http://app.test/elsewhere',
      '"go";r=4;t=60',
    ])
  })

  it("counts an HTTPException(401) as an auth failure: the status is the app's answer after Hono's onError", async () => {
    const { engine: e, bans } = engine()
    const app = new Hono()
    app.use(bulwarkHono({ engine: e }))
    app.post('/login', () => {
      throw new HTTPException(401, { message: 'invalid credentials' })
    })
    for (let i = 0; i < 11; i++) {
      expect((await app.request('/login', { method: 'POST' }, from('198.51.100.5'))).status).toBe(401)
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(bans).toMatchObject([{ rule: 'auth-failures', ip: '198.51.100.5' }])
  })

  it('onBlocked may let the request through with next()', async () => {
    const { engine: e } = engine()
    const app = new Hono()
    app.use(
      bulwarkHono({
        engine: e,
        onBlocked: (c, next, decision) =>
          c.req.query('pass') === undefined ? c.json({ blocked: decision.status }, 451) : next(),
      }),
    )
    app.get('/', (c) => c.text('served'))
    const scanner = { headers: { 'user-agent': 'sqlmap' } }
    expect((await app.request('/', scanner, from('198.51.100.6'))).status).toBe(451)
    const through = await app.request('/?pass', scanner, from('198.51.100.6'))
    expect([through.status, await through.text()]).toEqual([200, 'served'])
  })
})

describe('hono: the client address', () => {
  it("takes getConnInfo's address when given (a platform's helper), and trustProxy applies on top of it", async () => {
    const { engine: e, bans } = engine({ trustProxy: '10.0.0.0/8' })
    const app = new Hono()
    // As `hono/vercel`'s getConnInfo does: the address the platform's edge wrote.
    app.use(
      bulwarkHono({ engine: e, getConnInfo: (c) => ({ remote: { address: c.req.header('x-real-ip') } }) }),
    )
    app.get('/', (c) => c.text('ok'))
    const headers = { 'x-real-ip': '10.1.2.3', 'x-forwarded-for': '203.0.113.9', 'user-agent': 'sqlmap' }
    await app.request('/', { headers })
    expect(bans.map((b) => b.ip)).toEqual(['203.0.113.9'])
  })

  it('without an address (no runtime bindings, no getConnInfo) refuses with 400 and says what to pass', async () => {
    const { engine: e, diagnostics } = engine()
    const app = new Hono()
    app.use(bulwarkHono({ engine: e }))
    app.get('/', (c) => c.text('ok'))
    expect((await app.request('/')).status).toBe(400)
    expect(diagnostics.map((d) => [d.code, d.detail])).toEqual([
      [
        'BULWARK_NO_CLIENT_ADDRESS',
        'not served by @hono/node-server, Bun or Deno: pass getConnInfo from your runtime',
      ],
    ])
  })

  it('a getConnInfo that throws is reported; the request is refused as one without an address', async () => {
    const { engine: e, errors } = engine()
    const app = new Hono()
    app.use(
      bulwarkHono({
        engine: e,
        getConnInfo: () => {
          throw new TypeError('env has to include the 2nd argument of fetch.')
        },
      }),
    )
    app.get('/', (c) => c.text('ok'))
    expect((await app.request('/')).status).toBe(400)
    expect(errors.map((err) => err.message).join()).toContain('2nd argument of fetch')
  })
})
