import type { SubjectOp } from '@bulwark/core'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import {
  auth,
  burst,
  endpoint,
  force,
  HOUR,
  item,
  on,
  op,
  POLICY,
  suspicion,
  uniquePrefix,
} from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, keysUnder, REDIS_URL } from './helpers/redis.js'
import { waitFor } from './helpers/redis-server.js'

const T = 1_800_000_000_000
const DAY = 24 * HOUR

describeRedis('nothing leaks: every key expires', () => {
  const admin = adminClient()
  let prefix: string
  let store: RedisStore
  beforeEach(() => {
    prefix = uniquePrefix('life')
  })
  afterEach(async () => {
    await store?.close()
    await deleteUnder(admin, prefix)
  })
  afterAll(() => admin.quit())

  const pttls = async () => {
    const out: Record<string, number> = {}
    for (const key of await keysUnder(admin, prefix)) out[key.slice(prefix.length)] = await admin.pttl(key)
    return out
  }

  it('key TTLs follow the windows of the op that wrote them (client clock, where Redis TTLs cannot be fast-forwarded)', async () => {
    store = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
    const ip = 'ip:198.51.100.30'
    const custom = {
      kind: 'events',
      rule: 'my-rule',
      key: 'r:my-rule',
      limit: 3,
      windowMs: 2 * HOUR,
      add: 1,
    } as const
    await store.hit(
      op(T + 10_000, [on(ip, burst(), auth(), item('a1'), endpoint('login'), suspicion(1), custom)]),
    )
    const t = await pttls()
    const within = (key: string, min: number, max: number) => {
      expect(t[key], key).toBeGreaterThan(min)
      expect(t[key], key).toBeLessThanOrEqual(max)
    }
    expect(Object.keys(t).sort()).toEqual([
      `{${ip}}:a`,
      `{${ip}}:b`,
      `{${ip}}:e:login`,
      `{${ip}}:i`,
      `{${ip}}:r:my-rule`,
      `{${ip}}:s`,
    ])
    within(`{${ip}}:b`, 0, 1000)
    within(`{${ip}}:a`, 50_000, 60_000)
    within(`{${ip}}:i`, 290_000, 300_000)
    // The endpoint state matters until the end of the next fixed window: 60 s - 10 s elapsed + 60 s.
    within(`{${ip}}:e:login`, 100_000, 110_000)
    within(`{${ip}}:s`, DAY - 10_000, DAY)
    within(`{${ip}}:r:my-rule`, 2 * HOUR - 10_000, 2 * HOUR)

    await store.hit(op(T + 10_000, [on(ip, force('scanner'), custom)], { ...POLICY, jitter: 0.5 }))
    const b = await pttls()
    // The enforced ban cleared the built-in logs and the counters of the op's own counts; the endpoint window stays,
    // as in the memory store.
    expect(Object.keys(b).sort()).toEqual(['bans', `{${ip}}:ban`, `{${ip}}:e:login`, `{${ip}}:off`])
    expect(b[`{${ip}}:ban`]).toBeGreaterThan(1.5 * HOUR - 10_000)
    expect(b[`{${ip}}:ban`]).toBeLessThanOrEqual(1.5 * HOUR)
    // The index lives exactly as long as its last ban (PTTLs read a few ms apart may differ by those ms).
    expect(Math.abs((b.bans as number) - (b[`{${ip}}:ban`] as number))).toBeLessThanOrEqual(50)
    expect(b[`{${ip}}:off`]).toBeGreaterThan(POLICY.historyMs - 10_000)
    for (const [key, ttl] of Object.entries(b)) expect(ttl, key).toBeGreaterThan(0)
  })

  it('the burst log is a plain string for the first request of a client, a list from its second in the window', async () => {
    store = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
    const ip = 'ip:198.51.100.33'
    const log = `${store.keys.base(ip)}b`
    const hit = (at: number, limit = 3) => store.hit(op(at, [on(ip, burst({ limit }))]))
    await hit(T)
    expect(await admin.type(log)).toBe('string')
    expect(await admin.get(log)).toBe(String(T))
    expect(await admin.pttl(log)).toBeGreaterThan(900)
    await hit(T + 400)
    expect(await admin.type(log)).toBe('list')
    expect(await admin.lrange(log, 0, -1)).toEqual([T + 400, T].map(String))
    await admin.del(log)
    // A stale first time is replaced, not listed: the window holds one request again.
    await hit(T + 2000)
    await hit(T + 3001)
    expect(await admin.type(log)).toBe('string')
    expect(await admin.get(log)).toBe(String(T + 3001))
    // Limit 1: a second request inside the window trips and leaves the first time as it was.
    const r = await hit(T + 3500, 1)
    expect(r.ban).toMatchObject({ rule: 'burst', count: 2, limit: 1 })
  })

  it('the burst log keeps at most limit times, newest first, however long the traffic goes on', async () => {
    store = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
    const ip = 'ip:198.51.100.32'
    const hit = (at: number) => store.hit(op(at, [on(ip, burst({ limit: 3 }))]))
    // Steady traffic under the limit: 3 requests per window, 20 windows long; never trips.
    for (let i = 0; i < 60; i++) expect((await hit(T + i * 340)).ban).toBeNull()
    const log = `${store.keys.base(ip)}b`
    const last = T + 59 * 340
    expect(await admin.lrange(log, 0, -1)).toEqual([last, last - 340, last - 680].map(String))
    // One more 1 ms later: 4 requests in the window (limit + 1), so it trips and is not logged.
    const r = await hit(last + 1)
    expect(r.ban).toMatchObject({ rule: 'burst', count: 4, limit: 3 })
    expect(r.counts[0]?.[0]).toBe(4)
    // The enforced ban cleared the log.
    expect(await admin.exists(log)).toBe(0)
  })

  it('after the windows pass only active bans remain, then the key count returns to zero (real time)', async () => {
    store = new RedisStore({ url: REDIS_URL, prefix })
    const w = { windowMs: 200 }
    const policy = { ttlMs: 1500, factor: 2, maxTtlMs: 5000, historyMs: 1500, jitter: 0 }
    const all = (key: string): SubjectOp =>
      on(
        key,
        burst({ limit: 1, ...w }),
        auth({ limit: 10, ...w }),
        item('x', { limit: 10, ...w }),
        endpoint('api', { limit: 10, ...w }),
        suspicion(1, { limit: 10, ...w }),
      )
    await store.hit(op(0, [all('ip:198.51.100.31'), all('key:k31')], policy))
    // A second request trips the burst limit of 1 for both subjects: two bans of 1.5 s.
    const r = await store.hit(op(0, [all('ip:198.51.100.31'), all('key:k31')], policy))
    expect(r.ban).toMatchObject({ rule: 'burst', created: true })
    expect((await keysUnder(admin, prefix)).length).toBeGreaterThan(5)
    const bansOnly = (keys: string[]) => keys.every((k) => /:(ban|off)$|bans$/.test(k))
    let seenBansOnly = false
    await waitFor(
      async () => {
        const keys = await keysUnder(admin, prefix)
        if (keys.length > 0 && bansOnly(keys)) seenBansOnly = true
        return keys.length === 0
      },
      10_000,
      'every key to expire',
    )
    expect(seenBansOnly).toBe(true)
  })

  it('bytes per tracked IP, measured with MEMORY USAGE (documented in the README)', async () => {
    // A unique prefix as long as the default `bulwark:`, so the figures are those of a default setup.
    prefix = `m${Math.random().toString(36).slice(2, 8).padEnd(6, '0')}:`
    store = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
    const usage = async (subject: string) => {
      let bytes = 0
      for (const key of await keysUnder(admin, store.keys.base(subject))) {
        bytes += Number(await admin.memory('USAGE', key, 'SAMPLES', 0))
      }
      return bytes
    }
    const b = burst()
    const rows: [string, number][] = []
    await store.hit(op(T, [on('ip:198.51.100.1', b)]))
    rows.push(['IPv4, burst log with 1 request', await usage('ip:198.51.100.1')])
    for (let i = 0; i < 50; i++) await store.hit(op(T, [on('ip:198.51.100.2', b)]))
    rows.push(['IPv4, burst log full (50 requests in the window)', await usage('ip:198.51.100.2')])
    await store.hit(op(T, [on('ip:2001:db8:1:2::/64', b)]))
    rows.push(['IPv6 /64, burst log with 1 request', await usage('ip:2001:db8:1:2::/64')])
    await store.hit(op(T, [on('ip:198.51.100.3', b, endpoint('api', { limit: 100 }))]))
    rows.push(['IPv4, burst log (1) + one endpoint window', await usage('ip:198.51.100.3')])
    for (let i = 0; i < 100; i++) {
      await store.hit(op(T, [on('ip:198.51.100.4', item(`k${i}x7v2q9zl`))]))
    }
    rows.push(['IPv4, 100 distinct items (11-char fingerprints)', await usage('ip:198.51.100.4')])
    await store.hit(op(T, [on('ip:198.51.100.5', force('scanner', { note: 'sqlmap' }))]))
    rows.push(['IPv4, banned (ban + offense history)', await usage('ip:198.51.100.5')])
    rows.push([
      'ban index (shared zset) with that one ban',
      Number(await admin.memory('USAGE', store.keys.banIndex)),
    ])
    console.log(
      `bytes per tracked subject (Redis ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]}):`,
    )
    for (const [what, bytes] of rows) console.log(`  ${String(bytes).padStart(6)}  ${what}`)
    const bytes = Object.fromEntries(rows)
    // Pins the README figures (with some room for allocator and version differences).
    expect(bytes['IPv4, burst log with 1 request']).toBeLessThanOrEqual(250)
    expect(bytes['IPv4, burst log full (50 requests in the window)']).toBeLessThanOrEqual(800)
    expect(bytes['IPv4, burst log (1) + one endpoint window']).toBeLessThanOrEqual(350)
    expect(bytes['IPv4, banned (ban + offense history)']).toBeLessThanOrEqual(350)
  })
})
