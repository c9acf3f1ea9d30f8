/** A clock for tests: a function returning ms, moved by hand. */
export interface FakeClock {
  (): number
  now(): number
  set(ms: number): void
  advance(ms: number): number
}

/** Window-aligned start time (a multiple of 1 s, 60 s and 5 min) so fixed windows start where tests expect. */
export const T0 = 1_800_000_000_000

export function fakeClock(start = T0): FakeClock {
  let t = start
  const clock = (() => t) as FakeClock
  clock.now = () => t
  clock.set = (ms) => {
    t = ms
  }
  clock.advance = (ms) => {
    t += ms
    return t
  }
  return clock
}
