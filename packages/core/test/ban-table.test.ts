import { describe, expect, it } from 'vitest'
import { BanTable } from '../src/ban-table.js'
import { MemoryStore, type StoreMessage } from '../src/index.js'
import type { BanRecord } from '../src/types.js'

const HOUR = 3_600_000
const ban = (subject: string, expiresAt: number): BanRecord => ({
  subject,
  rule: 'scanner',
  createdAt: 0,
  expiresAt,
  offense: 1,
  enforced: true,
})

describe('BanTable', () => {
  it('when full, drops the ban that ends soonest, never by recency, and says so', () => {
    const evicted: string[] = []
    const t = new BanTable(3, (b) => evicted.push(b.subject))
    t.set(ban('key:victim', 24 * HOUR))
    for (let i = 0; i < 1000; i++) t.set(ban(`ip:flood-${i}`, HOUR + i))
    expect(t.size).toBe(3)
    expect(t.get('key:victim')?.expiresAt).toBe(24 * HOUR)
    expect(evicted).toHaveLength(998)
    expect(evicted.slice(0, 3)).toEqual(['ip:flood-0', 'ip:flood-1', 'ip:flood-2'])
  })

  it('a replaced or deleted ban is never evicted in place of a live one', () => {
    const evicted: string[] = []
    const t = new BanTable(2, (b) => evicted.push(`${b.subject}@${b.expiresAt}`))
    t.set(ban('a', 10))
    t.set(ban('a', 500)) // replaced: its old heap entry at 10 is stale
    t.set(ban('b', 100))
    t.delete('b')
    t.set(ban('c', 300))
    t.set(ban('d', 400))
    expect(evicted).toEqual(['c@300'])
    expect([...t.values()].map((b) => b.subject).sort()).toEqual(['a', 'd'])
  })

  it('keeps its heap proportional to the table under churn', () => {
    const t = new BanTable(10)
    for (let i = 0; i < 100_000; i++) t.set(ban(`s${i % 10}`, i))
    expect(t.size).toBe(10)
    expect((t as unknown as { heap: unknown[] }).heap.length).toBeLessThanOrEqual(2 * 10 + 16)
  })
})

describe('MemoryStore bans under a flood', () => {
  it('a flood of new subjects and of short bans cannot push out a longer ban; evictions are published', () => {
    const store = new MemoryStore({ maxBans: 100, maxSubjects: 1_000 })
    const messages: StoreMessage[] = []
    store.subscribe((m) => messages.push(m))
    const policy = { ttlMs: HOUR, factor: 1, maxTtlMs: HOUR, historyMs: HOUR, jitter: 0 }
    store.setBan({
      subject: 'key:victim',
      rule: 'manual',
      createdAt: 0,
      expiresAt: 24 * HOUR,
      enforced: true,
    })
    for (let i = 0; i < 5_000; i++) {
      store.hit({
        now: i,
        subjects: [
          { key: `ip:2001:db8:${i.toString(16)}::/64`, counts: [{ kind: 'ban', rule: 'scanner', key: '' }] },
        ],
        ban: policy,
      })
    }
    expect(store.getBan('key:victim', 5_000)?.rule).toBe('manual')
    expect(store.listBans(5_000)).toHaveLength(100)
    expect(messages).toHaveLength(4_901)
    expect(messages[0]).toEqual({ type: 'evicted', subject: 'ip:2001:db8:0::/64', expiresAt: HOUR })
  })
})

describe("the engine turns the store's evicted message into an event", () => {
  it("emits 'evicted' (and BULWARK_BANS_FULL once) when a flood fills the ban table; the evicted client is answered again", async () => {
    const { createBulwark } = await import('../src/index.js')
    let now = 1_000_000
    const engine = createBulwark({ store: new MemoryStore({ maxBans: 2 }), clock: () => now, logger: false })
    const evicted: { subject: string; target: string; expiresAt: number }[] = []
    const codes: string[] = []
    engine.on('evicted', (e) =>
      evicted.push({ subject: e.subject, target: e.target, expiresAt: e.expiresAt }),
    )
    engine.on('diagnostic', (d) => codes.push(d.code))
    const scan = (ip: string) =>
      engine.decide({ ip, method: 'GET', path: '/', headers: { 'user-agent': 'sqlmap/1.7' } })
    await scan('203.0.113.1')
    now += 1_000
    await scan('203.0.113.2')
    now += 1_000
    await scan('203.0.113.3')
    expect(evicted).toEqual([
      { subject: 'ip:203.0.113.1', target: '203.0.113.1', expiresAt: 1_000_000 + 3_600_000 },
    ])
    expect(codes.filter((c) => c === 'BULWARK_BANS_FULL')).toEqual(['BULWARK_BANS_FULL'])
    // The engine's own ban cache forgets it too: the client is decided afresh (and allowed with a plain agent).
    const again = await engine.decide({ ip: '203.0.113.1', method: 'GET', path: '/', headers: {} })
    expect(again.conclusion).toBe('allow')
    await engine.close()
  })
})
