import { fakeClock, ipv4 } from '@bulwark/testkit'
import { describe, expect, it } from 'vitest'
import { createBulwark, MemoryStore } from '../src/index.js'

describe('memory store bounds', () => {
  it('a flood of one million distinct IPs never tracks more than the cap', async () => {
    const store = new MemoryStore({ maxSubjects: 50_000 })
    const clock = fakeClock()
    const engine = createBulwark({ store, clock, logger: false })
    let max = 0
    for (let i = 0; i < 1_000_000; i++) {
      await engine.inspect({ ip: ipv4(i), method: 'GET', path: '/' })
      if ((i & 0xffff) === 0) max = Math.max(max, store.trackedSubjects)
    }
    max = Math.max(max, store.trackedSubjects)
    expect(max).toBe(50_000)
    await engine.close()
  }, 120_000)

  it('eviction keeps the most recent subjects exact: a hot attacker inside the flood is still banned at 51', async () => {
    const store = new MemoryStore({ maxSubjects: 1000, maxHotSubjects: 10 })
    const clock = fakeClock()
    const engine = createBulwark({ store, clock, logger: false })
    let banned = -1
    for (let i = 0; i < 51; i++) {
      for (let j = 0; j < 50; j++)
        await engine.inspect({ ip: ipv4(10_000 + i * 50 + j), method: 'GET', path: '/' })
      const d = await engine.inspect({ ip: '203.0.113.66', method: 'GET', path: '/' })
      if (d.conclusion === 'block') {
        banned = i + 1
        break
      }
    }
    expect(banned).toBe(51)
    await engine.close()
  })

  it('rejects nonsensical caps', () => {
    expect(() => new MemoryStore({ maxSubjects: 0 })).toThrow(/maxSubjects/)
    expect(() => new MemoryStore({ maxBans: 1.5 })).toThrow(/maxBans/)
  })
})
