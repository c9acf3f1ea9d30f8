import {
  type Bulwark,
  type BulwarkOptions,
  createBulwark,
  type Decision,
  isBan,
  silentLogger,
} from '@bulwark/core'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { HOUR, uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'
import { waitFor } from './helpers/redis-server.js'

const SECRET = 'shared-secret-for-all-app-servers'

describeRedis('engines on one Redis share counters, bans and the whitelist', () => {
  const admin = adminClient()
  let prefix: string
  const engines: Bulwark[] = []
  const engine = (options: BulwarkOptions = {}) => {
    const e = createBulwark({
      store: new RedisStore({ url: REDIS_URL, prefix }),
      apiKeySecret: SECRET,
      logger: silentLogger,
      burst: { limit: 5, windowMs: 10_000 },
      ...options,
    })
    engines.push(e)
    return e
  }
  const get = (e: Bulwark, ip: string, extra: Partial<Parameters<Bulwark['inspect']>[0]> = {}) =>
    e.inspect({ ip, method: 'GET', path: '/api/items', ...extra })
  beforeEach(() => {
    prefix = uniquePrefix('engine')
  })
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()))
    await deleteUnder(admin, prefix)
  })
  afterAll(() => admin.quit())

  it('a ban created through instance A is enforced by instance B on its next request', async () => {
    const a = engine()
    const b = engine()
    for (let i = 0; i < 5; i++) expect((await get(a, '198.51.100.60')).conclusion).toBe('allow')
    const tripped = await get(a, '198.51.100.60')
    expect(tripped).toMatchObject({ conclusion: 'block', rule: 'burst', newBan: true, store: 'primary' })
    const onB = await get(b, '198.51.100.60')
    expect(onB).toMatchObject({ conclusion: 'block', rule: 'burst', newBan: false, store: 'primary' })
    // Counters are shared too: three requests on A and three on B trip the limit of five.
    for (let i = 0; i < 3; i++) await get(a, '198.51.100.61')
    for (let i = 0; i < 2; i++) expect((await get(b, '198.51.100.61')).conclusion).toBe('allow')
    expect((await get(b, '198.51.100.61')).rule).toBe('burst')
    expect((await a.listBans()).map((x) => x.target).sort()).toEqual(['198.51.100.60', '198.51.100.61'])
  })

  it('unban on A reaches B within one second, although B had the ban cached', async () => {
    const a = engine()
    const b = engine()
    await a.ban('198.51.100.62', { reason: 'abuse' })
    // B learns the ban from Redis and caches it: from now on it answers without asking Redis.
    expect(await get(b, '198.51.100.62')).toMatchObject({
      conclusion: 'block',
      rule: 'manual',
      store: 'primary',
    })
    expect(await get(b, '198.51.100.62')).toMatchObject({ conclusion: 'block', store: 'none' })
    const started = Date.now()
    expect(await a.unban('198.51.100.62')).toBe(true)
    let last: Decision | undefined
    await waitFor(
      async () => {
        last = await get(b, '198.51.100.62')
        return last.conclusion === 'allow'
      },
      1000,
      'B to allow the unblocked IP',
    )
    expect(Date.now() - started).toBeLessThan(1000)
    expect(last?.store).toBe('primary')
  })

  it('whitelist changes on A reach B within one second', async () => {
    const a = engine()
    const b = engine()
    await Promise.all([a.ready, b.ready])
    await a.whitelist.add('198.51.100.0/26')
    await waitFor(async () => (await get(b, '198.51.100.63')).rule === 'whitelist', 1000, 'B to whitelist')
    const c = engine()
    await c.ready
    // A new instance loads the shared whitelist at start.
    expect((await get(c, '198.51.100.63')).rule).toBe('whitelist')
    await a.whitelist.remove('198.51.100.0/26')
    await waitFor(async () => (await get(b, '198.51.100.63')).rule !== 'whitelist', 1000, 'B to forget it')
    expect(await b.whitelist.list()).toEqual([])
  })

  it('engines whose clocks are hours apart agree on windows and ban times (the Redis clock)', async () => {
    const ahead = engine({ clock: () => Date.now() + 6 * HOUR })
    const behind = engine({ clock: () => Date.now() - 6 * HOUR })
    for (let i = 0; i < 3; i++) expect((await get(ahead, '198.51.100.64')).conclusion).toBe('allow')
    for (let i = 0; i < 2; i++) expect((await get(behind, '198.51.100.64')).conclusion).toBe('allow')
    const sixth = await get(behind, '198.51.100.64')
    expect(sixth).toMatchObject({ conclusion: 'block', rule: 'burst', newBan: true })
    const [s] = await admin.time()
    const expires = sixth.evidence.expiresAt ?? 0
    expect(Math.abs(expires - HOUR - Number(s) * 1000)).toBeLessThan(5000)
    // Retry-After is computed on the store's clock, so both engines give about one hour.
    if (!isBan(sixth)) throw new Error('expected a ban')
    expect(sixth.retryAfterS).toBeGreaterThan(3590)
    expect(sixth.retryAfterS).toBeLessThanOrEqual(3600)
    const onAhead = await get(ahead, '198.51.100.64')
    if (!isBan(onAhead)) throw new Error('expected a ban')
    expect(onAhead.retryAfterS).toBeGreaterThan(3590)
  })
})
