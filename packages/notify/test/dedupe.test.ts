import { describe, expect, test } from 'vitest'
import { createDedupe } from '../src/dedupe.js'

describe('createDedupe', () => {
  test('a key is a repeat within the window and new again after it', () => {
    const d = createDedupe({ windowMs: 1000, maxKeys: 100 })
    expect(d.repeat('a', 0)).toBe(false)
    expect(d.repeat('a', 999)).toBe(true)
    expect(d.repeat('b', 999)).toBe(false)
    expect(d.repeat('a', 1000)).toBe(false)
    // the window restarts from the new first sighting, not from the repeats
    expect(d.repeat('a', 1999)).toBe(true)
    expect(d.repeat('a', 2000)).toBe(false)
  })

  test('repeats do not extend the window', () => {
    const d = createDedupe({ windowMs: 1000, maxKeys: 100 })
    d.repeat('a', 0)
    d.repeat('a', 900)
    expect(d.repeat('a', 1000)).toBe(false)
  })

  test('holds at most maxKeys keys, forgetting the oldest', () => {
    const d = createDedupe({ windowMs: 60_000, maxKeys: 3 })
    for (const k of ['a', 'b', 'c', 'd']) d.repeat(k, 0)
    expect(d.size).toBe(3)
    expect(d.repeat('a', 1)).toBe(false) // forgotten, so new
    expect(d.repeat('d', 1)).toBe(true)
    for (let i = 0; i < 10_000; i++) d.repeat(`k${i}`, 2)
    expect(d.size).toBe(3)
  })

  test('expired keys are swept, so the map shrinks without new keys flooding it', () => {
    const d = createDedupe({ windowMs: 10, maxKeys: 1000 })
    for (let i = 0; i < 500; i++) d.repeat(`k${i}`, 0)
    expect(d.size).toBe(500)
    d.repeat('late', 100)
    expect(d.size).toBe(1)
  })
})
