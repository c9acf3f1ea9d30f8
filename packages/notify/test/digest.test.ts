import { describe, expect, test } from 'vitest'
import { createDigester } from '../src/digest.js'
import { banEvent, distinctBans, unbanEvent } from './helpers/events.js'

describe('createDigester', () => {
  test('lets `limit` events through per sliding interval and folds the rest', () => {
    const d = createDigester({ limit: 3, intervalMs: 60_000, sample: 20 })
    const events = distinctBans(5)
    expect(events.map((e, i) => d.offer(e, i))).toEqual(['send', 'send', 'send', 'folded', 'folded'])
    expect(d.open).toBe(true)
    // the first send leaves the window at 60000: one more may pass
    expect(d.offer(banEvent(), 59_999)).toBe('folded')
    expect(d.offer(banEvent(), 60_000)).toBe('send')
    expect(d.offer(banEvent(), 60_000)).toBe('folded') // the send at 1 is still in the window
    expect(d.offer(banEvent(), 60_001)).toBe('send')
    expect(d.offer(banEvent(), 60_002)).toBe('send')
    expect(d.offer(banEvent(), 60_002)).toBe('folded')
  })

  test('a digest counts bans, monitor bans, unbans and rules, and names the first `sample` targets', () => {
    const d = createDigester({ limit: 1, intervalMs: 60_000, sample: 3 })
    d.offer(banEvent(), 0)
    const folded = [
      ...distinctBans(4, { rule: 'probe' }),
      ...distinctBans(2, { rule: 'scanner', enforced: false }).map((e) => ({
        ...e,
        target: `x${e.target}`,
      })),
    ]
    for (const e of folded) expect(d.offer(e, 10)).toBe('folded')
    expect(d.offer(unbanEvent(), 11)).toBe('folded')
    const digest = d.take(20)
    expect(digest).toEqual({
      at: 20,
      since: 10,
      intervalMs: 60_000,
      banned: 6,
      monitor: 2,
      unbanned: 1,
      targets: ['198.51.100.1', '198.51.100.2', '198.51.100.3'],
      allIps: true,
      rules: { probe: 4, scanner: 2 },
    })
    expect(d.open).toBe(false)
    expect(d.take(30)).toBeUndefined()
  })

  test('allIps is false once an API-key subject is folded', () => {
    const d = createDigester({ limit: 1, intervalMs: 1000, sample: 5 })
    d.offer(banEvent(), 0)
    d.offer(banEvent({ subject: 'key:abc', target: 'abc' }), 1)
    expect(d.take(2)?.allIps).toBe(false)
  })

  test('memory stays bounded however many events are folded', () => {
    const d = createDigester({ limit: 1, intervalMs: 60_000, sample: 5 })
    d.offer(banEvent(), 0)
    for (const e of distinctBans(5000)) d.offer(e, 1)
    const digest = d.take(2)!
    expect(digest.banned).toBe(5000)
    expect(digest.targets).toHaveLength(5)
  })
})
