import type { WindowMeasure } from '@bulwark/core'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { burst, endpoint, HOUR, on, op, uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'

describeRedis('one clock: windows run on the Redis server TIME', () => {
  const admin = adminClient()
  const redisNow = async () => {
    const [s, us] = await admin.time()
    return Number(s) * 1000 + Math.floor(Number(us) / 1000)
  }
  let prefix: string
  const stores: RedisStore[] = []
  const open = (clock: 'server' | 'client' = 'server') => {
    const s = new RedisStore({ url: REDIS_URL, prefix, clock })
    stores.push(s)
    return s
  }
  beforeEach(() => {
    prefix = uniquePrefix('clock')
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
    await deleteUnder(admin, prefix)
  })
  afterAll(() => admin.quit())

  it('hit answers with the Redis clock, whatever op.now says', async () => {
    const store = open()
    const before = await redisNow()
    const r = await store.hit(op(0, [on('ip:192.0.2.1', burst({ limit: 5 }))]))
    const after = await redisNow()
    expect(r.now).toBeGreaterThanOrEqual(before)
    expect(r.now).toBeLessThanOrEqual(after)
    expect(await store.serverTime()).toBeGreaterThanOrEqual(r.now)
  })

  it('two app servers whose clocks are five hours apart share one sliding window', async () => {
    const a = open()
    const b = open()
    const counts = [burst({ limit: 10, windowMs: 60_000 }), endpoint('login', { limit: 100 })]
    const subject = (now: number) => op(now, [on('ip:198.51.100.20', ...counts)])
    for (let i = 0; i < 6; i++) expect((await a.hit(subject(Date.now()))).ban).toBeNull()
    const seen: number[] = []
    for (let i = 0; i < 4; i++) {
      const r = await b.hit(subject(Date.now() + 5 * HOUR))
      expect(r.ban).toBeNull()
      seen.push((r.counts[0]?.[1] as WindowMeasure | undefined)?.remaining ?? -1)
    }
    // The endpoint window saw A's six requests from B's side.
    expect(seen[0]).toBeLessThanOrEqual(100 - 7)
    const eleventh = await b.hit(subject(Date.now() + 5 * HOUR))
    expect(eleventh.ban).toMatchObject({ rule: 'burst', count: 11, limit: 10, created: true })
    // The ban is on the Redis clock: it ends one hour after Redis' now, not after B's skewed now.
    expect(eleventh.ban?.createdAt).toBe(eleventh.now)
    expect(Math.abs((eleventh.ban?.expiresAt ?? 0) - HOUR - (await redisNow()))).toBeLessThan(5_000)
  })

  it("with clock: 'client' the same skew splits the window (why 'server' is the default)", async () => {
    const a = open('client')
    const b = open('client')
    const subject = (now: number) => op(now, [on('ip:198.51.100.21', burst({ limit: 10, windowMs: 60_000 }))])
    for (let i = 0; i < 6; i++) await a.hit(subject(Date.now()))
    for (let i = 0; i < 5; i++) expect((await b.hit(subject(Date.now() + 5 * HOUR))).ban).toBeNull()
  })

  it('setBan keeps the duration and anchors the ban on the Redis clock; getBan and listBans read that clock', async () => {
    const store = open()
    const skewed = Date.now() - 5 * HOUR
    const ban = await store.setBan({
      subject: 'ip:198.51.100.22',
      rule: 'manual',
      createdAt: skewed,
      expiresAt: skewed + HOUR,
      enforced: true,
    })
    const now = await redisNow()
    expect(Math.abs(ban.createdAt - now)).toBeLessThan(5_000)
    expect(ban.expiresAt - ban.createdAt).toBe(HOUR)
    // `now` arguments are ignored on the Redis clock: a caller far in the future still sees the ban.
    expect(await store.getBan('ip:198.51.100.22', skewed + 100 * HOUR)).toEqual(ban)
    expect(await store.listBans(skewed + 100 * HOUR)).toEqual([ban])
    const pttl = await admin.pttl(store.keys.subject('ip:198.51.100.22').ban)
    expect(pttl).toBeGreaterThan(HOUR - 10_000)
    expect(pttl).toBeLessThanOrEqual(HOUR)
  })
})
