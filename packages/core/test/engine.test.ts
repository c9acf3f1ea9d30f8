import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type BanEvent,
  type BlockEvent,
  type Decision,
  type DecisionEvent,
  type HitOp,
  MemoryStore,
  type Store,
  type StoreEvent,
  type UnbanEvent,
  type UnblockEvent,
} from '../src/index.js'
import { type Harness, harness } from './helpers.js'

let h: Harness
afterEach(() => h?.engine.close())

const burst = async (n: number, ip = '198.51.100.42') => {
  let last: Decision | undefined
  for (let i = 0; i < n; i++) last = await h.req({ ip })
  return last
}

describe('whitelist', () => {
  it.each([
    ['a single IPv4', '198.51.100.42', '198.51.100.42'],
    ['an IPv4 CIDR', '198.51.100.0/24', '198.51.100.42'],
    ['an IPv6 CIDR', '2001:db8::/32', '2001:db8:5::1'],
    ['an IPv4 CIDR matching a mapped address', '198.51.100.0/24', '::ffff:198.51.100.42'],
  ])('%s is never limited', async (_n, entry, ip) => {
    h = harness({ whitelist: [entry] })
    const last = await burst(200, ip)
    expect(last).toMatchObject({ conclusion: 'allow', rule: 'whitelist', store: 'none' })
    expect((await h.req({ ip, headers: { 'user-agent': 'sqlmap' } })).conclusion).toBe('allow')
  })

  it('an API key is never limited, and list() shows only its hash', async () => {
    h = harness()
    await h.engine.whitelist.add('monitoring-key-123')
    for (let i = 0; i < 100; i++) await h.req({ apiKey: 'monitoring-key-123' })
    expect((await h.req({ apiKey: 'monitoring-key-123' })).rule).toBe('whitelist')
    // Whitelisted requests are not counted; the same IP without the key is judged as usual.
    expect((await burst(51))?.conclusion).toBe('block')
    const list = await h.engine.whitelist.list()
    expect(list).toHaveLength(1)
    expect(list[0]).toMatch(/^key:/)
    expect(await h.engine.whitelist.remove('monitoring-key-123')).toBe(true)
    expect(await h.engine.whitelist.list()).toEqual([])
  })

  it('add/remove at runtime; an address-like typo is an error, not an API key', async () => {
    h = harness()
    await h.engine.whitelist.add('203.0.113.0/24')
    expect((await h.req({ ip: '203.0.113.9' })).rule).toBe('whitelist')
    expect(await h.engine.whitelist.remove('203.0.113.0/24')).toBe(true)
    expect((await h.req({ ip: '203.0.113.9' })).rule).toBeNull()
    await expect(h.engine.whitelist.add('10.0.0.300')).rejects.toMatchObject({ code: 'ERR_BULWARK_TARGET' })
    await expect(h.engine.whitelist.add('10.0.0.0/40')).rejects.toMatchObject({ code: 'ERR_BULWARK_TARGET' })
  })
})

describe('manual ban and unban', () => {
  it('bans an IP with a TTL and reason, lists it, and unbans it', async () => {
    h = harness()
    const events: (BanEvent | UnbanEvent)[] = []
    h.engine.on('ban', (e) => events.push(e))
    h.engine.on('unban', (e) => events.push(e))
    const info = await h.engine.ban('203.0.113.50', { ttlMs: 600_000, reason: 'abuse report' })
    expect(info).toMatchObject({
      target: '203.0.113.50',
      rule: 'manual',
      reason: 'Manual ban: abuse report',
      ttlS: 600,
    })
    expect(await h.req({ ip: '203.0.113.50' })).toMatchObject({
      conclusion: 'block',
      rule: 'manual',
      retryAfterS: 600,
    })
    expect(h.logs).toContain(
      'Security Block activated | IP: 203.0.113.50 | Reason: Manual ban: abuse report | Duration: 600s',
    )
    expect((await h.engine.listBans()).map((b) => b.target)).toEqual(['203.0.113.50'])
    expect(await h.engine.unban('203.0.113.50')).toBe(true)
    expect(await h.engine.unban('203.0.113.50')).toBe(false)
    expect((await h.req({ ip: '203.0.113.50' })).conclusion).toBe('allow')
    expect(events.map((e) => e.type)).toEqual(['ban', 'unban'])
    await h.engine.ban('203.0.113.51')
    expect((await h.engine.listBans())[0]).toMatchObject({ target: '203.0.113.51', reason: 'Manual ban' })
  })

  it('unban gives a clean slate: a banned burst client can send 50 again', async () => {
    h = harness()
    await burst(51)
    expect(await h.engine.unban('198.51.100.42')).toBe(true)
    expect((await burst(50))?.conclusion).toBe('allow')
  })

  it('bans an IPv6 client by its /64 and an API key by hash', async () => {
    h = harness()
    await h.engine.ban('2001:db8:1:2::99')
    expect((await h.req({ ip: '2001:db8:1:2:ffff::1' })).conclusion).toBe('block')
    await h.engine.ban({ apiKey: 'leaked-key' })
    expect((await h.req({ ip: '192.0.2.1', apiKey: 'leaked-key' })).conclusion).toBe('block')
    await expect(h.engine.ban('not an ip')).rejects.toMatchObject({ code: 'ERR_BULWARK_TARGET' })
    await expect(h.engine.ban('192.0.2.1', { ttlMs: -5 })).rejects.toMatchObject({
      code: 'ERR_BULWARK_OPTIONS',
      message: expect.stringContaining('ban(): ttlMs'),
    })
  })

  it('the deprecated block/unblock/listBlocks and block/unblock events still work for one release', async () => {
    h = harness()
    const emit = vi.spyOn(h.engine as unknown as { emit(e: string, ...a: unknown[]): boolean }, 'emit')
    await h.engine.ban('203.0.113.60')
    await h.engine.unban('203.0.113.60')
    // No listener, no cost: the deprecated events are not even emitted.
    expect(emit.mock.calls.map((c) => c[0])).toEqual(['ban', 'unban'])
    emit.mockRestore()

    const old: (BlockEvent | UnblockEvent)[] = []
    const current: (BanEvent | UnbanEvent)[] = []
    h.engine.on('block', (e) => old.push(e))
    h.engine.on('unblock', (e) => old.push(e))
    h.engine.on('ban', (e) => current.push(e))
    h.engine.on('unban', (e) => current.push(e))
    const info = await h.engine.block('203.0.113.61', { ttlMs: 60_000, reason: 'old API' })
    expect(info).toMatchObject({
      target: '203.0.113.61',
      rule: 'manual',
      reason: 'Manual ban: old API',
      ttlS: 60,
    })
    expect((await h.engine.listBlocks()).map((b) => b.target)).toEqual(['203.0.113.61'])
    expect(await h.engine.unblock('203.0.113.61')).toBe(true)
    expect(await h.engine.listBans()).toEqual([])
    await burst(51)
    expect(old.map((e) => e.type)).toEqual(['block', 'unblock', 'block'])
    expect(current.map((e) => e.type)).toEqual(['ban', 'unban', 'ban'])
    // The same fields as the new events, only `type` differs.
    for (const [i, e] of old.entries()) expect({ ...e, type: current[i]!.type }).toEqual(current[i])
    expect(old[2]).toMatchObject({ type: 'block', rule: 'burst', ip: '198.51.100.42', path: '/api/items' })
  })
})

describe('monitor mode', () => {
  it('global monitor: the same decisions, not enforced, and the ban line says observed', async () => {
    h = harness({ mode: 'monitor' })
    const d = await burst(51)
    expect(d).toMatchObject({
      conclusion: 'block',
      rule: 'burst',
      enforced: false,
      newBan: true,
      status: 403,
    })
    expect(h.logs[0]).toMatch(/^Security Block observed \(monitor mode\) \| IP: 198.51.100.42/)
    // An observed ban does not short-circuit: a scanner request is still judged (and also only observed).
    const s = await h.req({ headers: { 'user-agent': 'sqlmap' } })
    expect(s).toMatchObject({ conclusion: 'block', enforced: false })
  })

  it('per-rule monitor: burst observed while the scanner rule enforces', async () => {
    h = harness({ burst: { mode: 'monitor' } })
    expect(await burst(51)).toMatchObject({ rule: 'burst', enforced: false })
    const s = await h.req({ headers: { 'user-agent': 'nikto' } })
    expect(s).toMatchObject({ conclusion: 'block', rule: 'scanner', enforced: true, newBan: true })
  })

  it('monitor on an endpoint limit reports limit without enforcing', async () => {
    h = harness({ endpoints: { mode: 'monitor', limits: [{ match: '/', limit: 1, windowMs: 1000 }] } })
    await h.req()
    expect(await h.req()).toMatchObject({ conclusion: 'limit', enforced: false, status: 429 })
  })
})

describe('events', () => {
  it('emits a decision event for every decision other than a plain allow', async () => {
    h = harness()
    const seen: DecisionEvent[] = []
    h.engine.on('decision', (e) => seen.push(e))
    await h.req()
    await h.req({ path: '/.env', headers: { 'user-agent': 'curl/8' } })
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({
      method: 'GET',
      path: '/.env',
      userAgent: 'curl/8',
      decision: { rule: 'probe' },
    })
  })

  it('emitAllows adds plain allows', async () => {
    h = harness({ emitAllows: true })
    const seen: DecisionEvent[] = []
    h.engine.on('decision', (e) => seen.push(e))
    await h.req()
    expect(seen.map((e) => e.decision.conclusion)).toEqual(['allow'])
  })

  it('a listener that throws never breaks a request', async () => {
    h = harness()
    h.engine.on('ban', () => {
      throw new Error('listener bug')
    })
    expect((await burst(51))?.conclusion).toBe('block')
    expect(h.logs.some((l) => l.includes('A ban listener threw'))).toBe(true)
  })
})

/** A Store in front of a real memory store, with some methods replaced. */
function wrapStore(inner: MemoryStore, name: string, hit: Store['hit']): Store {
  return {
    name,
    hit,
    setBan: (b) => inner.setBan(b),
    deleteBan: (s) => inner.deleteBan(s),
    getBan: (s, n) => inner.getBan(s, n),
    listBans: (n) => inner.listBans(n),
    whitelistAdd: (e) => inner.whitelistAdd(e),
    whitelistRemove: (e) => inner.whitelistRemove(e),
    whitelistList: () => inner.whitelistList(),
    close: () => inner.close(),
  }
}

/** A store that can be told to fail or hang. */
function flakyStore() {
  const inner = new MemoryStore()
  const state = { mode: 'ok' as 'ok' | 'fail' | 'hang', calls: 0 }
  const store = wrapStore(inner, 'flaky', (op: HitOp) => {
    state.calls++
    if (state.mode === 'fail') return Promise.reject(new Error('ECONNREFUSED'))
    if (state.mode === 'hang') return new Promise(() => {})
    return Promise.resolve(inner.hit(op))
  })
  return { store, state }
}

describe('store failures', () => {
  it('degrades to a local memory store after 3 failures, with one event per change, and recovers', async () => {
    const { store, state } = flakyStore()
    h = harness({ store, apiKeySecret: 'x'.repeat(32), breaker: { failureThreshold: 3, cooldownMs: 5000 } })
    const events: StoreEvent[] = []
    h.engine.on('store', (e) => events.push(e))
    expect((await h.req()).store).toBe('primary')
    state.mode = 'fail'
    const during = []
    for (let i = 0; i < 10; i++) during.push(await h.req())
    expect(during.every((d) => d.conclusion === 'allow' && d.store === 'fallback')).toBe(true)
    expect(events.map((e) => e.state)).toEqual(['degraded'])
    expect(state.calls).toBe(4) // three failures trip the breaker; no further calls until the cooldown passes
    state.mode = 'ok'
    h.clock.advance(5000)
    expect((await h.req()).store).toBe('primary')
    expect(events.map((e) => e.state)).toEqual(['degraded', 'recovered'])
    expect(h.engine.storeState).toBe('primary')
  })

  it('a hanging store is cut off at the deadline', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      const { store, state } = flakyStore()
      h = harness({ store, apiKeySecret: 'x'.repeat(32), storeTimeoutMs: 50 })
      state.mode = 'hang'
      const pending = h.req()
      await vi.advanceTimersByTimeAsync(50)
      expect(await pending).toMatchObject({ conclusion: 'allow', store: 'fallback' })
    } finally {
      vi.useRealTimers()
    }
  })

  it("failureMode 'closed' refuses with 503 while the store is down", async () => {
    const { store, state } = flakyStore()
    h = harness({ store, apiKeySecret: 'x'.repeat(32), failureMode: 'closed' })
    state.mode = 'fail'
    expect(await h.req()).toMatchObject({ conclusion: 'block', status: 503, enforced: true })
  })

  it('warns when a shared store is used without apiKeySecret', () => {
    const { store } = flakyStore()
    h = harness({ store })
    expect(h.logs.some((l) => l.startsWith('[BULWARK_KEY_SECRET_RANDOM]'))).toBe(true)
  })
})

describe('bad input never crashes', () => {
  it.each([
    ['no ip', { ip: undefined }],
    ['odd ip', { ip: '999.1.1.1' }],
    ['unicode path', { path: '/ünïcødé/😀/%E0%A4%A' }],
    ['huge path', { path: `/${'a'.repeat(100_000)}` }],
    ['huge user agent', { headers: { 'user-agent': 'x'.repeat(100_000) } }],
    ['array headers', { headers: { 'user-agent': ['a', 'b'], 'content-length': ['1', '2'] } }],
    ['non-string item', { item: 42 as unknown as string }],
    ['empty method', { method: '' }],
    ['huge api key', { apiKey: 'k'.repeat(100_000) }],
  ])('%s', async (_n, over) => {
    h = harness()
    const d = await h.req(over)
    expect(['allow', 'block', 'limit']).toContain(d.conclusion)
  })

  it('inspect after close rejects with a clear error', async () => {
    h = harness()
    await h.engine.close()
    await expect(h.req()).rejects.toMatchObject({ code: 'ERR_BULWARK_CLOSED' })
  })
})

describe('clock skew between the app and a shared store', () => {
  it('a cached ban expires on the store clock, not this process clock', async () => {
    // A store whose clock runs one hour ahead of the app server.
    const inner = new MemoryStore()
    const ahead = 3_600_000
    const store = wrapStore(inner, 'ahead', (op: HitOp) => inner.hit({ ...op, now: op.now + ahead }))
    h = harness({ store, apiKeySecret: 'x'.repeat(32) })
    const d = await burst(51)
    expect(d).toMatchObject({ conclusion: 'block', retryAfterS: 3600 })
    h.clock.advance(1_800_000)
    expect(await h.req()).toMatchObject({ conclusion: 'block', store: 'none', retryAfterS: 1800 })
    h.clock.advance(1_800_000)
    expect((await h.req()).conclusion).toBe('allow')
  })
})

describe('demo feedback', () => {
  it('unban accepts the target listBans() shows for a grouped IPv6 client, and the ip: subject', async () => {
    h = harness()
    await h.engine.ban('2001:db8:1:2::99')
    const [info] = await h.engine.listBans()
    expect(info?.target).toBe('2001:db8:1:2::/64')
    expect(await h.engine.unban(info!.target)).toBe(true)
    await h.engine.ban('203.0.113.1')
    expect(await h.engine.unban('ip:203.0.113.1')).toBe(true)
    // A range is a range ban's target (none here); a malformed one is an error.
    expect(await h.engine.unban('10.0.0.0/8')).toBe(false)
    await expect(h.engine.unban('10.0.0.0/33')).rejects.toMatchObject({ code: 'ERR_BULWARK_TARGET' })
  })

  it('emitAllows reports whitelisted allows too; auth-failure decisions say their source', async () => {
    h = harness({ emitAllows: true, whitelist: ['192.0.2.7'] })
    const seen: DecisionEvent[] = []
    h.engine.on('decision', (e) => seen.push(e))
    await h.req({ ip: '192.0.2.7' })
    await h.engine.reportAuthFailure({ ip: '198.51.100.1' })
    expect(seen.map((e) => [e.source, e.decision.rule])).toEqual([
      ['request', 'whitelist'],
      ['auth-failure', null],
    ])
  })

  it('logBans: false silences only the ban line', async () => {
    h = harness({ logBans: false })
    await burst(51)
    expect(h.logs.filter((l) => l.startsWith('Security Block'))).toEqual([])
  })
})
