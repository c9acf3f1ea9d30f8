import { describe, expect, it } from 'vitest'
import { SpreadLog, spreadCap } from '../src/spread-log.js'

describe('SpreadLog', () => {
  it('keeps at most spreadCap(sources) sources, the most recently seen', () => {
    const log = new SpreadLog(10, spreadCap(3))
    expect(spreadCap(3)).toBe(16)
    expect(spreadCap(10)).toBe(40)
    for (let i = 0; i < 100_000; i++) log.add(i, `c${i}`, 1)
    // Only the 16 newest sources are known; all are in a window covering them.
    expect(log.distinct(100_000, 100)).toBe(16)
    expect(log.distinct(100_000, 5)).toBe(4)
    expect(log.log.count(100_000, 100_000)).toBe(11)
  })

  it('a refund takes one event back and drops a source with none left', () => {
    const log = new SpreadLog(10, 16)
    log.add(1, 'a', 1)
    log.add(2, 'b', 1)
    log.add(3, 'b', 1)
    log.takeBack('b', 1)
    expect(log.distinct(3, 10)).toBe(2)
    log.takeBack('b', 1)
    log.takeBack('a', 1)
    expect(log.distinct(3, 10)).toBe(0)
    expect(log.log.count(3, 10)).toBe(0)
    // A refund for a source it never saw takes the event back only.
    log.add(4, 'c', 1)
    log.takeBack('z', 1)
    expect([log.distinct(4, 10), log.log.count(4, 10)]).toEqual([1, 0])
  })
})
