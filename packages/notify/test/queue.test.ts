import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { createBoundedQueue } from '../src/queue.js'

describe('createBoundedQueue', () => {
  test('is FIFO and drops the oldest entry when full', () => {
    const q = createBoundedQueue<number>(3)
    expect(q.push(1)).toBeUndefined()
    q.push(2)
    q.push(3)
    expect(q.push(4)).toEqual({ dropped: 1 })
    expect(q.push(5)).toEqual({ dropped: 2 })
    expect(q.length).toBe(3)
    expect(q.shift()).toBe(3)
    q.push(6)
    expect(q.clear()).toEqual([4, 5, 6])
    expect(q.length).toBe(0)
    expect(q.shift()).toBeUndefined()
  })

  test('refuses a capacity that is not a positive integer', () => {
    expect(() => createBoundedQueue(0)).toThrow(RangeError)
    expect(() => createBoundedQueue(1.5)).toThrow(RangeError)
  })

  test('never holds more than its capacity and keeps the newest entries in order (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant('shift' as const)), {
          maxLength: 60,
        }),
        (capacity, ops) => {
          const q = createBoundedQueue<number>(capacity)
          const model: number[] = []
          let dropped = 0
          for (const op of ops) {
            if (op === 'shift') {
              expect(q.shift()).toBe(model.shift())
            } else {
              if (q.push(op)) dropped++
              model.push(op)
              if (model.length > capacity) model.shift()
            }
            expect(q.length).toBeLessThanOrEqual(capacity)
            expect(q.length).toBe(model.length)
          }
          const pushes = ops.filter((o) => o !== 'shift').length
          expect(dropped).toBeLessThanOrEqual(pushes)
          expect(q.clear()).toEqual(model)
        },
      ),
    )
  })
})
