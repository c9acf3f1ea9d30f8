import type { Server } from 'node:http'
import { type Bulwark, createBulwark } from '@bulwark/core'
import { fakeClock } from '@bulwark/testkit'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AdminError, createAdmin, createFeed, DASHBOARD_CSP, type FeedItem } from '../src/index.js'
import { bearer, closeServer, listen, nodeServer, openStream, TOKEN, waitFor } from './helpers.js'

// Count the constant-time comparisons and what they compare.
const compared = vi.hoisted(() => [] as [number, number][])
vi.mock('node:crypto', async (importOriginal) => {
  const crypto = await importOriginal<typeof import('node:crypto')>()
  return {
    ...crypto,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.push([a.byteLength, b.byteLength])
      return crypto.timingSafeEqual(a, b)
    },
  }
})

let engine: Bulwark
let server: Server | undefined
let admin: ReturnType<typeof createAdmin> | undefined

beforeEach(() => {
  engine = createBulwark({ logger: false, emitAllows: true, clock: fakeClock() }) // counts never depend on speed
  compared.length = 0
})
afterEach(async () => {
  admin?.close()
  if (server) await closeServer(server)
  server = admin = undefined
  await engine.close()
})

async function start(options: Partial<Parameters<typeof createAdmin>[0]> = {}) {
  admin = createAdmin({ engine, token: TOKEN, env: {}, ...options })
  const a = admin
  server = nodeServer((req, res) => a.handle(req, res))
  return listen(server)
}

describe('the token', () => {
  it('refuses to start without one, or with a weak one, unless loopbackOnly', () => {
    const thrown = (o: Partial<Parameters<typeof createAdmin>[0]>) => {
      try {
        createAdmin({ engine, env: {}, ...o }).close()
      } catch (error) {
        return error
      }
      return null
    }
    expect(thrown({})).toBeInstanceOf(AdminError)
    expect(thrown({})).toMatchObject({
      code: 'ERR_BULWARK_ADMIN_TOKEN',
      message: expect.stringContaining('loopbackOnly'),
    })
    expect(thrown({ token: 'short' })).toMatchObject({ code: 'ERR_BULWARK_ADMIN_TOKEN' })
    expect(thrown({ token: 'has spaces in it, sixteen+' })).toMatchObject({ code: 'ERR_BULWARK_ADMIN_TOKEN' })
    expect(thrown({ env: { BULWARK_ADMIN_TOKEN: TOKEN } })).toBeNull()
    expect(thrown({ loopbackOnly: true })).toBeNull()
    expect(thrown({ token: TOKEN, maxStreams: 0 })).toMatchObject({ code: 'ERR_BULWARK_ADMIN_OPTIONS' })
    expect(() => createAdmin({} as never)).toThrow(/needs the Bulwark engine/)
  })

  it('missing: 401 with a Bearer challenge; wrong: 401; right: 200', async () => {
    const url = await start()
    const none = await fetch(`${url}/api/bans`)
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="bulwark-admin"')
    expect(await none.json()).toEqual({
      error: 'Unauthorized',
      detail: 'Send Authorization: Bearer <admin token>',
    })
    const wrong = await fetch(`${url}/api/bans`, { headers: bearer(`${TOKEN}x`) })
    expect(wrong.status).toBe(401)
    const basic = await fetch(`${url}/api/bans`, { headers: { authorization: `Basic ${TOKEN}` } })
    expect(basic.status).toBe(401)
    const right = await fetch(`${url}/api/bans`, { headers: bearer() })
    expect(right.status).toBe(200)
    expect(right.headers.get('cache-control')).toBe('no-store')
    expect(await right.json()).toEqual({ count: 0, bans: [] })
  })

  it('compares in constant time: equal-length SHA-256 digests, whatever the length sent', async () => {
    const url = await start()
    for (const token of ['x', TOKEN.slice(0, -1), TOKEN, 'y'.repeat(1000)])
      await fetch(`${url}/api/info`, { headers: bearer(token) })
    expect(compared).toEqual([
      [32, 32],
      [32, 32],
      [32, 32],
      [32, 32],
    ])
  })

  it('a client guessing tokens is banned by the auth-failures rule: 403 after 10 failures', async () => {
    const url = await start()
    const statuses: number[] = []
    for (let i = 0; i < 11; i++)
      statuses.push(
        (await fetch(`${url}/api/bans`, { headers: bearer(`guess-${i}-${'x'.repeat(20)}`) })).status,
      )
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401))
    expect(statuses[10]).toBe(403)
    // The right token still works: the admin is mounted before Bulwark, an operator is never locked out.
    expect((await fetch(`${url}/api/bans`, { headers: bearer() })).status).toBe(200)
    expect((await engine.listBans()).map((b) => [b.target, b.rule])).toEqual([['127.0.0.1', 'auth-failures']])
  })

  it('loopbackOnly without a token: loopback clients only, never through a proxy', async () => {
    const url = await start({ token: undefined, loopbackOnly: true })
    expect((await fetch(`${url}/api/info`)).status).toBe(200)
    // The page says it needs no token, so the dashboard connects without a login.
    expect((await fetch(`${url}/`, { method: 'HEAD' })).headers.get('x-bulwark-admin-auth')).toBe('loopback')
    const proxied = await fetch(`${url}/api/info`, { headers: { 'x-forwarded-for': '203.0.113.7' } })
    expect(proxied.status).toBe(403)
  })
})

describe('the API', () => {
  it('lists, adds and removes bans', async () => {
    const url = await start()
    const post = await fetch(`${url}/api/bans`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ target: '203.0.113.7', ttlS: 600, reason: 'scraping by hand' }),
    })
    expect(post.status).toBe(201)
    expect(await post.json()).toMatchObject({
      target: '203.0.113.7',
      rule: 'manual',
      reason: 'Manual ban: scraping by hand',
      ttlS: 600,
    })
    const list = await (await fetch(`${url}/api/bans`, { headers: bearer() })).json()
    expect(list).toMatchObject({ count: 1, bans: [{ target: '203.0.113.7' }] })
    expect((await engine.inspect({ ip: '203.0.113.7', method: 'GET', path: '/', headers: {} })).status).toBe(
      403,
    )

    const del = await fetch(`${url}/api/bans/${encodeURIComponent('203.0.113.7')}`, {
      method: 'DELETE',
      headers: bearer(),
    })
    expect([del.status, await del.json()]).toEqual([200, { unbanned: true }])
    const again = await fetch(`${url}/api/bans/203.0.113.7`, { method: 'DELETE', headers: bearer() })
    expect([again.status, await again.json()]).toEqual([404, { unbanned: false }])
  })

  it('answers bad input with 400/404/405/413, never a crash', async () => {
    const url = await start()
    const post = (body: string, path = '/api/bans') =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/json' },
        body,
      })
    const cases = [
      [await post('{'), 400, 'The body must be JSON'],
      [await post('[]'), 400, 'The body must be a JSON object'],
      [await post('{"target":5}'), 400, 'target must be an IP address, a CIDR or a key: hash'],
      [
        await post('{"target":"1.2.3.4","ttlS":0}'),
        400,
        'ttlS must be a whole number of seconds from 1 to 2592000',
      ],
      [await post('{"target":"not an address!"}'), 400, expect.stringContaining('not an address')],
      [
        await post(JSON.stringify({ entry: 'x'.repeat(70_000) }), '/api/whitelist'),
        413,
        'The body must be JSON, at most 64 kB',
      ],
      [
        await fetch(`${url}/api/bans/%E0%A4%A`, { method: 'DELETE', headers: bearer() }),
        400,
        expect.any(String),
      ],
      [await fetch(`${url}/api/nope`, { headers: bearer() }), 404, 'No admin route /nope'],
      [await fetch(`${url}/api/bans`, { method: 'PUT', headers: bearer() }), 405, 'PUT is not allowed here'],
    ] as const
    for (const [res, status, detail] of cases) {
      expect(res.status).toBe(status)
      expect(((await res.json()) as { detail: unknown }).detail).toEqual(detail)
    }
  })

  it('lists, adds (one or a batch) and removes whitelist entries', async () => {
    const url = await start()
    const add = (body: unknown) =>
      fetch(`${url}/api/whitelist`, {
        method: 'POST',
        headers: { ...bearer(), 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const one = await add({ entry: '198.51.100.0/24' })
    expect([one.status, await one.json()]).toEqual([201, { entries: ['198.51.100.0/24'] }])
    const batch = await add({ entries: ['192.0.2.1', '2001:db8::/48'] })
    expect([batch.status, await batch.json()]).toEqual([201, { added: 2 }])
    const tooMany = await add({ entries: Array(1001).fill('192.0.2.1') })
    expect(tooMany.status).toBe(400)
    const list = (await (await fetch(`${url}/api/whitelist`, { headers: bearer() })).json()) as {
      entries: string[]
    }
    expect(list.entries.sort()).toEqual(['192.0.2.1', '198.51.100.0/24', '2001:db8::/48'])
    const del = await fetch(`${url}/api/whitelist/${encodeURIComponent('198.51.100.0/24')}`, {
      method: 'DELETE',
      headers: bearer(),
    })
    expect(del.status).toBe(200)
    expect(((await del.json()) as { removed: boolean }).removed).toBe(true)
  })

  it('counts decisions per rule and conclusion', async () => {
    const url = await start()
    for (let i = 0; i < 55; i++)
      await engine.inspect({ ip: '203.0.113.9', method: 'GET', path: '/', headers: {} })
    const { rules } = (await (await fetch(`${url}/api/rules`, { headers: bearer() })).json()) as {
      rules: unknown
    }
    expect(rules).toEqual({
      none: { allow: 50, limit: 0, block: 0 },
      burst: { allow: 0, limit: 0, block: 5 },
    })
    const stats = (await (await fetch(`${url}/api/stats`, { headers: bearer() })).json()) as {
      series: unknown[]
    }
    expect(stats).toMatchObject({ totals: { allow: 50, block: 5, bans: 1 }, banCount: 1, mode: 'enforce' })
    expect(stats.series).toHaveLength(60)
  })
})

describe('deny lists and crawlers', () => {
  it('counts refusals per deny source, entries per source, verified and fake crawlers; tags feed items', async () => {
    const rep = createBulwark({
      logger: false,
      clock: fakeClock(),
      deny: [
        {
          name: 'drop',
          start: (sink) => void sink.replace([{ target: '192.0.2.0/24' }, { target: '3fff:0:dead::/48' }]),
        },
      ],
      goodBots: { ranges: { googlebot: ['66.249.64.0/19'] }, resolver: false },
    })
    await rep.ready
    const feed = createFeed({ engine: rep, clock: () => 1_000_000 })
    const items: FeedItem[] = []
    const stop = feed.subscribe(
      (topic, data) => {
        if (topic === 'decisions') items.push(...(data as { items: FeedItem[] }).items)
      },
      ['decisions'],
    )
    const googlebot = {
      'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
    }
    try {
      for (const ip of ['192.0.2.7', '192.0.2.8', '3fff:0:dead::1'])
        await rep.inspect({ ip, method: 'GET', path: '/', headers: {} })
      for (let i = 0; i < 3; i++)
        await rep.inspect({ ip: '66.249.66.1', method: 'GET', path: `/item/${i}`, headers: googlebot })
      await rep.inspect({ ip: '203.0.113.7', method: 'GET', path: '/', headers: googlebot })
      const snap = await feed.snapshot()
      expect(snap.denied).toEqual({ drop: 3 })
      expect(snap.denyEntries).toEqual({ drop: 2 })
      expect(snap.bots).toEqual([
        {
          bot: 'googlebot',
          ip: '203.0.113.7',
          status: 'fake',
          detail: "203.0.113.7 is not in Googlebot's published ranges",
          count: 1,
          last: expect.any(Number),
        },
        {
          bot: 'googlebot',
          ip: '66.249.66.1',
          status: 'verified',
          detail: 'range 66.249.64.0/19',
          count: 3,
          last: expect.any(Number),
        },
      ])
      await waitFor(() => items.length >= 6, { what: 'the decisions' })
      expect(items.find((d) => d.ip === '192.0.2.7')).toMatchObject({
        conclusion: 'block',
        rule: 'deny',
        source: 'drop',
        reason: 'Denied by drop: 192.0.2.0/24',
      })
      expect(items.find((d) => d.ip === '66.249.66.1')).toMatchObject({
        conclusion: 'allow',
        rule: 'good-bots',
        bot: 'googlebot',
        reason: 'Verified googlebot (range 66.249.64.0/19)',
      })
      // The fake's requests are plain allows (its suspicious events are what shows it).
      expect(items.filter((d) => d.ip === '203.0.113.7')).toEqual([])
    } finally {
      stop()
      feed.close()
      await rep.close()
    }
  })
})

describe('the event stream', () => {
  it('sends hello, then ban and unban events and decision batches', async () => {
    const url = await start()
    const stream = openStream(`${url}/api/events?topics=ban,unban,decisions`)
    const res = await stream.opened
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    await waitFor(() => stream.events.some((e) => e.event === 'hello'), { what: 'hello' })
    expect(stream.events[0]?.data).toMatchObject({ topics: ['ban', 'unban', 'decisions'] })
    await engine.ban('203.0.113.50', { reason: 'test' })
    await engine.inspect({ ip: '203.0.113.50', method: 'GET', path: '/x', headers: {} })
    await engine.unban('203.0.113.50')
    await waitFor(() => stream.events.some((e) => e.event === 'decisions'), { what: 'a decisions batch' })
    expect(stream.events.map((e) => e.event).filter((e) => e !== 'decisions')).toEqual([
      'hello',
      'ban',
      'unban',
    ])
    const batch = stream.events.find((e) => e.event === 'decisions')?.data as {
      items: { ip: string; conclusion: string }[]
    }
    expect(batch.items).toContainEqual(expect.objectContaining({ ip: '203.0.113.50', conclusion: 'block' }))
    stream.close()
    await waitFor(() => admin?.feed.listeners === 0, { what: 'the stream to be released' })
  })

  it('drops a client that stops reading once its buffer passes the bound', async () => {
    const url = await start({ maxStreamBufferBytes: 16 * 1024 })
    const stream = openStream(`${url}/api/events?topics=ban`)
    const res = await stream.opened
    res.pause() // a slow consumer: reads nothing more
    await waitFor(() => admin?.feed.listeners === 1, { what: 'the subscription' })
    const reason = 'r'.repeat(190)
    for (let i = 0; i < 2000 && admin?.feed.listeners === 1; i++)
      await engine.ban(`10.${(i >> 8) & 255}.${i & 255}.1`, { reason })
    expect(admin?.feed.listeners).toBe(0)
    await stream.ended
  })

  it('refuses streams beyond maxStreams with 503, and close() ends them all', async () => {
    const url = await start({ maxStreams: 1 })
    const first = openStream(`${url}/api/events`)
    await first.opened
    const second = await fetch(`${url}/api/events`, { headers: bearer() })
    expect(second.status).toBe(503)
    admin?.close()
    await first.ended
  })
})

describe('the dashboard', () => {
  it('serves the page and its files with a strict CSP; /admin redirects to /admin/', async () => {
    const url = await start()
    const page = await fetch(`${url}/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CSP)
    expect(DASHBOARD_CSP).toContain("default-src 'none'")
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline')
    expect(page.headers.get('x-frame-options')).toBe('DENY')
    expect(page.headers.get('x-bulwark-admin-auth')).toBe('bearer')
    const html = await page.text()
    expect(html).toContain('<script type="module" src="dashboard.js"></script>')
    expect(html).not.toMatch(/https?:\/\//) // no CDN
    expect(html).not.toMatch(/<script>|style="/) // nothing inline
    const js = await fetch(`${url}/dashboard.js`)
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    expect(await js.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/)
    // The palette (shared with the benchmark charts) is its own file, linked before the layout, and only defined there.
    expect(html.indexOf('href="palette.css"')).toBeGreaterThan(0)
    expect(html.indexOf('href="palette.css"')).toBeLessThan(html.indexOf('href="dashboard.css"'))
    const palette = await fetch(`${url}/palette.css`)
    expect(palette.headers.get('content-type')).toBe('text/css; charset=utf-8')
    const colours = await palette.text()
    expect(colours).toContain('--allow: #3f9b6e;')
    expect(colours).toContain('--limit: #e0a21b;')
    expect(colours).toContain('--block: #d64545;')
    expect(colours).toMatch(/--font: system-ui, /)
    const css = await (await fetch(`${url}/dashboard.css`)).text()
    expect(css).toContain('fill: var(--allow);')
    expect(css).toContain('font-family: var(--font);')
    expect(css).not.toMatch(/--[a-z-]+:/) // no second copy of a variable
    expect(css).not.toMatch(/#(3f9b6e|e0a21b|d64545|2f5bd3)/i)
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404) // not the admin's: passed on
  })

  it('dashboard: false leaves the page to the app', async () => {
    const url = await start({ dashboard: false })
    expect(await (await fetch(`${url}/`)).text()).toBe('app')
    expect((await fetch(`${url}/api/info`, { headers: bearer() })).status).toBe(200)
  })
})
