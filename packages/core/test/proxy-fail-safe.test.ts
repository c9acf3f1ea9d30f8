import { describe, expect, it } from 'vitest'
import { AUTH_FAILURE } from '../src/index.js'
import { harness } from './helpers.js'

// Behind a load balancer Bulwark was not told about, every request comes from one private address carrying
// X-Forwarded-For: that address is limited for the tripped rule's window, at most 60 s, never banned (issue 13 item 1).
const viaBalancer = {
  ip: '10.0.0.5',
  method: 'GET',
  path: '/login',
  headers: { 'x-forwarded-for': '203.0.113.7' },
}

describe('a suspected proxy', () => {
  it('is limited for the tripped rule window (60 s at most), and a key it carries is banned as usual (1 h)', async () => {
    const h = harness({ authFailures: { minClients: 1 }, suspicion: false })
    const key = { ...viaBalancer, apiKey: 'bwk_victim' }
    for (let i = 0; i < 10; i++) expect((await h.engine.report(AUTH_FAILURE, key)).rule).toBe(null)
    const tripped = await h.engine.report(AUTH_FAILURE, key)
    // Both subjects trip on the 11th failure: the address is limited (this answer), the key banned.
    expect(tripped).toMatchObject({ conclusion: 'limit', status: 429, rule: 'auth-failures' })
    const bans = await h.engine.listBans()
    expect(bans.map((b) => [b.subject.split(':')[0], b.ttlS])).toEqual(
      expect.arrayContaining([
        ['ip', 60],
        ['key', 3600],
      ]),
    )
    // The balancer's own requests (a health check: no X-Forwarded-For) get 429, not 403, while the limit lasts.
    const health = await h.engine.inspect({ ip: '10.0.0.5', method: 'GET', path: '/health', headers: {} })
    expect([health.conclusion, health.status]).toEqual(['limit', 429])
    h.clock.advance(60_000)
    expect(
      (await h.engine.inspect({ ip: '10.0.0.5', method: 'GET', path: '/health', headers: {} })).conclusion,
    ).toBe('allow')
    // The key stays banned from any address.
    const other = await h.engine.inspect({
      ...key,
      ip: '198.51.100.1',
      headers: { 'x-api-key': 'bwk_victim' },
    })
    expect([other.conclusion, other.status]).toEqual(['block', 403])
    await h.engine.close()
  })
})
