import type { DedupeOptions } from './options.js'

/** Remembers keys for a window, at most `maxKeys` of them (the oldest are forgotten first). */
export interface Dedupe {
  /** True when the key was seen within the window (a repeat); otherwise remembers it and returns false. */
  repeat(key: string, now: number): boolean
  readonly size: number
  clear(): void
}

export function createDedupe(options: DedupeOptions): Dedupe {
  // key -> when it stops being a repeat. Insertion order is expiry order: every entry gets the same window.
  const until = new Map<string, number>()
  function sweep(now: number): void {
    for (const [key, end] of until) {
      if (end > now) break
      until.delete(key)
    }
  }
  return {
    repeat(key, now) {
      sweep(now)
      const end = until.get(key)
      if (end !== undefined && end > now) return true
      until.set(key, now + options.windowMs)
      while (until.size > options.maxKeys) {
        const oldest = until.keys().next().value as string
        until.delete(oldest)
      }
      return false
    },
    get size() {
      return until.size
    },
    clear() {
      until.clear()
    },
  }
}
