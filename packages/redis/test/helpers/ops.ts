import type {
  BanNowCount,
  BanPolicy,
  Count,
  DistinctCount,
  EventsCount,
  HitOp,
  RequestsCount,
  SubjectOp,
  WindowCount,
} from '@bulwark/core'

export const HOUR = 3_600_000
export const POLICY: BanPolicy = {
  ttlMs: HOUR,
  factor: 2,
  maxTtlMs: 24 * HOUR,
  historyMs: 7 * 24 * HOUR,
  jitter: 0,
}

let seq = 0
/** A prefix no other test (or test run) uses. */
export function uniquePrefix(name: string): string {
  return `t:${name}:${process.pid}:${Date.now().toString(36)}:${seq++}:`
}

export function op(now: number, subjects: SubjectOp[], ban: BanPolicy = POLICY): HitOp {
  return { now, subjects, ban }
}

/** One subject and its counts, in order. */
export const on = (key: string, ...counts: Count[]): SubjectOp => ({ key, counts })

// The built-in rules' counts (their counter keys `b`, `a`, `i`, `s`, `e:<id>`), with the engine's default numbers.
export const burst = (o: Partial<RequestsCount> = {}): RequestsCount => ({
  kind: 'requests',
  rule: 'burst',
  key: 'b',
  limit: 50,
  windowMs: 1000,
  ...o,
})
export const auth = (o: Partial<EventsCount> = {}): EventsCount => ({
  kind: 'events',
  rule: 'auth-failures',
  key: 'a',
  limit: 10,
  windowMs: 60_000,
  add: 1,
  ...o,
})
export const item = (value: string, o: Partial<DistinctCount> = {}): DistinctCount => ({
  kind: 'distinct',
  rule: 'scraping',
  key: 'i',
  limit: 500,
  windowMs: 300_000,
  value,
  ...o,
})
export const suspicion = (add = 1, o: Partial<EventsCount> = {}): EventsCount => ({
  kind: 'events',
  rule: 'suspicion',
  key: 's',
  limit: 4,
  windowMs: 24 * HOUR,
  add,
  addRefused: true,
  ...o,
})
export const endpoint = (id: string, o: Partial<WindowCount> = {}): WindowCount => ({
  kind: 'window',
  rule: id,
  key: `e:${id}`,
  limit: 5,
  windowMs: 60_000,
  suspicious: true,
  ...o,
})
export const force = (rule = 'scanner', o: Partial<BanNowCount> = {}): BanNowCount => ({
  kind: 'ban',
  rule,
  key: '',
  ...o,
})
