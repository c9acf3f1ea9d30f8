import { type BanPolicy, type BanRecord, type HitOp, MemoryStore, type SubjectOp } from '@bulwark/core'
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

/** Limits fixed per run (a store may start a log over when a rule's limit changes). */
const limitsArb = fc.record({
  burst: fc.integer({ min: 1, max: 6 }),
  auth: fc.integer({ min: 1, max: 5 }),
  items: fc.integer({ min: 1, max: 6 }),
  endpoint: fc.integer({ min: 1, max: 6 }),
  suspicion: fc.integer({ min: 1, max: 4 }),
  window: fc.constantFrom(100 * S, 250 * S, 1000 * S),
  monitor: fc.boolean(),
  authMonitor: fc.boolean(),
  itemMonitor: fc.boolean(),
  suspicionMonitor: fc.boolean(),
})
type Limits = typeof limitsArb extends fc.Arbitrary<infer L> ? L : never

const subjectOpArb = (l: Limits): fc.Arbitrary<SubjectOp> =>
  fc
    .record(
      {
        key: fc.constantFrom(...SUBJECTS),
        burst: fc.boolean(),
        auth: fc.boolean(),
        item: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'), { nil: undefined }),
        endpoint: fc.option(fc.constantFrom('login', 'search'), { nil: undefined }),
        suspicion: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }),
        force: fc.option(
          fc.record({ monitor: fc.boolean(), note: fc.option(fc.string(), { nil: undefined }) }),
          {
            freq: 12,
            nil: undefined,
          },
        ),
      },
      { requiredKeys: ['key'] },
    )
    .map((r) => {
      const w = l.window
      const s: SubjectOp = { key: r.key }
      if (r.burst) s.burst = { limit: l.burst, windowMs: w, monitor: l.monitor }
      if (r.auth) s.authFailure = { limit: l.auth, windowMs: w * 2, monitor: l.authMonitor }
      if (r.item !== undefined)
        s.item = { limit: l.items, windowMs: w * 3, value: r.item, monitor: l.itemMonitor }
      if (r.endpoint !== undefined) s.endpoint = { id: r.endpoint, limit: l.endpoint, windowMs: w * 2 }
      if (r.suspicion !== undefined)
        s.suspicion = { limit: l.suspicion, windowMs: w * 4, add: r.suspicion, monitor: l.suspicionMonitor }
      if (r.force !== undefined) {
        s.force = { rule: 'scanner', monitor: r.force.monitor }
        if (r.force.note !== undefined) s.force.note = r.force.note
      }
      return s
    })

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
              expect(await redis.hit(op), `step ${i}: hit`).toEqual(memory.hit(op))
            } else if (step.kind === 'setBan') {
              const ban = {
                subject: step.subject,
                rule: 'manual' as const,
                createdAt: now,
                expiresAt: now + step.ttl,
                enforced: step.enforced,
              }
              expect(await redis.setBan(ban), `step ${i}: setBan`).toEqual(memory.setBan(ban))
            } else {
              // A ban past its end on the fake clock may still have its key (real-time TTL): both stores delete it,
              // but whether that counts as "a ban existed" is only defined for a ban in force.
              const inForce = memory.getBan(step.subject, now) !== null
              const [r, m] = [await redis.deleteBan(step.subject), memory.deleteBan(step.subject)]
              if (inForce) expect(r, `step ${i}: deleteBan`).toBe(m)
            }
            // Bans ending at the same moment may be listed in either order.
            const byEnd = (list: BanRecord[]) =>
              [...list].sort((x, y) => x.expiresAt - y.expiresAt || x.subject.localeCompare(y.subject))
            expect(byEnd(await redis.listBans(now)), `step ${i}: listBans`).toEqual(
              byEnd(memory.listBans(now)),
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
