import { type Bulwark, type BulwarkOptions, createBulwark, silentLogger } from '@bulwark/core'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'
import { waitFor } from './helpers/redis-server.js'

describeRedis('range bans are shared through Redis like any ban', () => {
  const admin = adminClient()
  let prefix: string
  const engines: Bulwark[] = []
  const engine = (options: BulwarkOptions = {}) => {
    const e = createBulwark({
      store: new RedisStore({ url: REDIS_URL, prefix }),
      apiKeySecret: 'shared-secret-for-all-app-servers',
      logger: silentLogger,
      ...options,
    })
    engines.push(e)
    return e
  }
  const get = (e: Bulwark, ip: string) => e.inspect({ ip, method: 'GET', path: '/api/items' })
  beforeEach(() => {
    prefix = uniquePrefix('ranges')
  })
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()))
    await deleteUnder(admin, prefix)
  })
  afterAll(() => admin.quit())

  it('a CIDR banned on A is refused by B as soon as the ban message arrives, by a new C at start, and lifted everywhere by unban', async () => {
    const a = engine()
    const b = engine()
    await Promise.all([a.ready, b.ready])
    const info = await a.ban('203.0.113.0/24', { reason: 'botnet', ttlMs: 600_000 })
    expect(info).toMatchObject({ subject: 'ip:203.0.113.0/24', rule: 'manual', source: 'manual' })
    await waitFor(
      async () => (await get(b, '203.0.113.77')).conclusion === 'block',
      1000,
      'B to refuse the range',
    )
    expect(await get(b, '203.0.113.77')).toMatchObject({
      status: 403,
      rule: 'manual',
      reason: 'Manual ban of 203.0.113.0/24: botnet',
      evidence: { source: 'manual', matched: '203.0.113.0/24' },
      store: 'none',
    })
    await a.ban('2001:db8:77::/48', { ttlMs: 600_000 })
    const c = engine()
    await c.ready
    expect(await get(c, '203.0.113.1')).toMatchObject({ status: 403, evidence: { source: 'manual' } })
    expect(await get(c, '2001:db8:77:1::1')).toMatchObject({ status: 403 })
    expect((await c.listBans()).map((x) => [x.target, x.source]).sort()).toEqual([
      ['2001:db8:77::/48', 'manual'],
      ['203.0.113.0/24', 'manual'],
    ])
    expect(await c.unban('203.0.113.0/24')).toBe(true)
    for (const e of [a, b, c]) {
      await waitFor(
        async () => (await get(e, '203.0.113.77')).conclusion === 'allow',
        1000,
        'the range to be lifted',
      )
    }
    expect(await get(b, '2001:db8:77:1::1')).toMatchObject({ status: 403 })
  })
})
