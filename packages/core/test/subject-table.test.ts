import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SubjectTable } from '../src/subject-table.js'

/** The same behaviour, written the obvious way with a Map in recency order. */
class Model {
  readonly map = new Map<string, number>()
  constructor(readonly capacity: number) {}
  touch(key: string): { evicted: string | undefined } {
    if (this.map.has(key)) {
      const v = this.map.get(key) as number
      this.map.delete(key)
      this.map.set(key, v)
      return { evicted: undefined }
    }
    let evicted: string | undefined
    if (this.map.size >= this.capacity) {
      evicted = this.map.keys().next().value as string
      this.map.delete(evicted)
    }
    this.map.set(key, 0)
    return { evicted }
  }
}

describe('SubjectTable', () => {
  it('behaves like an LRU map under random traffic, with stable slots and colliding probe chains', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 400 }),
        (capacity, ops) => {
          const table = new SubjectTable(capacity, () => {})
          const model = new Model(capacity)
          const slotOf = new Map<string, number>()
          for (const n of ops) {
            const key = `ip:10.0.0.${n}`
            const { evicted } = model.touch(key)
            const slot = table.touch(key)
            if (evicted !== undefined) {
              expect(table.peek(evicted)).toBe(-1)
              slotOf.delete(evicted)
            }
            if (slotOf.has(key)) expect(slot).toBe(slotOf.get(key))
            slotOf.set(key, slot)
            expect(table.size).toBe(model.map.size)
            for (const k of model.map.keys()) expect(table.peek(k)).toBe(slotOf.get(k))
          }
        },
      ),
      { numRuns: 300 },
    )
  })

  it('calls onAssign for every new subject, so its state starts clean', () => {
    const assigned: number[] = []
    const table = new SubjectTable(2, (slot) => assigned.push(slot))
    table.touch('a')
    table.touch('b')
    table.touch('a')
    table.touch('c') // evicts b
    expect(assigned).toEqual([0, 1, 1])
    expect(table.peek('b')).toBe(-1)
    table.clear()
    expect(table.size).toBe(0)
    expect(table.touch('z')).toBe(0)
  })
})
