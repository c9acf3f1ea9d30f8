import {
  type BanPolicy,
  type BanRecord,
  type Count,
  type HitOp,
  type HitResult,
  MemoryStore,
  type SubjectOp,
} from '@bulwark/core'
import fc from 'fast-check'
import { afterAll, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'

const T = 1_800_000_000_000
/**
 * Redis key TTLs run in real time while the fake clock jumps: every duration is scaled up so no key can expire in
 * real time during a run, and only the store's own window logic decides.
 */
const S = 1000
const SUBJECTS = ['ip:198.51.100.1', 'ip:198.51.100.2', 'key:k1'] as const

/** Limits fixed per run (a store may start a log over when a count's limit changes). */
const limitsArb = fc.record({
  burst: fc.integer({ min: 1, max: 6 }),
  auth: fc.integer({ min: 1, max: 5 }),
  items: fc.integer({ min: 1, max: 6 }),
  endpoint: fc.integer({ min: 1, max: 6 }),
  suspicion: fc.integer({ min: 1, max: 4 }),
  custom: fc.integer({ min: 0, max: 4 }),
  window: fc.constantFrom(100 * S, 250 * S, 1000 * S),
  monitor: fc.boolean(),
  authMonitor: fc.boolean(),
  itemMonitor: fc.boolean(),
  suspicionMonitor: fc.boolean(),
  customMonitor: fc.boolean(),
  /** Counts in the built-in rules' order, or shuffled per subject (the first count that trips gives the ban). */
  shuffled: fc.boolean(),
})
type Limits = typeof limitsArb extends fc.Arbitrary<infer L> ? L : never

const countsArb = (l: Limits): fc.Arbitrary<Count[]> =>
  fc
    .record(
      {
        burst: fc.boolean(),
        auth: fc.boolean(),
        item: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { nil: undefined }),
        endpoint: fc.option(
          fc.record({
            id: fc.constantFrom('login', 'search'),
            cost: fc.constantFrom(1, 1, 2, 3),
            suspicious: fc.boolean(),
          }),
          { nil: undefined },
        ),
        suspicion: fc.option(fc.record({ add: fc.integer({ min: 0, max: 2 }), addRefused: fc.boolean() }), {
          nil: undefined,
        }),
        custom: fc.option(fc.integer({ min: 0, max: 3 }), { freq: 3, nil: undefined }),
        force: fc.option(
          fc.record({ monitor: fc.boolean(), note: fc.option(fc.string(), { nil: undefined }) }),
          {
            freq: 12,
            nil: undefined,
          },
        ),
      },
      { requiredKeys: [] },
    )
    .map((r) => {
      const w = l.window
      // The old fixed order: force, burst, auth, item, endpoint, suspicion; then a rule of your own.
      const counts: Count[] = []
      if (r.force !== undefined) {
        const c: Count = { kind: 'ban', rule: 'scanner', key: '', monitor: r.force.monitor }
        if (r.force.note !== undefined) c.note = r.force.note
        counts.push(c)
      }
      if (r.burst)
        counts.push({
          kind: 'requests',
          rule: 'burst',
          key: 'b',
          limit: l.burst,
          windowMs: w,
          monitor: l.monitor,
        })
      if (r.auth) {
        const c: Count = {
          kind: 'events',
          rule: 'auth-failures',
          key: 'a',
          limit: l.auth,
          windowMs: w * 2,
          add: 1,
        }
        c.monitor = l.authMonitor
        counts.push(c)
      }
      if (r.item !== undefined) {
        const c: Count = {
          kind: 'distinct',
          rule: 'scraping',
          key: 'i',
          limit: l.items,
          windowMs: w * 3,
          value: r.item,
        }
        c.monitor = l.itemMonitor
        counts.push(c)
      }
      if (r.endpoint !== undefined) {
        const { id, cost, suspicious } = r.endpoint
        const c: Count = { kind: 'window', rule: id, key: `e:${id}`, limit: l.endpoint, windowMs: w * 2 }
        if (cost !== 1) c.cost = cost
        if (suspicious) c.suspicious = true
        counts.push(c)
      }
      if (r.suspicion !== undefined) {
        const c: Count = {
          kind: 'events',
          rule: 'suspicion',
          key: 's',
          limit: l.suspicion,
          windowMs: w * 4,
          add: r.suspicion.add,
          monitor: l.suspicionMonitor,
        }
        if (r.suspicion.addRefused) c.addRefused = true
        counts.push(c)
      }
      if (r.custom !== undefined) {
        const c: Count = {
          kind: 'events',
          rule: 'mine',
          key: 'r:mine',
          limit: l.custom,
          windowMs: w,
          add: r.custom,
        }
        if (l.customMonitor) c.monitor = true
        counts.push(c)
      }
      return counts
    })
    .chain((counts) =>
      l.shuffled && counts.length > 1
        ? fc.shuffledSubarray(counts, { minLength: counts.length, maxLength: counts.length })
        : fc.constant(counts),
    )

const subjectOpArb = (l: Limits): fc.Arbitrary<SubjectOp> =>
  fc.record({ key: fc.constantFrom(...SUBJECTS), counts: countsArb(l) })

/**
 * A result with its measures laid out per subject and per count, `-1` where nothing was measured: stores may leave
 * out what they did not measure (the contract allows a missing or shorter list), but must agree on the rest.
 */
function normalized(r: HitResult, op: HitOp) {
  const counts = op.subjects.map((s, i) => s.counts.map((_, j) => r.counts[i]?.[j] ?? -1))
  return { ...r, counts }
}

type Step =
  | { kind: 'hit'; dt: number; subjects: SubjectOp[]; jitter: number }
  | { kind: 'setBan'; dt: number; subject: string; ttl: number; enforced: boolean }
  | { kind: 'deleteBan'; dt: number; subject: string }

const stepArb = (l: Limits): fc.Arbitrary<Step> =>
  fc.oneof(
    {
      weight: 12,
      arbitrary: fc.record({
        kind: fc.constant('hit' as const),
        dt: fc.constantFrom(0, 0, 1, 60 * S, 99 * S, 100 * S - 1, 100 * S, 250 * S, 700 * S),
        subjects: fc.array(subjectOpArb(l), { minLength: 1, maxLength: 2 }),
        jitter: fc.constantFrom(0, 0, 0.1, -0.2),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('setBan' as const),
        dt: fc.constantFrom(0, 5 * S, 50 * S),
        subject: fc.constantFrom(...SUBJECTS),
        ttl: fc.integer({ min: 1, max: 2000 }).map((t) => t * S),
        enforced: fc.boolean(),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('deleteBan' as const),
        dt: fc.constantFrom(0, 5 * S, 50 * S),
        subject: fc.constantFrom(...SUBJECTS),
      }),
    },
  )

const scenarioArb = limitsArb.chain((l) =>
  fc.record({
    limits: fc.constant(l),
    policy: fc.record({
      ttlMs: fc.integer({ min: 50, max: 1500 }).map((t) => t * S),
      factor: fc.constantFrom(1, 2, 3),
      maxTtlMs: fc.integer({ min: 1500, max: 5000 }).map((t) => t * S),
      historyMs: fc.constantFrom(0, 1000 * S, 10_000 * S),
    }),
    steps: fc.array(stepArb(l), { minLength: 1, maxLength: 40 }),
  }),
)

describeRedis('differential: RedisStore answers exactly as the MemoryStore does', () => {
  const admin = adminClient()
  afterAll(() => admin.quit())

  it('for random sequences of hits, bans and unbans on a few subjects', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ policy, steps }) => {
        const prefix = uniquePrefix('diff')
        const memory = new MemoryStore()
        const redis = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
        try {
          let now = T
          for (const [i, step] of steps.entries()) {
            now += step.dt
            if (step.kind === 'hit') {
              const op: HitOp = {
                now,
                subjects: step.subjects,
                ban: { ...policy, jitter: step.jitter } as BanPolicy,
              }
              expect(normalized(await redis.hit(op), op), `step ${i}: hit`).toEqual(
                normalized(await memory.hit(op), op),
              )
            } else if (step.kind === 'setBan') {
              const ban = {
                subject: step.subject,
                rule: 'manual' as const,
                createdAt: now,
                expiresAt: now + step.ttl,
                enforced: step.enforced,
              }
              expect(await redis.setBan(ban), `step ${i}: setBan`).toEqual(await memory.setBan(ban))
            } else {
              // A ban past its end on the fake clock may still have its key (real-time TTL): both stores delete it,
              // but whether that counts as "a ban existed" is only defined for a ban in force.
              const inForce = (await memory.listBans(now)).some((b) => b.subject === step.subject)
              const [r, m] = [await redis.deleteBan(step.subject), await memory.deleteBan(step.subject)]
              if (inForce) expect(r, `step ${i}: deleteBan`).toBe(m)
            }
            // Bans ending at the same moment may be listed in either order.
            const byEnd = (list: BanRecord[]) =>
              [...list].sort((x, y) => x.expiresAt - y.expiresAt || x.subject.localeCompare(y.subject))
            expect(byEnd(await redis.listBans(now)), `step ${i}: listBans`).toEqual(
              byEnd(await memory.listBans(now)),
            )
          }
        } finally {
          await redis.close()
          await deleteUnder(admin, prefix)
        }
      }),
      { numRuns: Number(process.env.DIFF_RUNS ?? 60) },
    )
  }, 60_000)
})
