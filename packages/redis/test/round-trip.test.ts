import { type Bulwark, type Count, createBulwark, silentLogger } from '@bulwark/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { HIT_FUNCTION } from '../src/lua/hit.js'
import { CommandMonitor } from './helpers/monitor.js'
import { auth, burst, endpoint, force, item, on, op, suspicion } from './helpers/ops.js'
import { describeRedisServer } from './helpers/redis.js'
import { type RedisServer, startRedisServer } from './helpers/redis-server.js'

const T = 1_800_000_000_000
const SECRET = 'a-shared-secret-of-enough-length'

describeRedisServer('one round trip: what the Redis server actually executes', () => {
  let server: RedisServer
  let monitor: CommandMonitor
  let store: RedisStore
  let engine: Bulwark

  beforeAll(async () => {
    server = await startRedisServer()
    store = new RedisStore({ url: server.url, prefix: 'rt:' })
    engine = createBulwark({
      store: new RedisStore({ url: server.url, prefix: 'rt-engine:' }),
      apiKeySecret: SECRET,
      whitelist: ['203.0.113.0/24'],
      logger: silentLogger,
      endpoints: [{ match: '/login', limit: 5, windowMs: 60_000 }],
    })
    await engine.ready
    await store.ready()
    monitor = new CommandMonitor(server.url)
    await monitor.start()
    // Warm up: the first hit on a server finds the function library missing and loads it (FUNCTION LOAD), the first
    // call of each other script is answered NOSCRIPT and resent as EVAL, which loads it.
    await store.hit(op(T, [on('ip:192.0.2.1', burst({ limit: 5 }))]))
    await engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/' })
  })
  afterAll(async () => {
    await monitor?.stop()
    await engine?.close()
    await store?.close()
    await server?.stop()
  })

  const every = (ip: string) =>
    on(ip, burst(), auth(), item('f00d'), endpoint('login'), suspicion(1), {
      kind: 'events',
      rule: 'my-rule',
      key: 'r:my-rule',
      limit: 3,
      windowMs: 60_000,
      add: 1,
    })

  it('a request with every kind of count for an IP and an API key is one script call', async () => {
    const cmds = await monitor.during(() => store.hit(op(T, [every('ip:198.51.100.40'), every('key:k40')])))
    expect(cmds.map((c) => c.name)).toEqual(['fcall'])
  })

  it('a trip that writes a ban (with escalation and the ban index) is still one FCALL', async () => {
    const cmds = await monitor.during(() =>
      store.hit(op(T, [on('ip:198.51.100.41', force('scanner', { note: 'nikto' }))])),
    )
    expect(cmds.map((c) => c.name)).toEqual(['fcall'])
    expect(await store.getBan('ip:198.51.100.41', T)).toMatchObject({ rule: 'scanner', note: 'nikto' })
  })

  it('the script does only the work the op asks for', async () => {
    const inside = await monitor.scriptCommands(() => store.hit(op(T, [on('ip:198.51.100.42')])))
    // A subject with no counts only has its ban checked (after reading the Redis clock).
    expect(inside.map((c) => c.name)).toEqual(['time', 'hget'])
    const b = burst({ windowMs: 60_000 })
    const request = () => monitor.scriptCommands(() => store.hit(op(T, [on('ip:198.51.100.42', b)])))
    // A new client: the ban flag, then its first request time as a plain string key with the window as its TTL.
    expect((await request()).map((c) => c.name)).toEqual(['time', 'hget', 'lpushx', 'set'])
    // The second request turns it into a list, newest first.
    expect((await request()).map((c) => c.name)).toEqual([
      'time',
      'hget',
      'lpushx',
      'get',
      'del',
      'lpush',
      'pexpire',
    ])
    // The common request from then on: push and read the TTL, which still covers a window (the list was given two;
    // it is extended by two again once less than one is left, and trimmed only once it exceeds the limit).
    expect((await request()).map((c) => c.name)).toEqual(['time', 'hget', 'lpushx', 'pttl'])
    expect((await request()).map((c) => c.name)).toEqual(['time', 'hget', 'lpushx', 'pttl'])
  })

  it('the burst log is extended by two windows once less than one is left, so it always outlives its newest entry by a window', async () => {
    const admin = new Redis(server.url)
    const ip = 'ip:198.51.100.47'
    const log = `${store.keys.base(ip)}b`
    const b = burst({ windowMs: 60_000 })
    await store.hit(op(T, [on(ip, b)]))
    await store.hit(op(T, [on(ip, b)]))
    expect(await admin.type(log)).toBe('list')
    expect(await admin.pttl(log)).toBeGreaterThan(119_000)
    // Less than a window left (as if 61 s had passed): the next request extends it to two windows again.
    await admin.pexpire(log, 59_000)
    const cmds = await monitor.scriptCommands(() => store.hit(op(T, [on(ip, b)])))
    expect(cmds.map((c) => c.name)).toEqual(['time', 'hget', 'lpushx', 'pttl', 'pexpire'])
    expect(await admin.pttl(log)).toBeGreaterThan(119_000)
    // More than a window left: only read.
    await admin.pexpire(log, 61_000)
    const read = await monitor.scriptCommands(() => store.hit(op(T, [on(ip, b)])))
    expect(read.map((c) => c.name)).toEqual(['time', 'hget', 'lpushx', 'pttl'])
    expect(await admin.pttl(log)).toBeLessThanOrEqual(61_000)
    admin.disconnect()
  })

  it('concurrent requests share round trips: requests of one event-loop turn go in one FCALL', async () => {
    const results = await monitor.during(async () => {
      const pending = Array.from({ length: 20 }, (_, i) =>
        store.hit(op(T, [on(`ip:198.51.101.${i}`, burst())])),
      )
      const rs = await Promise.all(pending)
      // Nothing measured: each answer is the bare clock, decoded with empty counts.
      for (const r of rs) expect(r).toEqual({ ban: null, counts: [], now: expect.any(Number) })
    })
    expect(results.map((c) => c.name)).toEqual(['fcall'])
  })

  it('a shared call answers each request as its own call would have, in order', async () => {
    const b = burst({ limit: 5, windowMs: 60_000 })
    let rs: Awaited<ReturnType<RedisStore['hit']>>[] = []
    const cmds = await monitor.during(async () => {
      rs = await Promise.all(Array.from({ length: 8 }, () => store.hit(op(T, [on('ip:198.51.102.1', b)]))))
    })
    expect(cmds.map((c) => c.name)).toEqual(['fcall'])
    // Five allowed, the sixth trips and writes the ban, the last two meet the ban and count nothing.
    expect(rs.slice(0, 5).map((r) => r.ban)).toEqual(Array(5).fill(null))
    expect(rs[5]?.ban).toMatchObject({ rule: 'burst', created: true, count: 6, limit: 5 })
    for (const r of rs.slice(6))
      expect(r).toMatchObject({ ban: { rule: 'burst', created: false }, counts: [] })
  })

  it('ops after one answered early (a ban) or failed are read from the right place in the shared call', async () => {
    await store.setBan({
      subject: 'key:k103',
      rule: 'manual',
      createdAt: T,
      expiresAt: T + 60_000,
      enforced: true,
    })
    const admin = new Redis(server.url)
    await admin.hset(`${store.keys.base('ip:198.51.103.2')}b`, 'f', 'v')
    const two = (ip: string) => [
      on(ip, burst(), auth({ add: 0 }), endpoint('x')),
      on('key:k103', burst(), auth()),
    ]
    let settled: PromiseSettledResult<Awaited<ReturnType<RedisStore['hit']>>>[] = []
    const cmds = await monitor.during(async () => {
      settled = await Promise.allSettled([
        store.hit(op(T, two('ip:198.51.103.1'))),
        store.hit(op(T, [on('ip:198.51.103.2', auth(), burst(), item('x'))])),
        store.hit(op(T, [on('ip:198.51.103.3', item('y'), endpoint('x', { limit: 1 }), auth({ add: 2 }))])),
      ])
    })
    expect(cmds.map((c) => c.name)).toEqual(['fcall'])
    expect(settled[0]).toMatchObject({ value: { ban: { subject: 'key:k103', rule: 'manual' }, counts: [] } })
    expect(settled[1]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringMatching(/WRONGTYPE/) },
    })
    expect(settled[2]).toMatchObject({
      value: { ban: null, counts: [[1, { allowed: true, remaining: 0, resetMs: expect.any(Number) }, 2]] },
    })
    await admin.quit()
  })

  it('an op that fails in a shared call fails alone', async () => {
    const admin = new Redis(server.url)
    // A burst key of the wrong type (a hash): reading it fails with WRONGTYPE.
    await admin.hset(`${store.keys.base('ip:198.51.102.2')}b`, 'f', 'v')
    const b = burst({ limit: 5 })
    const [bad, good] = await Promise.allSettled([
      store.hit(op(T, [on('ip:198.51.102.2', b)])),
      store.hit(op(T, [on('ip:198.51.102.3', b)])),
    ])
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'ERR_BULWARK_STORE' } })
    expect((bad as PromiseRejectedResult).reason.message).toMatch(/WRONGTYPE/)
    expect(good).toMatchObject({ status: 'fulfilled', value: { ban: null } })
    expect(await admin.exists(`${store.keys.base('ip:198.51.102.3')}b`)).toBe(1)
    await admin.quit()
  })

  it('an op the script cannot take fails alone, before Redis; the others share the call', async () => {
    const unknown = { kind: 'nope', rule: 'x', key: 'r:x' } as unknown as Count
    const onBanKey = { ...burst(), key: 'ban' }
    let settled: PromiseSettledResult<Awaited<ReturnType<RedisStore['hit']>>>[] = []
    const cmds = await monitor.during(async () => {
      settled = await Promise.allSettled([
        store.hit(op(T, [on('ip:198.51.102.4', burst())])),
        store.hit(op(T, [on('ip:198.51.102.5', burst()), on('key:k5', unknown)])),
        store.hit(op(T, [on('ip:198.51.102.6', onBanKey)])),
        // Limit 0: trips at once, so its answer shows the replies stayed aligned with the ops.
        store.hit(op(T, [on('ip:198.51.102.7', burst({ limit: 0 }))])),
      ])
    })
    expect(cmds.map((c) => c.name)).toEqual(['fcall'])
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled'])
    expect(settled[0]).toMatchObject({ value: { ban: null } })
    expect(settled[1]).toMatchObject({
      reason: { code: 'ERR_BULWARK_STORE', message: expect.stringMatching(/nope/) },
    })
    expect(settled[2]).toMatchObject({
      reason: { code: 'ERR_BULWARK_STORE', message: expect.stringMatching(/ban/) },
    })
    expect(settled[3]).toMatchObject({
      value: { ban: { subject: 'ip:198.51.102.7', rule: 'burst', count: 1 } },
    })
    // The refused op's other subject was not counted either.
    expect((await store.hit(op(T, [on('ip:198.51.102.5', burst({ limit: 0 }))]))).ban).toMatchObject({
      count: 1,
    })
  })

  it('at most 64 requests per call, at most 10,000 waiting: the next one is refused at once', async () => {
    // 157 calls written at once, the last answered after all the others (and MONITOR): on a loaded machine that can
    // take longer than the default 500 ms command timeout, which is not what this test is about.
    const patient = new RedisStore({ url: server.url, prefix: 'rt:', commandTimeoutMs: 20_000 })
    await patient.ready()
    let settled: PromiseSettledResult<unknown>[] = []
    const cmds = await monitor.during(async () => {
      const pending = Array.from({ length: 10_001 }, (_, i) =>
        patient.hit(op(T, [on(`ip:10.9.${i >> 8}.${i & 255}`)])),
      )
      settled = await Promise.allSettled(pending)
    })
    await patient.close()
    expect(settled.slice(0, 10_000).find((r) => r.status === 'rejected')).toBeUndefined()
    expect(settled[10_000]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_BULWARK_STORE' } })
    expect(cmds.map((c) => c.name)).toEqual(Array(Math.ceil(10_000 / 64)).fill('fcall'))
  })

  it('engine: an inspected request costs one command; a whitelisted or a cached banned client costs none', async () => {
    const request = (i: number) => ({
      ip: '198.51.100.43',
      method: 'POST',
      path: '/login',
      apiKey: 'k-43',
      item: `d${i}`,
    })
    await engine.inspect(request(0))
    const normal = await monitor.during(() => engine.inspect(request(1)))
    expect(normal.map((c) => c.name)).toEqual(['fcall'])

    const whitelisted = await monitor.during(async () => {
      const d = await engine.inspect({ ip: '203.0.113.9', method: 'GET', path: '/' })
      expect(d.rule).toBe('whitelist')
    })
    expect(whitelisted).toEqual([])

    await engine.ban('198.51.100.44')
    const cached = await monitor.during(async () => {
      for (let i = 0; i < 10; i++) {
        const d = await engine.inspect({ ip: '198.51.100.44', method: 'GET', path: '/' })
        expect(d).toMatchObject({ conclusion: 'block', rule: 'manual', store: 'none' })
      }
    })
    expect(cached).toEqual([])
  })

  it('after FUNCTION FLUSH (or a restart without persistence) the library is reloaded transparently', async () => {
    const admin = new Redis(server.url)
    await admin.function('FLUSH')
    admin.disconnect()
    let result: Awaited<ReturnType<RedisStore['hit']>> | undefined
    const cmds = await monitor.during(async () => {
      result = await store.hit(op(T, [on('ip:198.51.100.45', burst())]))
    })
    expect(cmds.map((c) => [c.name, c.args[0]])).toEqual([
      ['fcall', HIT_FUNCTION],
      ['function', 'LOAD'],
      ['fcall', HIT_FUNCTION],
    ])
    expect(result?.ban).toBeNull()
    const next = await monitor.during(() => store.hit(op(T, [on('ip:198.51.100.45', burst())])))
    expect(next.map((c) => c.name)).toEqual(['fcall'])
  })

  it('with functions: false, hits run as EVALSHA, reloaded after SCRIPT FLUSH: NOSCRIPT, then EVAL', async () => {
    const evalStore = new RedisStore({ url: server.url, prefix: 'rt-eval:', functions: false })
    const admin = new Redis(server.url)
    await admin.script('FLUSH')
    admin.disconnect()
    let result: Awaited<ReturnType<RedisStore['hit']>> | undefined
    const cmds = await monitor.during(async () => {
      result = await evalStore.hit(op(T, [on('ip:198.51.100.46', burst())]))
    })
    expect(cmds.map((c) => c.name)).toEqual(['evalsha', 'eval'])
    expect(result?.ban).toBeNull()
    const next = await monitor.during(() => evalStore.hit(op(T, [on('ip:198.51.100.46', burst())])))
    expect(next.map((c) => c.name)).toEqual(['evalsha'])
    await evalStore.close()
  })
})
