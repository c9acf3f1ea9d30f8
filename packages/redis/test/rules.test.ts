import {
  type BanRecord,
  type Bulwark,
  type BulwarkOptions,
  createBulwark,
  type EventsCount,
  isBan,
  isRateLimit,
  limit,
  type Rule,
  silentLogger,
} from '@bulwark/core'
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'

const SECRET = 'shared-secret-for-all-app-servers'

/** The core README's rule: more than 20 failed 2FA codes per user in 10 minutes → ban the user. */
function twoFactorFailures(): Rule {
  const count: EventsCount = {
    kind: 'events',
    rule: '2fa-failures',
    key: 'r:2fa-failures',
    limit: 20,
    windowMs: 600_000,
    add: 1,
  }
  return {
    id: '2fa-failures',
    mode: 'enforce',
    on: '2fa-failure',
    check: () => ({ count, by: 'user' }),
    describe: (ban: BanRecord) => `2FA failures: ${ban.count} in 10 min (limit ${ban.limit})`,
  }
}

describeRedis('rules as values on Redis: your own rule, who is counted, route limits', () => {
  const admin = adminClient()
  let prefix: string
  const engines: Bulwark[] = []
  const engine = (options: BulwarkOptions = {}) => {
    const e = createBulwark({
      store: new RedisStore({ url: REDIS_URL, prefix }),
      apiKeySecret: SECRET,
      logger: silentLogger,
      ...options,
    })
    engines.push(e)
    return e
  }
  const get = (e: Bulwark, ip: string, extra: Partial<Parameters<Bulwark['inspect']>[0]> = {}) =>
    e.inspect({ ip, method: 'GET', path: '/api/items', headers: {}, ...extra })
  beforeEach(() => {
    prefix = uniquePrefix('rules')
  })
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()))
    await deleteUnder(admin, prefix)
  })
  afterAll(() => admin.quit())

  describe('a rule of your own', () => {
    it('two app servers share its counter: the 21st failure bans the user everywhere, and nobody else', async () => {
      const a = engine({ rules: [twoFactorFailures()] })
      const b = engine({ rules: [twoFactorFailures()] })
      for (let i = 1; i <= 20; i++) {
        const d = await (i % 2 === 0 ? a : b).report('2fa-failure', { ip: `203.0.113.${i}`, user: 'alice' })
        expect(d.conclusion, `failure ${i}`).toBe('allow')
      }
      const d = await a.report('2fa-failure', { ip: '203.0.113.99', user: 'alice' })
      expect(d).toMatchObject({ conclusion: 'block', rule: '2fa-failures', newBan: true })
      expect(d.evidence).toMatchObject({ banned: 'user:alice', count: 21, limit: 20 })
      const onB = await get(b, '198.51.100.1', { user: 'alice' })
      expect(isBan(onB)).toBe(true)
      expect(onB.reason).toBe('2FA failures: 21 in 10 min (limit 20)')
      expect((await get(b, '203.0.113.5', { user: 'bob' })).conclusion).toBe('allow')
      // The counter lives under the subject's hash tag with the rule's own key.
      const keys = await admin.keys(`${prefix}*user:alice*`)
      expect(keys.sort()).toEqual([`${prefix}{user:alice}:ban`, `${prefix}{user:alice}:off`])
    })
  })

  describe('who is counted', () => {
    it("by: 'user' counts one user across addresses and app servers", async () => {
      const rules = () => [limit({ id: 'per-user', limit: 3, windowMs: 60_000, by: 'user' })]
      const a = engine({ rules: rules() })
      const b = engine({ rules: rules() })
      expect((await get(a, '203.0.113.1', { user: 'u1' })).rateLimit?.remaining).toBe(2)
      expect((await get(b, '203.0.113.2', { user: 'u1' })).rateLimit?.remaining).toBe(1)
      expect((await get(a, '203.0.113.3', { user: 'u1' })).rateLimit?.remaining).toBe(0)
      const fourth = await get(b, '203.0.113.4', { user: 'u1' })
      expect(isRateLimit(fourth)).toBe(true)
      expect(fourth.rule).toBe('per-user')
      expect((await get(b, '203.0.113.4', { user: 'u2' })).conclusion).toBe('allow')
    })

    it("burst by: 'user' bans the user, not the address", async () => {
      const a = engine({ burst: { limit: 5, windowMs: 10_000, by: 'user' } })
      for (let i = 0; i < 5; i++)
        expect((await get(a, `203.0.113.${i}`, { user: 'flood' })).conclusion).toBe('allow')
      const d = await get(a, '203.0.113.9', { user: 'flood' })
      expect(d).toMatchObject({ conclusion: 'block', rule: 'burst', evidence: { banned: 'user:flood' } })
      expect((await get(a, '203.0.113.9', { user: 'calm' })).conclusion).toBe('allow')
      expect((await a.listBans()).map((b) => b.target)).toEqual(['user:flood'])
    })
  })

  describe('limits as values', () => {
    it('a route limit with a cost runs in the same call as the engine rules, shared by two app servers', async () => {
      const route = { rules: [limit({ id: 'GET /export', limit: 25, windowMs: 60_000, cost: 10 })] }
      const a = engine()
      const b = engine()
      const facts = { ip: '203.0.113.1', method: 'GET', path: '/export', headers: {} }
      expect((await a.inspect(facts, route)).rateLimit).toMatchObject({ limit: 25, remaining: 15 })
      expect((await b.inspect(facts, route)).rateLimit).toMatchObject({ limit: 25, remaining: 5 })
      const third = await a.inspect(facts, route)
      expect(third).toMatchObject({ conclusion: 'limit', rule: 'GET /export', status: 429 })
    })
  })
})
