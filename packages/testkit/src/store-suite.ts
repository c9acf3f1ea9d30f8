import type { BanPolicy, HitOp, HitResult, Store, SubjectOp } from '@bulwark/core'
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
const BURST = { limit: 50, windowMs: 1000 }
const AUTH = { limit: 10, windowMs: 60_000 }
const ITEMS = { limit: 500, windowMs: 300_000 }
const SUSPICION = { limit: 4, windowMs: 24 * HOUR }

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

    describe('burst (exact sliding log)', () => {
      it('allows 50 requests at one instant and bans on the 51st', async () => {
        for (let i = 1; i <= 50; i++) {
          const r = await hit(T0, [{ key: ip(), burst: BURST }])
          expect(r.ban, `request ${i}`).toBeNull()
        }
        const r = await hit(T0, [{ key: ip(), burst: BURST }])
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
        expect(r.counts[0]?.burst).toBe(51)
      })

      it('never bans a client steady at 50 req/s', async () => {
        for (let i = 0; i < 200; i++) {
          const r = await hit(T0 + i * 20, [{ key: ip(), burst: BURST }])
          expect(r.ban, `request ${i}`).toBeNull()
        }
      })

      it('counts requests in (now - 1 s, now]: the 51st at 999 ms bans, at 1000 ms it does not', async () => {
        for (let i = 0; i < 50; i++) await hit(T0, [{ key: ip(1), burst: BURST }])
        expect((await hit(T0 + 1000, [{ key: ip(1), burst: BURST }])).ban).toBeNull()
        for (let i = 0; i < 50; i++) await hit(T0, [{ key: ip(2), burst: BURST }])
        expect((await hit(T0 + 999, [{ key: ip(2), burst: BURST }])).ban?.rule).toBe('burst')
      })

      it('is exact for requests spread over the window', async () => {
        // 50 requests over 980 ms, the 51st at 990 ms: all inside one second.
        for (let i = 0; i < 50; i++)
          expect((await hit(T0 + i * 20, [{ key: ip(), burst: BURST }])).ban).toBeNull()
        expect((await hit(T0 + 990, [{ key: ip(), burst: BURST }])).ban?.rule).toBe('burst')
      })

      it('keeps subjects apart', async () => {
        for (let i = 0; i < 50; i++) await hit(T0, [{ key: ip(1), burst: BURST }])
        expect((await hit(T0, [{ key: ip(2), burst: BURST }])).ban).toBeNull()
      })

      it('an existing ban answers without counting, until it expires; then the subject starts clean', async () => {
        for (let i = 0; i < 51; i++) await hit(T0, [{ key: ip(), burst: BURST }])
        const during = await hit(T0 + HOUR - 1, [{ key: ip(), burst: BURST }])
        expect(during.ban).toMatchObject({ rule: 'burst', created: false, expiresAt: T0 + HOUR })
        expect(during.counts).toEqual([])
        const after = T0 + HOUR
        for (let i = 0; i < 50; i++) expect((await hit(after, [{ key: ip(), burst: BURST }])).ban).toBeNull()
        expect((await hit(after, [{ key: ip(), burst: BURST }])).ban?.created).toBe(true)
      })
    })

    describe('auth failures', () => {
      it('tolerates 10 failures in 60 s and bans on the 11th', async () => {
        for (let i = 1; i <= 10; i++) {
          const r = await hit(T0 + i * 1000, [{ key: ip(), authFailure: AUTH }])
          expect(r.ban).toBeNull()
          expect(r.counts[0]?.authFailures).toBe(i)
        }
        const r = await hit(T0 + 11_000, [{ key: ip(), authFailure: AUTH }])
        expect(r.ban).toMatchObject({ rule: 'auth-failures', count: 11, limit: 10, created: true })
      })

      it('forgets failures older than the window', async () => {
        for (let i = 0; i < 10; i++) await hit(T0, [{ key: ip(), authFailure: AUTH }])
        const r = await hit(T0 + 60_000, [{ key: ip(), authFailure: AUTH }])
        expect(r.ban).toBeNull()
        expect(r.counts[0]?.authFailures).toBe(1)
      })

      it('counts the API key separately from the IP and bans the key', async () => {
        const key = 'key:abc'
        for (let i = 0; i < 10; i++) {
          await hit(T0, [
            { key: ip(i + 1), authFailure: AUTH },
            { key, authFailure: AUTH },
          ])
        }
        const r = await hit(T0, [
          { key: ip(99), authFailure: AUTH },
          { key, authFailure: AUTH },
        ])
        expect(r.ban).toMatchObject({ subject: key, rule: 'auth-failures', created: true })
        expect(r.counts[0]?.authFailures).toBe(1)
        expect(r.counts[1]?.authFailures).toBe(11)
        // The key is banned from any IP; the IPs are not.
        expect((await hit(T0 + 1, [{ key: ip(50) }, { key }])).ban?.subject).toBe(key)
        expect((await hit(T0 + 1, [{ key: ip(50) }])).ban).toBeNull()
      })
    })

    describe('scraping (distinct items)', () => {
      const item = (value: string) => ({ ...ITEMS, value })
      it('allows 500 distinct items in 5 min and bans on the 501st', async () => {
        for (let i = 1; i <= 500; i++) {
          const r = await hit(T0 + i, [{ key: ip(), item: item(`h${i}`) }])
          expect(r.ban).toBeNull()
          if (i === 500) expect(r.counts[0]?.items).toBe(500)
        }
        const r = await hit(T0 + 501, [{ key: ip(), item: item('h501') }])
        expect(r.ban).toMatchObject({ rule: 'scraping', count: 501, limit: 500, created: true })
      })

      it('does not count the same item twice', async () => {
        for (let i = 0; i < 1000; i++) {
          const r = await hit(T0 + i, [{ key: ip(), item: item(`h${i % 10}`) }])
          expect(r.ban).toBeNull()
          expect(r.counts[0]?.items).toBe(Math.min(i + 1, 10))
        }
      })

      it('forgets items not seen for 5 minutes', async () => {
        for (let i = 0; i < 500; i++) await hit(T0, [{ key: ip(), item: item(`h${i}`) }])
        const r = await hit(T0 + 300_000, [{ key: ip(), item: item('new') }])
        expect(r.ban).toBeNull()
        expect(r.counts[0]?.items).toBe(1)
      })

      it('a repeated item refreshes its time', async () => {
        for (let i = 0; i < 500; i++) await hit(T0, [{ key: ip(), item: item(`h${i}`) }])
        await hit(T0 + 200_000, [{ key: ip(), item: item('h0') }])
        const r = await hit(T0 + 300_000, [{ key: ip(), item: item('h1') }])
        expect(r.counts[0]?.items).toBe(2)
      })
    })

    describe('endpoint limits (sliding-window counter)', () => {
      const ep = { id: 'auth', limit: 5, windowMs: 60_000 }
      it('allows 5, refuses the 6th with remaining 0, and gives remaining and reset', async () => {
        for (let i = 1; i <= 5; i++) {
          const r = await hit(T0 + 10_000, [{ key: ip(), endpoint: ep }])
          expect(r.counts[0]?.endpoint).toEqual({ allowed: true, remaining: 5 - i, resetMs: 50_000 })
        }
        const r = await hit(T0 + 10_000, [{ key: ip(), endpoint: ep }])
        expect(r.counts[0]?.endpoint).toEqual({ allowed: false, remaining: 0, resetMs: 50_000 })
        expect(r.ban).toBeNull()
      })

      it('weights the previous window by the part of it still inside the sliding window', async () => {
        for (let i = 0; i < 5; i++) await hit(T0, [{ key: ip(), endpoint: ep }])
        // 45 s into the next window: estimate = 5 * 15/60 + 0 = 1.25, so 3 more fit (1.25 + 3 <= 5 < 1.25 + 4).
        const t = T0 + 60_000 + 45_000
        const got = []
        for (let i = 0; i < 4; i++)
          got.push((await hit(t, [{ key: ip(), endpoint: ep }])).counts[0]?.endpoint)
        expect(got).toEqual([
          { allowed: true, remaining: 2, resetMs: 15_000 },
          { allowed: true, remaining: 1, resetMs: 15_000 },
          { allowed: true, remaining: 0, resetMs: 15_000 },
          { allowed: false, remaining: 0, resetMs: 15_000 },
        ])
      })

      it('refused requests are not counted, and two windows later the slate is clean', async () => {
        for (let i = 0; i < 20; i++) await hit(T0, [{ key: ip(), endpoint: ep }])
        const r = await hit(T0 + 120_000, [{ key: ip(), endpoint: ep }])
        expect(r.counts[0]?.endpoint).toEqual({ allowed: true, remaining: 4, resetMs: 60_000 })
      })

      it('keeps endpoints apart', async () => {
        for (let i = 0; i < 5; i++) await hit(T0, [{ key: ip(), endpoint: ep }])
        const r = await hit(T0, [{ key: ip(), endpoint: { ...ep, id: 'other' } }])
        expect(r.counts[0]?.endpoint?.allowed).toBe(true)
      })

      it('a refused request adds a suspicion event when suspicion is tracked', async () => {
        for (let i = 0; i < 5; i++)
          await hit(T0, [{ key: ip(), endpoint: ep, suspicion: { ...SUSPICION, add: 0 } }])
        for (let i = 1; i <= 4; i++) {
          const r = await hit(T0, [{ key: ip(), endpoint: ep, suspicion: { ...SUSPICION, add: 0 } }])
          expect(r.counts[0]?.suspicion).toBe(i)
          expect(r.ban).toBeNull()
        }
        const r = await hit(T0, [{ key: ip(), endpoint: ep, suspicion: { ...SUSPICION, add: 0 } }])
        expect(r.ban).toMatchObject({ rule: 'suspicion', count: 5, limit: 4, created: true })
      })
    })

    describe('suspicion', () => {
      const sus = (add = 1) => ({ ...SUSPICION, add })
      it('bans on the 5th suspicious event in 24 h, not the 4th', async () => {
        for (let i = 1; i <= 4; i++) {
          const r = await hit(T0 + i * HOUR, [{ key: ip(), suspicion: sus() }])
          expect(r.ban).toBeNull()
          expect(r.counts[0]?.suspicion).toBe(i)
        }
        const r = await hit(T0 + 5 * HOUR, [{ key: ip(), suspicion: sus() }])
        expect(r.ban).toMatchObject({ rule: 'suspicion', count: 5, created: true })
      })

      it('forgets events older than 24 h', async () => {
        for (let i = 0; i < 4; i++) await hit(T0, [{ key: ip(), suspicion: sus() }])
        const r = await hit(T0 + 24 * HOUR, [{ key: ip(), suspicion: sus() }])
        expect(r.counts[0]?.suspicion).toBe(1)
        expect(r.ban).toBeNull()
      })

      it('add: 0 reads the count without adding', async () => {
        await hit(T0, [{ key: ip(), suspicion: sus(2) }])
        const r = await hit(T0, [{ key: ip(), suspicion: sus(0) }])
        expect(r.counts[0]?.suspicion).toBe(2)
      })
    })

    describe('forced bans, monitor mode and escalation', () => {
      it('force bans at once with its rule and note', async () => {
        const r = await hit(T0, [{ key: ip(), force: { rule: 'scanner', note: 'sqlmap' } }])
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
        const monitored = { ...BURST, monitor: true }
        for (let i = 0; i < 50; i++) await hit(T0, [{ key: ip(), burst: monitored }])
        const first = await hit(T0, [{ key: ip(), burst: monitored }])
        expect(first.ban).toMatchObject({ rule: 'burst', enforced: false, created: true })
        const again = await hit(T0 + 1, [{ key: ip(), burst: monitored, authFailure: AUTH }])
        expect(again.ban).toMatchObject({ rule: 'burst', enforced: false, created: false })
        expect(again.counts[0]?.authFailures).toBe(1)
        const forced = await hit(T0 + 2, [{ key: ip(), force: { rule: 'scanner' } }])
        expect(forced.ban).toMatchObject({ rule: 'scanner', enforced: true, created: true })
        expect((await store.getBan(ip(), T0 + 3))?.enforced).toBe(true)
      })

      it('escalates repeat offenders: 1 h, 2 h, 4 h … up to the maximum, and forgets after the history window', async () => {
        const policy: BanPolicy = { ...POLICY, maxTtlMs: 3 * HOUR }
        let t = T0
        const ttls: number[] = []
        for (let n = 0; n < 3; n++) {
          const r = await hit(t, [{ key: ip(), force: { rule: 'scanner' } }], policy)
          expect(r.ban?.offense).toBe(n + 1)
          ttls.push((r.ban?.expiresAt ?? 0) - t)
          t = r.ban?.expiresAt ?? t
        }
        expect(ttls).toEqual([HOUR, 2 * HOUR, 3 * HOUR])
        const later = await hit(t + policy.historyMs, [{ key: ip(), force: { rule: 'scanner' } }], policy)
        expect(later.ban?.offense).toBe(1)
      })

      it('applies the jitter chosen by the engine', async () => {
        const r = await hit(T0, [{ key: ip(), force: { rule: 'scanner' } }], { ...POLICY, jitter: 0.1 })
        expect(r.ban?.expiresAt).toBe(T0 + 3_960_000)
      })

      it('a ban on either subject of a request answers for the request', async () => {
        await hit(T0, [{ key: 'key:k1', force: { rule: 'auth-failures' } }])
        const r = await hit(T0 + 1, [{ key: ip(7), burst: BURST }, { key: 'key:k1' }])
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
        expect(await store.getBan(ip(1), T0)).toMatchObject({
          note: 'abuse report #12',
          expiresAt: T0 + 600_000,
        })
        expect((await store.listBans(T0)).map((b) => b.subject)).toEqual([ip(2), ip(1)])
        expect((await store.listBans(T0 + 60_000)).map((b) => b.subject)).toEqual([ip(1)])
        expect(await store.getBan(ip(2), T0 + 60_000)).toBeNull()
        const r = await hit(T0 + 1, [{ key: ip(1), burst: BURST }])
        expect(r.ban).toMatchObject({ rule: 'manual', created: false })
        expect(await store.deleteBan(ip(1))).toBe(true)
        expect(await store.deleteBan(ip(1))).toBe(false)
        expect(await store.getBan(ip(1), T0 + 2)).toBeNull()
        expect((await hit(T0 + 2, [{ key: ip(1), burst: BURST }])).ban).toBeNull()
      })

      it('deleteBan gives the subject a clean slate', async () => {
        for (let i = 0; i < 51; i++) await hit(T0, [{ key: ip(), burst: BURST }])
        await store.deleteBan(ip())
        for (let i = 0; i < 50; i++) expect((await hit(T0 + 1, [{ key: ip(), burst: BURST }])).ban).toBeNull()
        const again = await hit(T0 + 1, [{ key: ip(), burst: BURST }])
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
        for (let i = 0; i < 50; i++) await hit(T0, [{ key: ip(), burst: BURST }])
        const odd = `ip:${'\u{1F600}'.repeat(300)}\u0000`
        const r = await hit(T0, [
          { key: odd, burst: BURST, item: { ...ITEMS, value: '\u0000\uFFFF'.repeat(100) } },
        ])
        expect(r.ban).toBeNull()
        expect((await hit(T0, [{ key: ip(), burst: BURST }])).ban?.rule).toBe('burst')
      })
    })
  })
}
