import { EventEmitter } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createBulwark } from '@bulwark/core'
import { bulwark } from '@bulwark/express'
import { createNotifier } from '@bulwark/notify'
import express from 'express'
import { Counter, Registry, register } from 'prom-client'
import { afterEach, describe, expect, test } from 'vitest'
import { bulwarkMetrics, INSTRUMENTS } from '../src/index.js'
import { ATTACKER, attack, EXPECTED, PROBER, SCANNER, setup, VISITORS } from './helpers/attack.js'
import { parse, series, sorted } from './helpers/exposition.js'

const EVENTS = ['decision', 'ban', 'unban', 'block', 'unblock', 'suspicious', 'store', 'diagnostic', 'error']
const listeners = (engine: { listenerCount(event: string): number }) =>
  Object.fromEntries(EVENTS.map((e) => [e, engine.listenerCount(e)]))

const closers: (() => unknown)[] = []
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close()
})

describe('after a scripted attack on a real engine', () => {
  test('the scrape shows exact values and label sets', async () => {
    const { engine, store, storeCalls } = setup()
    const registry = new Registry()
    const metrics = bulwarkMetrics(engine, { registry, store })
    closers.push(
      () => engine.close(),
      () => metrics.close(),
    )
    await attack(engine)
    const text = await registry.metrics()

    expect(series(text, 'bulwark_decisions_total')).toEqual(sorted(EXPECTED.decisions))
    expect(series(text, 'bulwark_bans_created_total')).toEqual(sorted(EXPECTED.bansCreated))
    expect(series(text, 'bulwark_bans_active')).toEqual(sorted(EXPECTED.bansActive))
    expect(series(text, 'bulwark_suspicious_events_total')).toEqual(EXPECTED.suspicious)
    expect(series(text, 'bulwark_diagnostics_total')).toEqual(EXPECTED.diagnostics)
    expect(series(text, 'bulwark_store_degraded')).toEqual([{ labels: {}, value: 0 }])
    expect(series(text, 'bulwark_store_fallback_seconds_total')).toEqual([{ labels: {}, value: 0 }])

    // the histogram counted every store call, and nothing else
    expect(storeCalls()).toBe(EXPECTED.storeCalls)
    expect(series(text, 'bulwark_store_latency_seconds_count')).toEqual([
      { labels: { store: 'memory', outcome: 'ok' }, value: EXPECTED.storeCalls },
    ])
    const buckets = series(text, 'bulwark_store_latency_seconds_bucket')
    expect(buckets.find((b) => b.labels.le === '+Inf')?.value).toBe(EXPECTED.storeCalls)
    expect(series(text, 'bulwark_store_latency_seconds_sum')[0]!.value).toBeGreaterThan(0)

    // the text format itself: help, type, and the label order of the samples
    expect(text).toContain(
      `# HELP bulwark_decisions_total ${INSTRUMENTS.decisions.help}\n# TYPE bulwark_decisions_total counter\n`,
    )
    expect(text).toContain('bulwark_decisions_total{conclusion="block",rule="burst"} 2\n')
    expect(text).toContain('# TYPE bulwark_bans_active gauge\n')
    expect(text).toContain('# TYPE bulwark_store_latency_seconds histogram\n')
    expect(text).toContain('bulwark_store_latency_seconds_count{store="memory",outcome="ok"} 57\n')
    // no label carries a client address
    expect(text).not.toMatch(/203\.0\.113|198\.51\.100/)
    // and the collector registered exactly the instruments it says
    const names = new Set(parse(text).map((s) => s.name.replace(/_(bucket|sum|count)$/, '')))
    expect([...names].sort()).toEqual([...metrics.names].sort())
  })

  test('GET /metrics over HTTP: the scripted attack through express, scraped as Prometheus would', async () => {
    // The clients are told apart by X-Forwarded-For from the loopback proxy (the test itself).
    const { engine, store, storeCalls } = setup({ trustProxy: ['127.0.0.1'] })
    const registry = new Registry()
    const metrics = bulwarkMetrics(engine, { registry, store })
    const app = express()
    app.set('trust proxy', '127.0.0.1') // the same proxies as Bulwark's
    app.get('/metrics', async (_req, res) => {
      res.set('Content-Type', registry.contentType)
      res.send(await registry.metrics())
    })
    app.use(bulwark({ engine }))
    app.get('/api/items', (_req, res) => void res.json({ items: [] }))
    const server = createServer(app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    closers.push(
      () => engine.close(),
      () => metrics.close(),
      () => new Promise((resolve) => server.close(resolve)),
    )
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    const get = async (ip: string, path = '/api/items', headers: Record<string, string> = {}) =>
      (await fetch(`${base}${path}`, { headers: { 'x-forwarded-for': ip, ...headers } })).status

    const burst: number[] = []
    for (let i = 0; i < 52; i++) burst.push(await get(ATTACKER))
    expect(burst.slice(0, 50).every((s) => s === 200)).toBe(true)
    expect(burst.slice(50)).toEqual([403, 403])
    expect(await get(SCANNER, '/', { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' })).toBe(403)
    for (const ip of VISITORS) expect(await get(ip)).toBe(200)
    expect(await get(PROBER, '/.env')).toBe(404)

    const scrape = await fetch(`${base}/metrics`)
    expect(scrape.status).toBe(200)
    expect(scrape.headers.get('content-type')).toBe(registry.contentType)
    const text = await scrape.text()
    expect(series(text, 'bulwark_decisions_total')).toEqual(sorted(EXPECTED.decisions))
    expect(series(text, 'bulwark_bans_created_total')).toEqual(sorted(EXPECTED.bansCreated))
    expect(series(text, 'bulwark_bans_active')).toEqual(sorted(EXPECTED.bansActive))
    expect(series(text, 'bulwark_suspicious_events_total')).toEqual(EXPECTED.suspicious)
    expect(series(text, 'bulwark_diagnostics_total')).toEqual([]) // the proxy is trusted by both: no warning
    expect(series(text, 'bulwark_store_degraded')).toEqual([{ labels: {}, value: 0 }])
    // Every request but the one refused from the ban cache went to the store, and the 404 of /.env once more after
    // the response (404 enumeration counts it); the scrape itself is mounted before Bulwark.
    const calls = storeCalls()
    expect(calls).toBe(51 + 1 + 3 + 1 + 1)
    expect(series(text, 'bulwark_store_latency_seconds_count')).toEqual([
      { labels: { store: 'memory', outcome: 'ok' }, value: calls },
    ])
    expect(text).toContain(
      `# HELP bulwark_decisions_total ${INSTRUMENTS.decisions.help}\n# TYPE bulwark_decisions_total counter\n`,
    )
    expect(text).not.toMatch(/203\.0\.113|198\.51\.100/)
  })

  test('a ban that ends reads 0 for its rule instead of vanishing', async () => {
    const { engine, clock } = setup()
    const registry = new Registry()
    closers.push(() => engine.close(), bulwarkMetrics(engine, { registry }).close)
    await attack(engine)
    expect(series(await registry.metrics(), 'bulwark_bans_active')).toEqual(sorted(EXPECTED.bansActive))
    await engine.unban(ATTACKER)
    clock.advance(5_000) // past the listing cache
    expect(series(await registry.metrics(), 'bulwark_bans_active')).toEqual([
      { labels: { rule: 'burst' }, value: 0 },
      { labels: { rule: 'scanner' }, value: 1 },
    ])
    clock.advance(3_600_000) // the scanner ban expires
    expect(series(await registry.metrics(), 'bulwark_bans_active')).toEqual([
      { labels: { rule: 'burst' }, value: 0 },
      { labels: { rule: 'scanner' }, value: 0 },
    ])
  })

  test('without emitAllows, plain allows are not counted (allows a rule noted still are)', async () => {
    const { engine } = setup({ emitAllows: false })
    const registry = new Registry()
    closers.push(() => engine.close(), bulwarkMetrics(engine, { registry }).close)
    await attack(engine)
    expect(series(await registry.metrics(), 'bulwark_decisions_total')).toEqual(
      sorted(EXPECTED.decisions.filter((d) => d.labels.rule !== 'none')),
    )
  })

  test('manual bans count under rule "manual"', async () => {
    const { engine } = setup()
    const registry = new Registry()
    closers.push(() => engine.close(), bulwarkMetrics(engine, { registry }).close)
    await engine.ban('192.0.2.10', { reason: 'test' })
    await engine.ban('192.0.2.11')
    const text = await registry.metrics()
    expect(series(text, 'bulwark_bans_created_total')).toEqual([{ labels: { rule: 'manual' }, value: 2 }])
    expect(series(text, 'bulwark_bans_active')).toEqual([{ labels: { rule: 'manual' }, value: 2 }])
  })
})

describe('close()', () => {
  test('removes every listener it added and the instruments from the registry', async () => {
    const { engine, store } = setup()
    const before = listeners(engine)
    const registry = new Registry()
    const metrics = bulwarkMetrics(engine, { registry, store })
    closers.push(() => engine.close())
    const during = listeners(engine)
    expect(during).toEqual({
      ...before,
      decision: before.decision! + 1,
      ban: before.ban! + 1,
      suspicious: before.suspicious! + 1,
      store: before.store! + 1,
      diagnostic: before.diagnostic! + 1,
    })
    // the deprecated 'block' event is not listened to on an engine that has 'ban' (it would cost an extra emit)
    expect(during.block).toBe(before.block)
    metrics.close()
    expect(listeners(engine)).toEqual(before)
    expect((await registry.metrics()).trim()).toBe('')
    metrics.close() // twice is fine
    // the names are free again
    const again = bulwarkMetrics(engine, { registry, store })
    closers.push(again.close)
    await attack(engine)
    expect(series(await registry.metrics(), 'bulwark_bans_created_total')).toEqual(
      sorted(EXPECTED.bansCreated),
    )
  })

  test('leaves metrics of the same names alone when they are not its own', async () => {
    const { engine } = setup()
    const registry = new Registry()
    const metrics = bulwarkMetrics(engine, { registry })
    closers.push(() => engine.close())
    registry.removeSingleMetric('bulwark_diagnostics_total')
    const mine = new Counter({
      name: 'bulwark_diagnostics_total',
      help: 'not Bulwark',
      registers: [registry],
    })
    metrics.close()
    expect(registry.getSingleMetric('bulwark_diagnostics_total')).toBe(mine)
  })
})

describe('registries and names', () => {
  test("joins prom-client's global register by default", async () => {
    const { engine } = setup()
    const metrics = bulwarkMetrics(engine)
    closers.push(() => engine.close(), metrics.close)
    expect(metrics.registry).toBe(register)
    expect(register.getSingleMetric('bulwark_decisions_total')).toBeDefined()
    await engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })
    expect(await register.getSingleMetricAsString('bulwark_decisions_total')).toContain(
      'bulwark_decisions_total{conclusion="allow",rule="none"} 1',
    )
  })

  test('sits next to the app’s own metrics, with a prefix of your choice', async () => {
    const { engine } = setup()
    const registry = new Registry()
    const mine = new Counter({ name: 'app_requests_total', help: 'app', registers: [registry] })
    mine.inc()
    const metrics = bulwarkMetrics(engine, { registry, prefix: 'edge_' })
    closers.push(() => engine.close(), metrics.close)
    const text = await registry.metrics()
    expect(text).toContain('app_requests_total 1')
    expect(text).toContain('# TYPE edge_decisions_total counter')
    expect(text).not.toContain('bulwark_')
  })

  test('a second collector on the same registry is refused before it registers anything', () => {
    const { engine } = setup()
    const registry = new Registry()
    const first = bulwarkMetrics(engine, { registry })
    closers.push(() => engine.close(), first.close)
    const before = listeners(engine)
    expect(() => bulwarkMetrics(engine, { registry })).toThrow(
      /already has bulwark_decisions_total, .*one collector per engine and registry/,
    )
    expect(listeners(engine)).toEqual(before)
    // another prefix is fine
    const second = bulwarkMetrics(engine, { registry, prefix: 'b2_' })
    closers.push(second.close)
  })

  test('bad options are refused with the option named', () => {
    const { engine } = setup()
    closers.push(() => engine.close())
    expect(() => bulwarkMetrics({} as never)).toThrow(/expected a Bulwark engine/)
    expect(() => bulwarkMetrics(engine, { registry: {} as never })).toThrow(/options.registry/)
    expect(() => bulwarkMetrics(engine, { prefix: 'bad-prefix' })).toThrow(/options.prefix/)
    expect(() => bulwarkMetrics(engine, { bansCacheMs: -1 })).toThrow(/options.bansCacheMs/)
    expect(() => bulwarkMetrics(engine, { latencyBuckets: [0.1, 0.01] })).toThrow(/options.latencyBuckets/)
    expect(() => bulwarkMetrics(engine, { notifier: {} as never })).toThrow(/options.notifier/)
    expect(() => bulwarkMetrics(engine, { store: createBulwark as never })).toThrow(/instrumentStore\(\)/)
    expect(register.getSingleMetric('bulwark_decisions_total')).toBeUndefined()
  })
})

describe('active bans', () => {
  /** An engine-shaped emitter whose listing the test resolves by hand. */
  function fakeEngine(clock: { now: number }) {
    const engine = new EventEmitter() as EventEmitter & {
      options: { clock: () => number }
      listBans: () => Promise<{ rule: string }[]>
      storeState: string
    }
    const calls: { resolve: (v: { rule: string }[]) => void; reject: (e: Error) => void }[] = []
    engine.options = { clock: () => clock.now }
    engine.storeState = 'primary'
    engine.listBans = () =>
      new Promise((resolve, reject) => {
        calls.push({ resolve, reject })
      })
    return { engine, calls }
  }

  test('one listing in flight at most, reused for bansCacheMs, failures too', async () => {
    const clock = { now: 1_000_000 }
    const { engine, calls } = fakeEngine(clock)
    const registry = new Registry()
    closers.push(bulwarkMetrics(engine, { registry, bansCacheMs: 3000 }).close)
    const a = registry.metrics()
    const b = registry.metrics()
    await Promise.resolve()
    expect(calls).toHaveLength(1)
    calls[0]!.resolve([{ rule: 'burst' }, { rule: 'burst' }, { rule: 'auth-failures' }])
    for (const text of await Promise.all([a, b])) {
      expect(series(text, 'bulwark_bans_active')).toEqual([
        { labels: { rule: 'auth-failures' }, value: 1 },
        { labels: { rule: 'burst' }, value: 2 },
      ])
    }
    clock.now += 2999
    await registry.metrics()
    expect(calls).toHaveLength(1)
    clock.now += 1
    const failing = registry.metrics()
    await Promise.resolve()
    expect(calls).toHaveLength(2)
    calls[1]!.reject(new Error('store down'))
    // no value rather than a stale one; the rest of the scrape is unharmed
    const text = await failing
    expect(series(text, 'bulwark_bans_active')).toEqual([])
    expect(series(text, 'bulwark_store_degraded')).toEqual([{ labels: {}, value: 0 }])
    await registry.metrics()
    expect(calls).toHaveLength(2) // the failure is cached as well
    clock.now += 3000
    const next = registry.metrics()
    await Promise.resolve()
    calls[2]!.resolve([])
    expect(series(await next, 'bulwark_bans_active')).toEqual([
      { labels: { rule: 'auth-failures' }, value: 0 },
      { labels: { rule: 'burst' }, value: 0 },
    ])
  })
})

describe('an engine from before the ban rename', () => {
  test("counts 'block' events and lists with listBlocks()", async () => {
    const engine = new EventEmitter() as EventEmitter & { listBlocks: () => Promise<{ rule: string }[]> }
    engine.listBlocks = async () => [{ rule: 'scanner' }]
    const registry = new Registry()
    const metrics = bulwarkMetrics(engine, { registry })
    expect(engine.listenerCount('block')).toBe(1)
    expect(engine.listenerCount('ban')).toBe(0)
    engine.emit('block', { type: 'block', rule: 'scanner' })
    engine.emit('decision', { decision: { conclusion: 'block', rule: 'scanner' } })
    engine.emit('store', { type: 'store', state: 'degraded', at: Date.now() })
    const text = await registry.metrics()
    expect(series(text, 'bulwark_bans_created_total')).toEqual([{ labels: { rule: 'scanner' }, value: 1 }])
    expect(series(text, 'bulwark_bans_active')).toEqual([{ labels: { rule: 'scanner' }, value: 1 }])
    expect(series(text, 'bulwark_decisions_total')).toEqual([
      { labels: { conclusion: 'block', rule: 'scanner' }, value: 1 },
    ])
    // no storeState: the store events tell
    expect(series(text, 'bulwark_store_degraded')).toEqual([{ labels: {}, value: 1 }])
    metrics.close()
    expect(engine.eventNames()).toEqual([])
  })
})

describe('with a notifier', () => {
  test('queue depth and drops per channel, from notifier.stats()', async () => {
    const { engine } = setup()
    const hang = () => new Promise<void>(() => {})
    const notifier = createNotifier({
      channels: [
        { name: 'slow', send: hang, delivery: { queueSize: 2 } },
        { name: 'audit', send: async () => {} },
      ],
      dedupe: false,
      rate: false,
    })
    notifier.on('error', () => {}) // the overflow is reported here; expected
    notifier.attach(engine)
    const registry = new Registry()
    const metrics = bulwarkMetrics(engine, { registry, notifier })
    closers.push(
      () => engine.close(),
      () => notifier.close({ timeoutMs: 0 }),
      metrics.close,
    )
    for (let i = 1; i <= 6; i++) await engine.ban(`192.0.2.${i}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
    const { slow, audit } = notifier.stats().channels
    // the slow channel has one in flight, a full queue, and dropped what did not fit; the other sent all
    expect(slow).toMatchObject({ inFlight: 1 })
    expect(slow!.queued).toBeGreaterThan(0)
    expect(slow!.dropped).toBe(6 - 1 - slow!.queued)
    expect(audit).toMatchObject({ queued: 0, dropped: 0, sent: 6 })
    const text = await registry.metrics()
    expect(series(text, 'bulwark_notifier_queue_depth')).toEqual([
      { labels: { channel: 'audit' }, value: 0 },
      { labels: { channel: 'slow' }, value: slow!.queued },
    ])
    expect(series(text, 'bulwark_notifier_dropped_total')).toEqual([
      { labels: { channel: 'audit' }, value: 0 },
      { labels: { channel: 'slow' }, value: slow!.dropped },
    ])
    expect(text).toContain('# TYPE bulwark_notifier_dropped_total counter')
  })

  test('a notifier whose stats() throws leaves its series empty, not the scrape failing', async () => {
    const { engine } = setup()
    const registry = new Registry()
    const notifier = {
      stats(): never {
        throw new Error('boom')
      },
    }
    closers.push(() => engine.close(), bulwarkMetrics(engine, { registry, notifier }).close)
    const text = await registry.metrics()
    expect(series(text, 'bulwark_notifier_queue_depth')).toEqual([])
    expect(text).toContain('bulwark_store_degraded 0')
  })
})
