// The admin API, its event stream, the metrics, and a clean shutdown.
import http from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bearer, call, nextIp, testDemo, waitFor } from './helpers.mjs'

/** @type {Awaited<ReturnType<typeof testDemo>>} */
let demo
beforeAll(async () => {
  demo = await testDemo()
})
afterAll(() => demo?.close())

/** @param {string} path @param {RequestInit & { ip?: string }} [init] */
const admin = (path, init = {}) =>
  call(`${demo.adminUrl}${path}`, { ...init, headers: { ...bearer(), ...init.headers } })

/**
 * Open the event stream and collect events until `close()`; `ended` resolves when the server ends it.
 * @param {string} [query] @param {{ adminUrl: string }} [target]
 */
function openStream(query = '', target = demo) {
  /** @type {{ event: string, data: any }[]} */
  const events = []
  /** @type {(value?: unknown) => void} */
  let onEnd = () => {}
  const ended = new Promise((resolve) => {
    onEnd = resolve
  })
  const url = new URL(`${target.adminUrl}/events${query}`)
  /** @type {http.ClientRequest} */
  let req
  const opened = new Promise((resolve, reject) => {
    req = http.get(url, { headers: bearer(), agent: false }, (res) => {
      resolve(res)
      res.setEncoding('utf8')
      let buffer = ''
      res.on('data', (chunk) => {
        buffer += chunk
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event && data) events.push({ event, data: JSON.parse(data) })
        }
      })
      res.on('error', () => {})
      res.on('close', onEnd)
    })
    req.on('error', reject)
  })
  return { events, opened, ended, close: () => req.destroy() }
}

describe('authentication', () => {
  it('refuses a missing or wrong token with 401 and a WWW-Authenticate challenge', async () => {
    const none = await call(`${demo.adminUrl}/bans`, { ip: nextIp() })
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toContain('Bearer')
    const wrong = await call(`${demo.adminUrl}/bans`, { ip: nextIp(), headers: bearer('x'.repeat(30)) })
    expect(wrong.status).toBe(401)
  })

  it('bans whoever guesses: the 11th wrong token is a 403, the right token still works (operators are not locked out)', async () => {
    const ip = nextIp()
    const statuses = []
    for (let i = 0; i < 12; i++) {
      const res = await call(`${demo.adminUrl}/info`, { ip, headers: bearer(`guess-${i}-${'x'.repeat(20)}`) })
      statuses.push(res.status)
    }
    expect(statuses).toEqual([...Array(10).fill(401), 403, 403])
    expect((await admin('/info', { ip })).status).toBe(200)
    // The public API refuses that address, though.
    expect((await call(`${demo.urls.express}/`, { ip })).status).toBe(403)
  })
})

describe('bans and the whitelist', () => {
  it('describes the demo: servers, store, trust, limits', async () => {
    const info = await (await admin('/info')).json()
    expect(info).toMatchObject({
      servers: demo.urls,
      store: { name: 'memory', state: 'primary' },
      mode: 'enforce',
      trustProxy: 'loopback',
      simulatorReady: true,
      endpoints: [
        { match: '/auth/', limit: 5, windowMs: 60_000 },
        { match: '/api/tasks', limit: 20, windowMs: 60_000 },
        { match: '/', limit: 60, windowMs: 60_000 },
      ],
      rules: { burst: { limit: 50, windowMs: 1000 }, scraping: { limit: 500, windowMs: 300_000 } },
    })
  })

  it('bans by hand, lists, and unbans', async () => {
    const ip = nextIp()
    const created = await admin('/bans', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: ip, ttlS: 120, reason: 'testing' }),
    })
    expect(created.status).toBe(201)
    expect(await created.json()).toMatchObject({
      target: ip,
      rule: 'manual',
      reason: 'Manual ban: testing',
      ttlS: 120,
    })
    expect((await call(`${demo.urls.fastify}/`, { ip })).status).toBe(403)
    const list = await (await admin('/bans')).json()
    expect(list.bans.map((/** @type {{ target: string }} */ b) => b.target)).toContain(ip)
    expect((await admin(`/bans/${encodeURIComponent(ip)}`, { method: 'DELETE' })).status).toBe(200)
    expect((await admin(`/bans/${encodeURIComponent(ip)}`, { method: 'DELETE' })).status).toBe(404)
    expect((await call(`${demo.urls.fastify}/`, { ip })).status).toBe(200)
  })

  it('unbans an IPv6 /64 by the target it is listed under', async () => {
    const prefix = '2001:db8:77:1'
    for (let i = 1; i <= 51; i++) await call(`${demo.urls.koa}/`, { ip: `${prefix}::${i.toString(16)}` })
    const ban = (await demo.engine.listBans()).find((b) => b.target === `${prefix}::/64`)
    expect(ban?.rule).toBe('burst')
    const res = await admin(`/bans/${encodeURIComponent(`${prefix}::/64`)}`, { method: 'DELETE' })
    expect(await res.json()).toEqual({ unbanned: true })
    expect((await call(`${demo.urls.koa}/`, { ip: `${prefix}::99` })).status).toBe(200)
  })

  it('says what is wrong with a bad target or body', async () => {
    const bad = await admin('/bans', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: '999.1.2.3' }),
    })
    expect(bad.status).toBe(400)
    expect((await bad.json()).detail).toContain('not an IP address')
    const broken = await admin('/whitelist', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{',
    })
    expect(broken.status).toBe(400)
  })

  it('adds and removes whitelist entries (CIDRs too)', async () => {
    const add = await admin('/whitelist', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entry: '192.0.2.0/24' }),
    })
    expect(add.status).toBe(201)
    expect((await add.json()).entries).toContain('192.0.2.0/24')
    for (let i = 0; i < 80; i++)
      expect((await call(`${demo.urls.express}/`, { ip: '192.0.2.44' })).status).toBe(200)
    const removed = await admin(`/whitelist/${encodeURIComponent('192.0.2.0/24')}`, { method: 'DELETE' })
    expect(await removed.json()).toEqual({ removed: true, entries: [] })
  })
})

describe('the event stream', () => {
  it('sends the ban, the decisions and the stats as server-sent events', async () => {
    const stream = openStream()
    const res = /** @type {http.IncomingMessage} */ (await stream.opened)
    expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8')
    expect(res.headers['cache-control']).toBe('no-cache, no-transform')
    const ip = nextIp()
    await call(`${demo.urls.fastify}/.env`, { ip, headers: { 'user-agent': 'nuclei - open source project' } })
    const ban = await waitFor(() => stream.events.find((e) => e.event === 'ban' && e.data.ip === ip), {
      what: 'the ban event',
    })
    expect(ban.data).toMatchObject({ rule: 'scanner', reason: 'Scanner user agent: nuclei', path: '/.env' })
    const decisions = await waitFor(
      () =>
        stream.events.find(
          (e) => e.event === 'decisions' && e.data.items.some((/** @type {any} */ d) => d.ip === ip),
        ),
      { what: 'a decision batch' },
    )
    expect(decisions.data.items.find((/** @type {any} */ d) => d.ip === ip)).toMatchObject({
      conclusion: 'block',
      rule: 'scanner',
      status: 403,
      method: 'GET',
      path: '/.env',
    })
    const stats = await waitFor(
      () =>
        stream.events.find(
          (e) => e.event === 'stats' && e.data.bans.some((/** @type {any} */ b) => b.target === ip),
        ),
      { what: 'stats listing the ban' },
    )
    expect(stats.data.series).toHaveLength(60)
    expect(stats.data.rules.scanner.block).toBeGreaterThanOrEqual(1)
    expect(stats.data.store).toEqual({ name: 'memory', state: 'primary' })
    expect(demo.live.listeners).toBe(1)
    stream.close()
    await waitFor(() => demo.live.listeners === 0, { what: 'the stream to be dropped' })
  })

  it('sends only the topics asked for', async () => {
    const stream = openStream('?topics=ban')
    await stream.opened
    const ip = nextIp()
    await call(`${demo.urls.express}/`, { ip, headers: { 'user-agent': 'sqlmap/1.8' } })
    await waitFor(() => stream.events.some((e) => e.event === 'ban' && e.data.ip === ip), {
      what: 'the ban event',
    })
    expect(new Set(stream.events.map((e) => e.event))).toEqual(new Set(['hello', 'ban']))
    stream.close()
  })
})

describe('metrics', () => {
  it('exposes @bulwark/metrics: decisions by conclusion and rule, bans, the store state and the notifier queues', async () => {
    const ip = nextIp()
    await call(`${demo.urls.koa}/`, { ip })
    await call(`${demo.urls.koa}/`, { ip, headers: { 'user-agent': 'masscan/1.3' } })
    await demo.notifier.close() // flushes the log channel, so its counters are final
    const res = await call(demo.metricsUrl)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    const value = (/** @type {string} */ series) => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `))
      return line === undefined ? undefined : Number(line.slice(series.length + 1))
    }
    expect(value('bulwark_decisions_total{conclusion="allow",rule="none"}')).toBeGreaterThan(0)
    expect(value('bulwark_decisions_total{conclusion="block",rule="scanner"}')).toBeGreaterThan(0)
    expect(value('bulwark_bans_active{rule="scanner"}')).toBeGreaterThan(0)
    expect(value('bulwark_bans_created_total{rule="scanner"}')).toBeGreaterThan(0)
    expect(value('bulwark_store_degraded')).toBe(0)
    expect(value('bulwark_notifier_queue_depth{channel="logger"}')).toBe(0)
    expect(value('bulwark_notifier_dropped_total{channel="logger"}')).toBe(0)
    expect(text).toContain('# TYPE bulwark_decisions_total counter')
    // The notifier's log channel wrote the ban line, once (the engine's own line is left out).
    const lines = demo.lines.filter((l) => l.includes(`IP: ${ip} `))
    expect(lines).toEqual([
      `Security Block activated | IP: ${ip} | Reason: Scanner user agent: masscan | Duration: 3600s`,
    ])
  })
})

describe('shutdown', () => {
  it('ends the event streams and leaves no server, socket or timer behind', async () => {
    const before = process.getActiveResourcesInfo().length
    const other = await testDemo()
    const stream = openStream('', other)
    await stream.opened
    expect((await call(`${other.urls.express}/`)).status).toBe(200)
    await other.close()
    await stream.ended
    await waitFor(() => process.getActiveResourcesInfo().length <= before, {
      what: `the resources to be released (${process.getActiveResourcesInfo().join(', ')})`,
      timeoutMs: 3000,
    })
  })
})
