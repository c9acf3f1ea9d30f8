import { monitorEventLoopDelay } from 'node:perf_hooks'
import {
  type Bulwark,
  type BulwarkOptions,
  createBulwark,
  type Decision,
  type StoreEvent,
  silentLogger,
} from '@bulwark/core'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from 'vitest'
import { RedisStore } from '../src/index.js'
import { burst, on, op } from './helpers/ops.js'
import { describeRedisServer } from './helpers/redis.js'
import { freePort, type RedisServer, startRedisServer, waitFor } from './helpers/redis-server.js'

/** The engine's deadline for one store call, and what we allow on top on a busy test machine. */
const DEADLINE_MS = 150
const MARGIN_MS = 300

/**
 * A starved test process fires every timer late, whatever the store does. The allowed margin grows by the worst
 * event-loop delay seen during the test, so a store that hangs still fails while a busy CI machine does not.
 */
const loopDelay = monitorEventLoopDelay({ resolution: 10 })
const margin = () => MARGIN_MS + loopDelay.max / 1e6

interface Sample {
  ms: number
  decision: Decision
}

describeRedisServer('degraded, not dead: Redis killed, paused and back', () => {
  let server: RedisServer
  let engine: Bulwark | undefined
  const events: StoreEvent[] = []
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown) => unhandled.push(reason)
  let consoleError: ReturnType<typeof vi.spyOn>

  beforeAll(async () => {
    server = await startRedisServer()
    process.on('unhandledRejection', onUnhandled)
  })
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled)
    await server?.stop()
  })
  beforeEach(async () => {
    events.length = 0
    unhandled.length = 0
    // ioredis prints "[ioredis] Unhandled error event" to console.error when an 'error' event has no listener.
    consoleError = vi.spyOn(console, 'error')
    loopDelay.reset()
    loopDelay.enable()
  })
  afterEach(async () => {
    loopDelay.disable()
    server.resume()
    await engine?.close()
    engine = undefined
    expect(consoleError).not.toHaveBeenCalled()
    consoleError.mockRestore()
    expect(unhandled).toEqual([])
  })

  const start = async (options: BulwarkOptions = {}) => {
    const e = createBulwark({
      store: new RedisStore({
        url: server.url,
        prefix: 'faults:',
        commandTimeoutMs: 300,
        maxReconnectDelayMs: 100,
      }),
      apiKeySecret: 'fault-test-secret-of-some-length',
      logger: silentLogger,
      storeTimeoutMs: DEADLINE_MS,
      breaker: { failureThreshold: 3, cooldownMs: 200 },
      ...options,
    })
    e.on('store', (ev) => events.push(ev))
    engine = e
    await e.ready
    return e
  }

  let ipSeq = 0
  /** Four clients sending requests for `ms`, each request timed. */
  const traffic = async (e: Bulwark, ms: number): Promise<Sample[]> => {
    const samples: Sample[] = []
    const until = Date.now() + ms
    const worker = async () => {
      while (Date.now() < until) {
        const t = performance.now()
        const ip = `10.${(ipSeq >> 16) & 255}.${(ipSeq >> 8) & 255}.${ipSeq++ & 255}`
        const decision = await e.inspect({ ip, method: 'GET', path: '/api' })
        samples.push({ ms: performance.now() - t, decision })
        // Pace the clients (about 250 requests/s each) so the test measures the store, not a busy loop.
        await new Promise((r) => setTimeout(r, 4))
      }
    }
    await Promise.all([worker(), worker(), worker(), worker()])
    return samples
  }
  /** Traffic until a decision comes from `state`, then a little more. */
  const trafficUntil = async (e: Bulwark, state: 'primary' | 'fallback', timeoutMs: number) => {
    const samples: Sample[] = []
    await waitFor(
      async () => {
        const batch = await traffic(e, 50)
        samples.push(...batch)
        return batch.some((s) => s.decision.store === state)
      },
      timeoutMs,
      `decisions from ${state}`,
    )
    samples.push(...(await traffic(e, 150)))
    return samples
  }
  const slowest = (samples: Sample[]) => samples.reduce((max, s) => Math.max(max, s.ms), 0)
  const stores = (samples: Sample[]) => new Set(samples.map((s) => s.decision.store))

  it('killed mid-traffic: answers within the deadline from the local fallback, then from Redis again after a restart', async () => {
    const e = await start()
    const healthy = await traffic(e, 200)
    expect(stores(healthy)).toEqual(new Set(['primary']))

    const killing = server.kill()
    const down = await trafficUntil(e, 'fallback', 3000)
    await killing
    expect(slowest(down)).toBeLessThan(DEADLINE_MS + margin())
    expect(down.at(-1)?.decision.store).toBe('fallback')
    expect(e.storeState).toBe('fallback')

    await server.start()
    const back = await trafficUntil(e, 'primary', 5000)
    expect(slowest(back)).toBeLessThan(DEADLINE_MS + margin())
    expect(back.at(-1)?.decision.store).toBe('primary')
    expect(events.map((ev) => ev.state)).toEqual(['degraded', 'recovered'])
    expect(events[0]).toMatchObject({ type: 'store', store: 'redis', error: expect.any(String) })

    // Decisions come from Redis again: the restarted (empty) server holds the new counters.
    const probe = new Redis(server.url)
    await e.inspect({ ip: '198.51.100.70', method: 'GET', path: '/api' })
    expect(await probe.exists('faults:{ip:198.51.100.70}:b')).toBe(1)
    probe.disconnect()
  })

  it('paused (SIGSTOP, a hang, not an error): every request still answered within the deadline; recovers on SIGCONT', async () => {
    const e = await start()
    expect(stores(await traffic(e, 100))).toEqual(new Set(['primary']))
    server.pause()
    const hung = await trafficUntil(e, 'fallback', 3000)
    const more = await traffic(e, 500)
    expect(slowest([...hung, ...more])).toBeLessThan(DEADLINE_MS + margin())
    expect(stores(more)).toEqual(new Set(['fallback']))
    server.resume()
    const back = await trafficUntil(e, 'primary', 5000)
    expect(slowest(back)).toBeLessThan(DEADLINE_MS + margin())
    expect(back.at(-1)?.decision.store).toBe('primary')
    // One event per change of state, never one per request.
    expect(events.map((ev) => ev.state)).toEqual(['degraded', 'recovered'])
  })

  it("failureMode 'closed' refuses requests (503) while Redis is away, and serves again when it is back", async () => {
    const e = await start({ failureMode: 'closed' })
    expect((await traffic(e, 100)).every((s) => s.decision.conclusion === 'allow')).toBe(true)
    await server.kill()
    const down = await trafficUntil(e, 'fallback', 3000)
    expect(slowest(down)).toBeLessThan(DEADLINE_MS + margin())
    const refused = down.filter((s) => s.decision.store === 'fallback')
    expect(refused.length).toBeGreaterThan(0)
    for (const s of refused) expect(s.decision).toMatchObject({ conclusion: 'block', status: 503 })
    await server.start()
    const back = await trafficUntil(e, 'primary', 5000)
    expect(back.at(-1)?.decision).toMatchObject({ conclusion: 'allow', store: 'primary' })
    expect(events.map((ev) => ev.state)).toEqual(['degraded', 'recovered'])
  })

  it('the store itself fails fast: at once when disconnected, at its commandTimeout when hung, with stable codes', async () => {
    const store = new RedisStore({
      url: server.url,
      prefix: 'faults-store:',
      commandTimeoutMs: 250,
      maxReconnectDelayMs: 100,
    })
    const hit = () => store.hit(op(0, [on('ip:198.51.100.71', burst())]))
    const timed = async () => {
      const t = performance.now()
      const error = await hit().then(
        () => null,
        (err: unknown) => err,
      )
      return { ms: performance.now() - t, error }
    }
    expect((await timed()).error).toBeNull()

    server.pause()
    const hung = await timed()
    expect(hung.error).toMatchObject({ code: 'ERR_BULWARK_STORE_TIMEOUT' })
    expect(hung.ms).toBeGreaterThanOrEqual(240)
    expect(hung.ms).toBeLessThan(250 + margin())
    server.resume()
    await waitFor(async () => (await timed()).error === null, 3000, 'the resumed server')

    await server.kill()
    await waitFor(() => store.client.status !== 'ready', 2000, 'the client to notice')
    const down = await timed()
    expect(down.error).toMatchObject({ code: 'ERR_BULWARK_STORE' })
    expect(down.ms).toBeLessThan(50 + margin())
    await expect(store.listBans(0)).rejects.toMatchObject({ code: 'ERR_BULWARK_STORE' })
    await server.start()
    await waitFor(async () => (await timed()).error === null, 5000, 'the restarted server')
    await store.close()
  })

  it('a Redis that was never reachable: calls fail on the first refused connection, and close() leaves nothing running', async () => {
    const port = await freePort()
    const store = new RedisStore({
      url: `redis://127.0.0.1:${port}`,
      commandTimeoutMs: 200,
      maxReconnectDelayMs: 50,
    })
    const t = performance.now()
    const errors = await Promise.all(
      Array.from({ length: 5 }, () =>
        store.getBan('ip:192.0.2.1', 0).then(
          () => null,
          (e: unknown) => e,
        ),
      ),
    )
    expect(performance.now() - t).toBeLessThan(200 + margin())
    for (const e of errors) expect(e).toMatchObject({ code: expect.stringMatching(/^ERR_BULWARK_STORE/) })
    expect(store.lastError).toMatchObject({ code: 'ECONNREFUSED' })
    await store.close()
    // What close() leaves running is checked in close-exit.test.ts (a process exits right after it).
    expect(store.client.status).not.toBe('ready')
  })
})
