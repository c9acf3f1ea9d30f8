import {
  type BanRecord,
  createBulwark,
  type HitOp,
  type HitResult,
  MemoryStore,
  type Store,
  type StoreMessage,
} from '@bulwark/core'
import { fakeClock, storeConformanceSuite, T0 } from '@bulwark/testkit'
import { Registry } from 'prom-client'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { bulwarkMetrics, instrumentStore } from '../src/index.js'
import { timeStore } from '../src/store.js'
import { series } from './helpers/exposition.js'

const OP: HitOp = {
  now: T0,
  subjects: [
    {
      key: 'ip:192.0.2.1',
      counts: [{ kind: 'requests', rule: 'burst', key: 'b', limit: 50, windowMs: 1000 }],
    },
  ],
  ban: { ttlMs: 60_000, factor: 1, maxTtlMs: 60_000, historyMs: 60_000, jitter: 0 },
}
const RESULT: HitResult = { ban: null, counts: [], now: T0 }

/** A shared-store stand-in: answers from a memory store, or fails while `failing` is set. */
class FlakyStore implements Store {
  readonly name = 'flaky'
  failing = false
  calls = 0
  private readonly memory = new MemoryStore()
  hit(op: HitOp): HitResult {
    this.calls++
    if (this.failing) throw new Error('connection refused')
    return this.memory.hit(op)
  }
  setBan(ban: Omit<BanRecord, 'offense'> & { offense?: number }) {
    return this.memory.setBan(ban)
  }
  deleteBan(subject: string) {
    return this.memory.deleteBan(subject)
  }
  listBans(now: number) {
    return this.memory.listBans(now)
  }
  whitelistAdd(entry: string) {
    return this.memory.whitelistAdd(entry)
  }
  whitelistRemove(entry: string) {
    return this.memory.whitelistRemove(entry)
  }
  whitelistList() {
    return this.memory.whitelistList()
  }
  close() {
    return this.memory.close()
  }
}

const closers: (() => unknown)[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const close of closers.splice(0).reverse()) await close()
})

describe('instrumentStore()', () => {
  test('a synchronous hit() stays synchronous: the very value, no promise', () => {
    const inner = new MemoryStore()
    const spy = vi.spyOn(inner, 'hit')
    const store = instrumentStore(inner)
    const timings: unknown[] = []
    closers.push(timeStore(store, (...t) => timings.push(t)))
    const result = store.hit(OP)
    expect(result).not.toBeInstanceOf(Promise)
    expect(result).toBe(spy.mock.results[0]!.value)
    expect(timings).toEqual([[expect.any(Number), 'ok', 'memory']])
  })

  test('a promise is passed on as it is, and timed when it settles', async () => {
    let resolve!: (r: HitResult) => void
    const pending = new Promise<HitResult>((r) => {
      resolve = r
    })
    const inner = new FlakyStore()
    vi.spyOn(inner, 'hit').mockReturnValueOnce(pending as never)
    const store = instrumentStore(inner)
    const timings: [number, string, string][] = []
    closers.push(timeStore(store, (...t) => timings.push(t)))
    expect(store.hit(OP)).toBe(pending)
    expect(timings).toEqual([])
    resolve(RESULT)
    await pending
    await Promise.resolve()
    expect(timings).toEqual([[expect.any(Number), 'ok', 'flaky']])
  })

  test('failures are timed as errors and reach the caller unchanged', async () => {
    const inner = new FlakyStore()
    const store = instrumentStore(inner)
    const outcomes: string[] = []
    closers.push(timeStore(store, (_s, outcome) => outcomes.push(outcome)))
    inner.failing = true
    expect(() => store.hit(OP)).toThrow('connection refused')
    const refused = new Error('timeout')
    vi.spyOn(inner, 'hit').mockReturnValueOnce(Promise.reject(refused) as never)
    await expect(store.hit(OP)).rejects.toBe(refused)
    expect(outcomes).toEqual(['error', 'error'])
  })

  test('the store is otherwise itself: name, capabilities, subscribe only when it has one, instanceof, state', async () => {
    const memory = new MemoryStore({ maxBans: 1 })
    const store = instrumentStore(memory)
    expect(store).toBeInstanceOf(MemoryStore)
    expect(store.name).toBe('memory')
    expect(store.capabilities).toBe(memory.capabilities)
    expect(store.capabilities?.local).toBe(true)
    expect(typeof store.subscribe).toBe('function')
    expect(store.options).toBe(memory.options)
    const messages: StoreMessage[] = []
    const unsubscribe = store.subscribe!((m) => messages.push(m))
    const ban = { rule: 'manual', createdAt: T0, enforced: true }
    await store.setBan({ ...ban, subject: 'ip:192.0.2.9', expiresAt: T0 + 1000 })
    await store.setBan({ ...ban, subject: 'ip:192.0.2.10', expiresAt: T0 + 2000 }) // the table holds one
    expect(messages).toEqual([{ type: 'evicted', subject: 'ip:192.0.2.9', expiresAt: T0 + 1000 }])
    unsubscribe()
    expect((await memory.listBans(T0)).map((b) => b.subject)).toEqual(['ip:192.0.2.10'])
    expect(store.close).toBe(store.close) // methods keep their identity

    const flaky: Store = instrumentStore(new FlakyStore())
    expect('subscribe' in flaky).toBe(false)
    expect(flaky.subscribe).toBeUndefined()
    expect(flaky.capabilities).toBeUndefined()
  })

  test('wrapping twice is wrapping once; anything but a store is refused', () => {
    const once = instrumentStore(new MemoryStore())
    expect(instrumentStore(once)).toBe(once)
    expect(() => instrumentStore({} as never)).toThrow(TypeError)
    expect(() => instrumentStore(null as never)).toThrow(TypeError)
  })

  test('with no collector attached nothing is timed; a timer that throws never reaches the request', () => {
    const now = vi.spyOn(performance, 'now')
    const store = instrumentStore(new MemoryStore())
    store.hit(OP)
    expect(now).not.toHaveBeenCalled()
    closers.push(
      timeStore(store, () => {
        throw new Error('broken collector')
      }),
    )
    expect(() => store.hit(OP)).not.toThrow()
    expect(now).toHaveBeenCalledTimes(2)
  })
})

// The wrapped memory store, with a collector attached, still passes every store test.
storeConformanceSuite('MemoryStore, instrumented', {
  create: () => {
    const store = instrumentStore(new MemoryStore())
    timeStore(store, () => {})
    return store
  },
})

describe('a store that fails (failureMode: open, breaker.failureThreshold: 1)', () => {
  test('sets the degraded gauge, counts degraded time, and times both outcomes', async () => {
    const clock = fakeClock()
    const flaky = new FlakyStore()
    const store = instrumentStore(flaky)
    const engine = createBulwark({
      clock,
      store,
      failureMode: 'open',
      breaker: { failureThreshold: 1, cooldownMs: 5000 },
      apiKeySecret: 'a-shared-secret-of-some-length',
      logger: false,
    })
    const registry = new Registry()
    closers.push(() => engine.close(), bulwarkMetrics(engine, { registry, store }).close)
    const inspect = () => engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })
    const scrape = async () => {
      const text = await registry.metrics()
      return {
        degraded: series(text, 'bulwark_store_degraded')[0]?.value,
        fallbackS: series(text, 'bulwark_store_fallback_seconds_total')[0]?.value,
        latency: series(text, 'bulwark_store_latency_seconds_count'),
      }
    }
    await inspect()
    expect(await scrape()).toEqual({
      degraded: 0,
      fallbackS: 0,
      latency: [{ labels: { store: 'flaky', outcome: 'ok' }, value: 1 }],
    })

    flaky.failing = true
    const degraded = await inspect()
    expect(degraded).toMatchObject({ conclusion: 'allow', store: 'fallback' })
    expect(engine.storeState).toBe('fallback')
    clock.advance(2000)
    await inspect() // from the fallback: the store is not asked during the cooldown
    expect(flaky.calls).toBe(2)
    expect(await scrape()).toEqual({
      degraded: 1,
      fallbackS: 2,
      latency: [
        { labels: { store: 'flaky', outcome: 'error' }, value: 1 },
        { labels: { store: 'flaky', outcome: 'ok' }, value: 1 },
      ],
    })

    flaky.failing = false
    clock.advance(3000) // the cooldown is over: the next request probes the store, which answers
    await inspect()
    expect(engine.storeState).toBe('primary')
    clock.advance(10_000)
    expect(await scrape()).toEqual({
      degraded: 0,
      fallbackS: 5,
      latency: [
        { labels: { store: 'flaky', outcome: 'error' }, value: 1 },
        { labels: { store: 'flaky', outcome: 'ok' }, value: 2 },
      ],
    })
    expect(flaky.calls).toBe(3)
  })

  test('a collector started while the store is down counts from its start', async () => {
    const clock = fakeClock()
    const flaky = new FlakyStore()
    flaky.failing = true
    const engine = createBulwark({
      clock,
      store: flaky,
      breaker: { failureThreshold: 1 },
      apiKeySecret: 'a-shared-secret-of-some-length',
      logger: false,
    })
    closers.push(() => engine.close())
    await engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })
    expect(engine.storeState).toBe('fallback')
    clock.advance(1000)
    const registry = new Registry()
    closers.push(bulwarkMetrics(engine, { registry }).close)
    clock.advance(1500)
    const text = await registry.metrics()
    expect(series(text, 'bulwark_store_degraded')).toEqual([{ labels: {}, value: 1 }])
    expect(series(text, 'bulwark_store_fallback_seconds_total')).toEqual([{ labels: {}, value: 1.5 }])
  })
})
