import type {
  BanNowCount,
  BanPolicy,
  BanRecord,
  Count,
  DistinctCount,
  EventsCount,
  HitOp,
  HitResult,
  Measure,
  RequestsCount,
  SpreadCount,
  Store,
  SubjectOp,
  WindowCount,
  WindowMeasure,
} from '@bulwark/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { T0 } from './clock.js'

export interface StoreSuiteContext {
  /** A unique prefix for this test, for stores that share a server between tests. */
  namespace: string
}

export interface StoreSuiteOptions {
  /** Called once per test to make a fresh, empty store. The store must take time from `op.now`. */
  create: (ctx: StoreSuiteContext) => Store | Promise<Store>
  /** Called after each test, after `store.close()`. */
  cleanup?: (ctx: StoreSuiteContext) => void | Promise<void>
}

const HOUR = 3_600_000
const POLICY: BanPolicy = { ttlMs: HOUR, factor: 2, maxTtlMs: 24 * HOUR, historyMs: 7 * 24 * HOUR, jitter: 0 }

// The counts of the built-in rules with their default numbers (the built-in counter keys `b`, `a`, `i`, `s`).
const burst = (o: Partial<RequestsCount> = {}): RequestsCount => ({
  kind: 'requests',
  rule: 'burst',
  key: 'b',
  limit: 50,
  windowMs: 1000,
  ...o,
})
const auth = (o: Partial<EventsCount> = {}): EventsCount => ({
  kind: 'events',
  rule: 'auth-failures',
  key: 'a',
  limit: 10,
  windowMs: 60_000,
  add: 1,
  ...o,
})
/** Auth failures on a key or a user: events from `source` (a client), banned only from `sources` distinct clients. */
const spread = (source: string, o: Partial<SpreadCount> = {}): SpreadCount => ({
  kind: 'spread',
  rule: 'auth-failures',
  key: 'a',
  limit: 10,
  windowMs: 60_000,
  add: 1,
  source,
  sources: 3,
  ...o,
})
const item = (value: string, o: Partial<DistinctCount> = {}): DistinctCount => ({
  kind: 'distinct',
  rule: 'scraping',
  key: 'i',
  limit: 500,
  windowMs: 300_000,
  value,
  ...o,
})
const suspicion = (add = 1, o: Partial<EventsCount> = {}): EventsCount => ({
  kind: 'events',
  rule: 'suspicion',
  key: 's',
  limit: 4,
  windowMs: 24 * HOUR,
  add,
  ...o,
})
/** An endpoint limit: a window count keyed `e:<id>`, named after its id. */
const endpoint = (o: Partial<WindowCount> & { id?: string } = {}): WindowCount => {
  const { id = 'auth', ...rest } = o
  return { kind: 'window', rule: id, key: `e:${id}`, limit: 5, windowMs: 60_000, ...rest }
}
const force = (rule: string, o: Partial<BanNowCount> = {}): BanNowCount => ({
  kind: 'ban',
  rule,
  key: '',
  ...o,
})
const on = (key: string, ...counts: Count[]): SubjectOp => ({ key, counts })

let seq = 0

/**
 * The behaviour every store must have, run against any store factory. The memory store and the Redis store (single
 * node and cluster) run this same suite. Times are explicit: every op carries `now`.
 */
export function storeConformanceSuite(name: string, options: StoreSuiteOptions): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store
    let ctx: StoreSuiteContext

    beforeEach(async () => {
      ctx = { namespace: `t${process.pid}x${seq++}x${Date.now().toString(36)}` }
      store = await options.create(ctx)
    })
    afterEach(async () => {
      await store.close()
      await options.cleanup?.(ctx)
    })

    const hit = (now: number, subjects: SubjectOp[], ban: BanPolicy = POLICY): Promise<HitResult> =>
      Promise.resolve(store.hit({ now, subjects, ban } satisfies HitOp))
    const ip = (n = 1) => `ip:198.51.100.${n}`
    /** What the store measured for count `j` of subject `i`. */
    const measure = (r: HitResult, j = 0, i = 0): Measure | undefined => r.counts[i]?.[j]
    const windowOf = (r: HitResult, j = 0, i = 0) => measure(r, j, i) as WindowMeasure | undefined
    /** `getBan` is optional in the contract; a store without it is read through `listBans`. */
    const getBan = async (subject: string, now: number): Promise<BanRecord | null> =>
      store.getBan
        ? store.getBan(subject, now)
        : ((await store.listBans(now)).find((b) => b.subject === subject) ?? null)

    describe('burst (exact sliding log)', () => {
      it('allows 50 requests at one instant and bans on the 51st', async () => {
        for (let i = 1; i <= 50; i++) {
          const r = await hit(T0, [on(ip(), burst())])
          expect(r.ban, `request ${i}`).toBeNull()
        }
        const r = await hit(T0, [on(ip(), burst())])
        expect(r.ban).toMatchObject({
          subject: ip(),
          rule: 'burst',
          count: 51,
          limit: 50,
          createdAt: T0,
          expiresAt: T0 + HOUR,
          offense: 1,
          enforced: true,
          created: true,
        })
        expect(measure(r)).toBe(51)
      })

      it('never bans a client steady at 50 req/s', async () => {
        for (let i = 0; i < 200; i++) {
          const r = await hit(T0 + i * 20, [on(ip(), burst())])
          expect(r.ban, `request ${i}`).toBeNull()
        }
      })

      it('counts requests in (now - 1 s, now]: the 51st at 999 ms bans, at 1000 ms it does not', async () => {
        for (let i = 0; i < 50; i++) await hit(T0, [on(ip(1), burst())])
        expect((await hit(T0 + 1000, [on(ip(1), burst())])).ban).toBeNull()
        for (let i = 0; i < 50; i++) await hit(T0, [on(ip(2), burst())])
        expect((await hit(T0 + 999, [on(ip(2), burst())])).ban?.rule).toBe('burst')
      })

      it('is exact for requests spread over the window', async () => {
        // 50 requests over 980 ms, the 51st at 990 ms: all inside one second.
        for (let i = 0; i < 50; i++) expect((await hit(T0 + i * 20, [on(ip(), burst())])).ban).toBeNull()
        expect((await hit(T0 + 990, [on(ip(), burst())])).ban?.rule).toBe('burst')
      })

      it('keeps subjects apart', async () => {
        for (let i = 0; i < 50; i++) await hit(T0, [on(ip(1), burst())])
        expect((await hit(T0, [on(ip(2), burst())])).ban).toBeNull()
      })

      it('an existing ban answers without counting, until it expires; then the subject starts clean', async () => {
        for (let i = 0; i < 51; i++) await hit(T0, [on(ip(), burst())])
        const during = await hit(T0 + HOUR - 1, [on(ip(), burst())])
        expect(during.ban).toMatchObject({ rule: 'burst', created: false, expiresAt: T0 + HOUR })
        expect(during.counts).toEqual([])
        const after = T0 + HOUR
        for (let i = 0; i < 50; i++) expect((await hit(after, [on(ip(), burst())])).ban).toBeNull()
        expect((await hit(after, [on(ip(), burst())])).ban?.created).toBe(true)
      })
    })

    describe('auth failures', () => {
      it('a negative add takes back the newest events (a refunded reservation) and never trips', async () => {
        for (let i = 0; i < 10; i++) await hit(T0, [on(ip(), auth())])
        const refunded = await hit(T0 + 1, [on(ip(), auth({ add: -3 }))])
        expect([refunded.ban, measure(refunded)]).toEqual([null, 7])
        // Three more fit again; the fourth trips.
        for (let i = 0; i < 3; i++) expect((await hit(T0 + 2, [on(ip(), auth())])).ban).toBeNull()
        expect((await hit(T0 + 3, [on(ip(), auth())])).ban).toMatchObject({
          rule: 'auth-failures',
          count: 11,
        })
        // Taking back more than there is leaves an empty log, not a negative one.
        const fresh = await hit(T0, [on(ip(2), auth({ add: -5 }))])
        expect([fresh.ban, measure(fresh)]).toEqual([null, 0])
        expect(measure(await hit(T0, [on(ip(2), auth())]))).toBe(1)
      })

      it('tolerates 10 failures in 60 s and bans on the 11th', async () => {
        for (let i = 1; i <= 10; i++) {
          const r = await hit(T0 + i * 1000, [on(ip(), auth())])
          expect(r.ban).toBeNull()
          expect(measure(r)).toBe(i)
        }
        const r = await hit(T0 + 11_000, [on(ip(), auth())])
        expect(r.ban).toMatchObject({ rule: 'auth-failures', count: 11, limit: 10, created: true })
      })

      it('forgets failures older than the window', async () => {
        for (let i = 0; i < 10; i++) await hit(T0, [on(ip(), auth())])
        const r = await hit(T0 + 60_000, [on(ip(), auth())])
        expect(r.ban).toBeNull()
        expect(measure(r)).toBe(1)
      })

      it('counts the API key separately from the IP and bans the key', async () => {
        const key = 'key:abc'
        for (let i = 0; i < 10; i++) {
          await hit(T0, [on(ip(i + 1), auth()), on(key, auth())])
        }
        const r = await hit(T0, [on(ip(99), auth()), on(key, auth())])
        expect(r.ban).toMatchObject({ subject: key, rule: 'auth-failures', created: true })
        expect(measure(r, 0, 0)).toBe(1)
        expect(measure(r, 0, 1)).toBe(11)
        // The key is banned from any IP; the IPs are not.
        expect((await hit(T0 + 1, [on(ip(50)), on(key)])).ban?.subject).toBe(key)
        expect((await hit(T0 + 1, [on(ip(50))])).ban).toBeNull()
      })
    })

    describe('auth failures from several clients (spread)', () => {
      const key = 'key:victim'
      it('one client cannot get a key banned, however many failures it sends', async () => {
        for (let i = 0; i < 40; i++) {
          const r = await hit(T0 + i, [on(key, spread('c1'))])
          expect(r.ban).toBeNull()
          expect(measure(r)).toBe(Math.min(i + 1, 11))
        }
        // Two clients: still not enough.
        expect((await hit(T0 + 50, [on(key, spread('c2'))])).ban).toBeNull()
      })

      it('more than limit failures from at least 3 clients ban the key', async () => {
        for (let i = 0; i < 9; i++) await hit(T0 + i, [on(key, spread('c1'))])
        expect((await hit(T0 + 10, [on(key, spread('c2'))])).ban).toBeNull()
        // 11 failures, 2 clients: no ban.
        expect((await hit(T0 + 11, [on(key, spread('c2'))])).ban).toBeNull()
        const r = await hit(T0 + 12, [on(key, spread('c3'))])
        expect(r.ban).toMatchObject({
          subject: key,
          rule: 'auth-failures',
          count: 11,
          limit: 10,
          created: true,
        })
        expect((await hit(T0 + 13, [on(ip(5)), on(key)])).ban?.subject).toBe(key)
      })

      it('sources are counted only while their last failure is in the window', async () => {
        await hit(T0, [on(key, spread('old-1'))])
        await hit(T0, [on(key, spread('old-2'))])
        for (let i = 0; i < 10; i++) await hit(T0 + 60_000 + i, [on(key, spread('c1'))])
        // 11 failures in the window would need 3 clients in it: old-1 and old-2 left it.
        expect((await hit(T0 + 60_100, [on(key, spread('c1'))])).ban).toBeNull()
        expect((await hit(T0 + 60_200, [on(key, spread('c2'))])).ban).toBeNull()
        expect((await hit(T0 + 60_300, [on(key, spread('c3'))])).ban).toMatchObject({ subject: key })
      })

      it('a refunded attempt takes its client back out: successful logins do not make a spread', async () => {
        for (let i = 0; i < 12; i++) await hit(T0 + i, [on(key, spread('attacker'))])
        // The owner logs in from two devices: each attempt is reserved, then refunded.
        for (const device of ['phone', 'laptop']) {
          await hit(T0 + 20, [on(key, spread(device))])
          const back = await hit(T0 + 21, [on(key, spread(device, { add: -1 }))])
          expect(back.ban).toBeNull()
        }
        expect((await hit(T0 + 30, [on(key, spread('attacker'))])).ban).toBeNull()
        expect((await hit(T0 + 31, [on(key, spread('third'))])).ban).toBeNull()
        expect((await hit(T0 + 32, [on(key, spread('fourth'))])).ban).toMatchObject({ subject: key })
      })

      it('sources: 1 bans on failures alone, as an events count does', async () => {
        for (let i = 0; i < 10; i++) await hit(T0, [on(key, spread('c1', { sources: 1 }))])
        expect((await hit(T0, [on(key, spread('c1', { sources: 1 }))])).ban).toMatchObject({ count: 11 })
      })

      it('a campaign from many clients bans on the 11th failure, and an unban starts the key clean', async () => {
        for (let i = 0; i < 10; i++) expect((await hit(T0 + i, [on(key, spread(`c${i}`))])).ban).toBeNull()
        expect((await hit(T0 + 10, [on(key, spread('c10'))])).ban).toMatchObject({ subject: key, count: 11 })
        await store.deleteBan(key)
        const after = await hit(T0 + 21, [on(key, spread('c1'))])
        expect([after.ban, measure(after)]).toEqual([null, 1])
      })
    })

    describe('scraping (distinct items)', () => {
      it('allows 500 distinct items in 5 min and bans on the 501st', async () => {
        for (let i = 1; i <= 500; i++) {
          const r = await hit(T0 + i, [on(ip(), item(`h${i}`))])
          expect(r.ban).toBeNull()
          if (i === 500) expect(measure(r)).toBe(500)
        }
        const r = await hit(T0 + 501, [on(ip(), item('h501'))])
        expect(r.ban).toMatchObject({ rule: 'scraping', count: 501, limit: 500, created: true })
      })

      it('does not count the same item twice', async () => {
        for (let i = 0; i < 1000; i++) {
          const r = await hit(T0 + i, [on(ip(), item(`h${i % 10}`))])
          expect(r.ban).toBeNull()
          expect(measure(r)).toBe(Math.min(i + 1, 10))
        }
      })

      it('forgets items not seen for 5 minutes', async () => {
        for (let i = 0; i < 500; i++) await hit(T0, [on(ip(), item(`h${i}`))])
        const r = await hit(T0 + 300_000, [on(ip(), item('new'))])
        expect(r.ban).toBeNull()
        expect(measure(r)).toBe(1)
      })

      it('a suspicious count never bans: each count over the limit adds a suspicion event (404 enumeration)', async () => {
        const notFound = (v: string) =>
          item(v, {
            rule: 'enumeration',
            key: 'r:enumeration',
            limit: 10,
            windowMs: 10_000,
            suspicious: true,
          })
        const counts = (v: string) => [notFound(v), suspicion(0, { addRefused: true })]
        for (let i = 1; i <= 10; i++) {
          const r = await hit(T0 + i, [on(ip(), ...counts(`p${i}`))])
          expect([r.ban, measure(r, 0), measure(r, 1)]).toEqual([null, i, 0])
        }
        for (let i = 1; i <= 4; i++) {
          const r = await hit(T0 + 10 + i, [on(ip(), ...counts(`q${i}`))])
          expect([r.ban, measure(r, 0), measure(r, 1)], `404 ${10 + i}`).toEqual([null, 11, i])
        }
        const r = await hit(T0 + 15, [on(ip(), ...counts('q5'))])
        expect(r.ban).toMatchObject({ rule: 'suspicion', count: 5, limit: 4, created: true })
        // Monitored, the count adds no event.
        const watched = () => ip(3)
        for (let i = 1; i <= 10; i++) await hit(T0 + i, [on(watched(), notFound(`p${i}`))])
        const monitored = await hit(T0 + 11, [
          on(watched(), { ...notFound('p11'), monitor: true }, suspicion(0, { addRefused: true })),
        ])
        expect([monitored.ban, measure(monitored, 0), measure(monitored, 1)]).toEqual([null, 11, 0])
        // Without addRefused after it, or not suspicious, nothing is added; not suspicious, the count bans as usual.
        const other = () => ip(2)
        for (let i = 1; i <= 10; i++) await hit(T0 + i, [on(other(), notFound(`p${i}`))])
        const quiet = await hit(T0 + 11, [on(other(), notFound('p11'), suspicion(0))])
        expect([quiet.ban, measure(quiet, 1)]).toEqual([null, 0])
        // The window passes: back under the limit, nothing added.
        const later = await hit(T0 + 20_012, [
          on(other(), notFound('p1'), suspicion(0, { addRefused: true })),
        ])
        expect([later.ban, measure(later, 0), measure(later, 1)]).toEqual([null, 1, 0])
      })

      it('a repeated item refreshes its time', async () => {
        for (let i = 0; i < 500; i++) await hit(T0, [on(ip(), item(`h${i}`))])
        await hit(T0 + 200_000, [on(ip(), item('h0'))])
        const r = await hit(T0 + 300_000, [on(ip(), item('h1'))])
        expect(measure(r)).toBe(2)
      })
    })

    describe('endpoint limits (sliding-window counter)', () => {
      it('allows 5, refuses the 6th with remaining 0, and gives remaining and reset', async () => {
        for (let i = 1; i <= 5; i++) {
          const r = await hit(T0 + 10_000, [on(ip(), endpoint())])
          expect(windowOf(r)).toEqual({ allowed: true, remaining: 5 - i, resetMs: 50_000 })
        }
        const r = await hit(T0 + 10_000, [on(ip(), endpoint())])
        expect(windowOf(r)).toEqual({ allowed: false, remaining: 0, resetMs: 50_000 })
        expect(r.ban).toBeNull()
      })

      it('weights the previous window by the part of it still inside the sliding window', async () => {
        for (let i = 0; i < 5; i++) await hit(T0, [on(ip(), endpoint())])
        // 45 s into the next window: estimate = 5 * 15/60 + 0 = 1.25, so 3 more fit (1.25 + 3 <= 5 < 1.25 + 4).
        const t = T0 + 60_000 + 45_000
        const got = []
        for (let i = 0; i < 4; i++) got.push(windowOf(await hit(t, [on(ip(), endpoint())])))
        expect(got).toEqual([
          { allowed: true, remaining: 2, resetMs: 15_000 },
          { allowed: true, remaining: 1, resetMs: 15_000 },
          { allowed: true, remaining: 0, resetMs: 15_000 },
          { allowed: false, remaining: 0, resetMs: 15_000 },
        ])
      })

      it('refused requests are not counted, and two windows later the slate is clean', async () => {
        for (let i = 0; i < 20; i++) await hit(T0, [on(ip(), endpoint())])
        const r = await hit(T0 + 120_000, [on(ip(), endpoint())])
        expect(windowOf(r)).toEqual({ allowed: true, remaining: 4, resetMs: 60_000 })
      })

      it('keeps endpoints apart', async () => {
        for (let i = 0; i < 5; i++) await hit(T0, [on(ip(), endpoint())])
        const r = await hit(T0, [on(ip(), endpoint({ id: 'other' }))])
        expect(windowOf(r)?.allowed).toBe(true)
      })

      it('a refused request adds a suspicion event when suspicion is tracked', async () => {
        const counts = [endpoint({ suspicious: true }), suspicion(0, { addRefused: true })]
        for (let i = 0; i < 5; i++) await hit(T0, [on(ip(), ...counts)])
        for (let i = 1; i <= 4; i++) {
          const r = await hit(T0, [on(ip(), ...counts)])
          expect(measure(r, 1)).toBe(i)
          expect(r.ban).toBeNull()
        }
        const r = await hit(T0, [on(ip(), ...counts)])
        expect(r.ban).toMatchObject({ rule: 'suspicion', count: 5, limit: 4, created: true })
      })

      it('a cost weighs the request: limit 25 at cost 10 allows two and refuses the third', async () => {
        const costly = endpoint({ id: 'export', limit: 25, cost: 10 })
        const got = []
        for (let i = 0; i < 3; i++) got.push(windowOf(await hit(T0 + 10_000, [on(ip(), costly)])))
        expect(got).toEqual([
          { allowed: true, remaining: 15, resetMs: 50_000 },
          { allowed: true, remaining: 5, resetMs: 50_000 },
          { allowed: false, remaining: 0, resetMs: 50_000 },
        ])
        // The refused request was not counted: a request of cost 5 still fits exactly.
        const cheap = await hit(T0 + 10_000, [on(ip(), { ...costly, cost: 5 })])
        expect(windowOf(cheap)).toEqual({ allowed: true, remaining: 0, resetMs: 50_000 })
      })

      it('a refusal adds no suspicion event unless the window is suspicious or the events count asks', async () => {
        const plain = [endpoint(), suspicion(0, { addRefused: true })]
        const notAsked = [endpoint({ suspicious: true }), suspicion(0)]
        for (let i = 0; i < 5; i++) await hit(T0, [on(ip(), endpoint())])
        expect(measure(await hit(T0, [on(ip(), ...plain)]), 1)).toBe(0)
        expect(measure(await hit(T0, [on(ip(), ...notAsked)]), 1)).toBe(0)
        // A suspicious refusal after the events count is not counted by it: only earlier windows are.
        const after = [suspicion(0, { addRefused: true }), endpoint({ suspicious: true })]
        expect(measure(await hit(T0, [on(ip(), ...after)]), 0)).toBe(0)
      })
    })

    describe('suspicion', () => {
      it('bans on the 5th suspicious event in 24 h, not the 4th', async () => {
        for (let i = 1; i <= 4; i++) {
          const r = await hit(T0 + i * HOUR, [on(ip(), suspicion())])
          expect(r.ban).toBeNull()
          expect(measure(r)).toBe(i)
        }
        const r = await hit(T0 + 5 * HOUR, [on(ip(), suspicion())])
        expect(r.ban).toMatchObject({ rule: 'suspicion', count: 5, created: true })
      })

      it('forgets events older than 24 h', async () => {
        for (let i = 0; i < 4; i++) await hit(T0, [on(ip(), suspicion())])
        const r = await hit(T0 + 24 * HOUR, [on(ip(), suspicion())])
        expect(measure(r)).toBe(1)
        expect(r.ban).toBeNull()
      })

      it('add: 0 reads the count without adding', async () => {
        await hit(T0, [on(ip(), suspicion(2))])
        const r = await hit(T0, [on(ip(), suspicion(0))])
        expect(measure(r)).toBe(2)
      })
    })

    describe('counts of your own rules', () => {
      const twoFactor = (o: Partial<EventsCount> = {}): EventsCount => ({
        kind: 'events',
        rule: '2fa-failures',
        key: 'r:2fa-failures',
        limit: 3,
        windowMs: 2 * HOUR,
        add: 1,
        ...o,
      })

      it('an events count with a custom rule id bans with that rule, and its ban clears its counter', async () => {
        for (let i = 1; i <= 3; i++) {
          const r = await hit(T0, [on(ip(), twoFactor())])
          expect(r.ban).toBeNull()
          expect(measure(r)).toBe(i)
        }
        const r = await hit(T0, [on(ip(), twoFactor())])
        expect(r.ban).toMatchObject({
          subject: ip(),
          rule: '2fa-failures',
          count: 4,
          limit: 3,
          enforced: true,
          created: true,
          expiresAt: T0 + HOUR,
        })
        expect(await getBan(ip(), T0 + 1)).toMatchObject({ rule: '2fa-failures', count: 4, limit: 3 })
        // The ban has ended; the events at T0 are still inside the 2 h window, but the enforced ban cleared them.
        const after = await hit(T0 + HOUR, [on(ip(), twoFactor())])
        expect(after.ban).toBeNull()
        expect(measure(after)).toBe(1)
      })

      it('two events counts with different keys on one subject are kept apart', async () => {
        const counts = [
          twoFactor({ add: 1 }),
          twoFactor({ rule: 'otp-resends', key: 'r:otp-resends', add: 2, limit: 10 }),
        ]
        const first = await hit(T0, [on(ip(), ...counts)])
        expect([measure(first, 0), measure(first, 1)]).toEqual([1, 2])
        const second = await hit(T0 + 1, [on(ip(), ...counts)])
        expect([measure(second, 0), measure(second, 1)]).toEqual([2, 4])
        // And apart from the built-in auth-failure counter of the same subject.
        expect(measure(await hit(T0 + 2, [on(ip(), auth())]))).toBe(1)
      })

      it('the first count that trips, in list order, gives the ban; every count is still applied', async () => {
        // Limit 1 each: the second request trips all three.
        const counts = [twoFactor({ limit: 1 }), burst({ limit: 1 }), auth({ limit: 1 })]
        expect((await hit(T0, [on(ip(), ...counts)])).ban).toBeNull()
        const r = await hit(T0, [on(ip(), ...counts)])
        expect(r.ban).toMatchObject({ rule: '2fa-failures', count: 2, limit: 1, created: true })
        expect([measure(r, 0), measure(r, 1), measure(r, 2)]).toEqual([2, 2, 2])
        const swapped = [auth({ limit: 1 }), twoFactor({ limit: 1 })]
        await hit(T0, [on(ip(2), ...swapped)])
        expect((await hit(T0, [on(ip(2), ...swapped)])).ban).toMatchObject({
          rule: 'auth-failures',
          count: 2,
        })
      })

      it('a subject with no counts still has its ban checked', async () => {
        expect(await hit(T0, [on(ip())])).toEqual({ ban: null, counts: expect.any(Array), now: T0 })
        await hit(T0, [on(ip(), force('scanner'))])
        const r = await hit(T0 + 1, [on(ip())])
        expect(r.ban).toMatchObject({ subject: ip(), rule: 'scanner', created: false, enforced: true })
        expect(r.counts).toEqual([])
        const both = await hit(T0 + 1, [on(ip(3), burst()), on(ip())])
        expect(both.ban).toMatchObject({ subject: ip(), rule: 'scanner', created: false })
      })
    })

    describe('forced bans, monitor mode and escalation', () => {
      it('force bans at once with its rule and note', async () => {
        const r = await hit(T0, [on(ip(), force('scanner', { note: 'sqlmap' }))])
        expect(r.ban).toMatchObject({
          rule: 'scanner',
          note: 'sqlmap',
          enforced: true,
          created: true,
          offense: 1,
        })
        expect(r.ban?.expiresAt).toBe(T0 + HOUR)
      })

      it('a monitored trip writes an observed ban that does not stop counting; an enforced trip replaces it', async () => {
        const monitored = burst({ monitor: true })
        for (let i = 0; i < 50; i++) await hit(T0, [on(ip(), monitored)])
        const first = await hit(T0, [on(ip(), monitored)])
        expect(first.ban).toMatchObject({ rule: 'burst', enforced: false, created: true })
        const again = await hit(T0 + 1, [on(ip(), monitored, auth())])
        expect(again.ban).toMatchObject({ rule: 'burst', enforced: false, created: false })
        expect(measure(again, 1)).toBe(1)
        const forced = await hit(T0 + 2, [on(ip(), force('scanner'))])
        expect(forced.ban).toMatchObject({ rule: 'scanner', enforced: true, created: true })
        expect((await getBan(ip(), T0 + 3))?.enforced).toBe(true)
      })

      it('escalates repeat offenders: 1 h, 2 h, 4 h … up to the maximum, and forgets after the history window', async () => {
        const policy: BanPolicy = { ...POLICY, maxTtlMs: 3 * HOUR }
        let t = T0
        const ttls: number[] = []
        for (let n = 0; n < 3; n++) {
          const r = await hit(t, [on(ip(), force('scanner'))], policy)
          expect(r.ban?.offense).toBe(n + 1)
          ttls.push((r.ban?.expiresAt ?? 0) - t)
          t = r.ban?.expiresAt ?? t
        }
        expect(ttls).toEqual([HOUR, 2 * HOUR, 3 * HOUR])
        const later = await hit(t + policy.historyMs, [on(ip(), force('scanner'))], policy)
        expect(later.ban?.offense).toBe(1)
      })

      it('applies the jitter chosen by the engine', async () => {
        const r = await hit(T0, [on(ip(), force('scanner'))], { ...POLICY, jitter: 0.1 })
        expect(r.ban?.expiresAt).toBe(T0 + 3_960_000)
      })

      it("tripWindow: an address's ban lasts the tripped count's window, at most tripWindow, never escalated (a suspected proxy)", async () => {
        const policy: BanPolicy = { ...POLICY, tripWindow: 60_000 }
        // The request also counts an item (5 min): the burst count that tripped decides.
        const counts = () => [burst({ limit: 2 }), item('x')]
        await hit(T0, [on(ip(), ...counts())], policy)
        await hit(T0, [on(ip(), ...counts())], policy)
        const burstBan = await hit(T0, [on(ip(), ...counts())], policy)
        expect(burstBan.ban).toMatchObject({ rule: 'burst', expiresAt: T0 + 1_000, created: true })
        const scanner = await hit(T0 + 1_000, [on(ip(), item('y'), force('scanner'))], policy)
        expect(scanner.ban).toMatchObject({ rule: 'scanner', expiresAt: T0 + 61_000, created: true })
        const again = await hit(T0 + 61_000, [on(ip(), force('scanner'))], policy)
        expect(again.ban?.expiresAt).toBe(T0 + 121_000)
        // A longer window (suspicion: 24 h) is cut to tripWindow; none of these limits is an offense.
        const events = await hit(T0 + 121_000, [on(ip(), suspicion(5))], policy)
        expect(events.ban).toMatchObject({ rule: 'suspicion', expiresAt: T0 + 181_000, offense: 1 })
        const real = await hit(T0 + 181_000, [on(ip(), force('scanner'))])
        expect(real.ban).toMatchObject({ offense: 1, expiresAt: T0 + 181_000 + HOUR })
      })

      it('tripWindow applies to the address only: a key counted in the same op is banned with the policy as usual', async () => {
        const policy: BanPolicy = { ...POLICY, tripWindow: 60_000 }
        const both = () => [on(ip(), burst()), on('key:k9', force('auth-failures'))]
        const r = await hit(T0, both(), policy)
        expect(r.ban).toMatchObject({
          subject: 'key:k9',
          rule: 'auth-failures',
          expiresAt: T0 + HOUR,
          offense: 1,
        })
        expect(r.ban?.limited).toBeUndefined()
        // Escalated: the first was an offense (a proxy limit is not).
        const again = await hit(T0 + HOUR, both(), policy)
        expect(again.ban).toMatchObject({ subject: 'key:k9', offense: 2, expiresAt: T0 + 3 * HOUR })
        const onIp = await hit(T0 + HOUR, [on(ip(2), force('scanner'))], policy)
        expect(onIp.ban).toMatchObject({
          subject: ip(2),
          limited: true,
          offense: 1,
          expiresAt: T0 + HOUR + 60_000,
        })
      })

      it('a ban on either subject of a request answers for the request', async () => {
        await hit(T0, [on('key:k1', force('auth-failures'))])
        const r = await hit(T0 + 1, [on(ip(7), burst()), on('key:k1')])
        expect(r.ban).toMatchObject({ subject: 'key:k1', created: false })
      })
    })

    describe('manual management', () => {
      it('setBan, getBan, listBans and deleteBan', async () => {
        const written = await store.setBan({
          subject: ip(1),
          rule: 'manual',
          note: 'abuse report #12',
          createdAt: T0,
          expiresAt: T0 + 10 * 60_000,
          enforced: true,
        })
        expect(written).toMatchObject({ subject: ip(1), rule: 'manual', offense: 1 })
        await store.setBan({
          subject: ip(2),
          rule: 'manual',
          createdAt: T0,
          expiresAt: T0 + 60_000,
          enforced: true,
        })
        expect(await getBan(ip(1), T0)).toMatchObject({
          note: 'abuse report #12',
          expiresAt: T0 + 600_000,
        })
        expect((await store.listBans(T0)).map((b) => b.subject)).toEqual([ip(2), ip(1)])
        expect((await store.listBans(T0 + 60_000)).map((b) => b.subject)).toEqual([ip(1)])
        expect(await getBan(ip(2), T0 + 60_000)).toBeNull()
        const r = await hit(T0 + 1, [on(ip(1), burst())])
        expect(r.ban).toMatchObject({ rule: 'manual', created: false })
        expect(await store.deleteBan(ip(1))).toBe(true)
        expect(await store.deleteBan(ip(1))).toBe(false)
        expect(await getBan(ip(1), T0 + 2)).toBeNull()
        expect((await hit(T0 + 2, [on(ip(1), burst())])).ban).toBeNull()
      })

      it('deleteBan gives the subject a clean slate', async () => {
        for (let i = 0; i < 51; i++) await hit(T0, [on(ip(), burst())])
        await store.deleteBan(ip())
        for (let i = 0; i < 50; i++) expect((await hit(T0 + 1, [on(ip(), burst())])).ban).toBeNull()
        const again = await hit(T0 + 1, [on(ip(), burst())])
        expect(again.ban).toMatchObject({ created: true, offense: 1 })
      })

      it('whitelist add, list and remove', async () => {
        await store.whitelistAdd('10.0.0.0/8')
        await store.whitelistAdd('203.0.113.9')
        await store.whitelistAdd('203.0.113.9')
        expect(await store.whitelistList()).toEqual(['10.0.0.0/8', '203.0.113.9'])
        expect(await store.whitelistRemove('10.0.0.0/8')).toBe(true)
        expect(await store.whitelistRemove('10.0.0.0/8')).toBe(false)
        expect(await store.whitelistList()).toEqual(['203.0.113.9'])
      })
    })

    describe('odd input', () => {
      it('handles unicode and long subject keys and items without losing other state', async () => {
        for (let i = 0; i < 50; i++) await hit(T0, [on(ip(), burst())])
        const odd = `ip:${'\u{1F600}'.repeat(300)}\u0000`
        const r = await hit(T0, [on(odd, burst(), item('\u0000\uFFFF'.repeat(100)))])
        expect(r.ban).toBeNull()
        expect((await hit(T0, [on(ip(), burst())])).ban?.rule).toBe('burst')
      })
    })
  })
}
