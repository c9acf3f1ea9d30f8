import { describe, expect, it } from 'vitest'
import { fingerprint } from '../src/index.js'
import { ItemWindow } from '../src/item-window.js'

/** FNV-1a folded to 31 bits: the hash the memory store used to key items by. */
function hash31(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >> 1
}

describe('ItemWindow', () => {
  it('counts items by their 53-bit fingerprint: two fingerprints that share a 31-bit hash are two items', () => {
    // Find two distinct fingerprints whose 31-bit hashes collide (a birthday search over ~2^16 fingerprints).
    const seen = new Map<number, string>()
    let pair: [string, string] | null = null
    for (let i = 0; pair === null && i < 400_000; i++) {
      const f = fingerprint(`item-${i}`)
      const h = hash31(f)
      const other = seen.get(h)
      if (other !== undefined && other !== f) pair = [other, f]
      else seen.set(h, f)
    }
    expect(pair).not.toBeNull()
    const [a, b] = pair as [string, string]
    const w = new ItemWindow(0)
    expect(w.add(a, 1, 300_000, 500)).toBe(1)
    expect(w.add(b, 2, 300_000, 500)).toBe(2)
    expect(w.add(a, 3, 300_000, 500)).toBe(2)
  })

  it('takes any value, fingerprinting what is not already a fingerprint', () => {
    const w = new ItemWindow(0)
    expect(w.add('not a fingerprint', 1, 1000, 10)).toBe(1)
    expect(w.add(fingerprint('not a fingerprint'), 2, 1000, 10)).toBe(1)
    expect(w.add('x'.repeat(5000), 3, 1000, 10)).toBe(2)
  })
})
