// The attack simulator against the demo: every scenario on every framework, on the memory store and on Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../src/redis-keys.mjs'
import { runAttack } from '../src/simulator/run.mjs'
import { SCENARIO_IDS, SCENARIOS } from '../src/simulator/scenarios.mjs'
import { formatSummary, formatTable } from '../src/simulator/table.mjs'
import { redisForTests, TOKEN, testDemo, testPrefix } from './helpers.mjs'

/** @type {import('../src/simulator/run.mjs').Result} */
const RESULT = {
  scenario: 'burst',
  title: 'Burst',
  framework: 'koa',
  expected: 'banned at request 51 (burst)',
  observed: 'banned at request 51 (burst)',
  pass: true,
  requests: 100,
  requestsToBan: 51,
  timeToBanMs: 510,
}

/**
 * @param {Awaited<ReturnType<typeof testDemo>>} demo @param {readonly string[]} [only]
 * @param {{ expectMiss?: boolean }} [options]
 */
async function attack(demo, only, { expectMiss = false } = {}) {
  const report = await runAttack({ targets: demo.urls, adminUrl: demo.adminUrl, token: TOKEN, only })
  const table = formatTable(report.results)
  if (!report.pass && !expectMiss) console.log(`${table}\n${formatSummary(report.results, report.ms)}`)
  return { ...report, table }
}

describe('the simulator on the memory store', () => {
  /** @type {Awaited<ReturnType<typeof testDemo>>} */
  let demo
  beforeAll(async () => {
    demo = await testDemo()
  })
  afterAll(() => demo?.close())

  it('sees every scenario end as expected on Express, Fastify and Koa, well within a minute', async () => {
    const report = await attack(demo)
    expect(report.results.map((r) => `${r.scenario}/${r.framework}: ${r.pass ? 'ok' : r.observed}`)).toEqual(
      SCENARIO_IDS.flatMap((id) => ['express', 'fastify', 'koa'].map((f) => `${id}/${f}: ok`)),
    )
    expect(report.pass).toBe(true)
    expect(report.ms).toBeLessThan(45_000)
    const burst = report.results.filter((r) => r.scenario === 'burst')
    expect(burst.map((r) => r.requestsToBan)).toEqual([51, 51, 51])
    expect(burst.every((r) => r.timeToBanMs !== null && r.timeToBanMs < 1500)).toBe(true)
    expect(report.results.find((r) => r.scenario === 'scraping')?.requestsToBan).toBe(501)
    expect(report.results.find((r) => r.scenario === 'credential-stuffing')?.requestsToBan).toBe(11)
    expect(report.table).toMatch(/^Scenario\s+Expected\s+Framework\s+Observed\s+Requests\s+Time to ban/)
    // The whitelist entries the run added are gone again; the bans it caused are still listed.
    expect(await demo.engine.whitelist.list()).toEqual([])
    const rules = new Set((await demo.engine.listBans()).map((b) => b.rule))
    expect([...rules].sort()).toEqual(['auth-failures', 'burst', 'scanner', 'scraping', 'suspicion'])
  })

  it('reports a miss when the demo does not behave as the scenario expects', async () => {
    const lenient = await testDemo({ env: { BURST_LIMIT: '70' } })
    try {
      const report = await attack(lenient, ['burst'], { expectMiss: true })
      expect(report.pass).toBe(false)
      // 60 get through, 4 are limited (429) by the 60/min limit, the 5th limited one is the 5th suspicious event.
      expect(report.results[0]?.observed).toMatch(/^banned at request 65 \(suspicion\)/)
      expect(report.table).toContain('MISS')
      expect(formatSummary(report.results, report.ms)).toMatch(
        /0 of 3 runs as expected[\s\S]*Missed: burst on express/,
      )
    } finally {
      await lenient.close()
    }
  })
})

describe('a burst on a machine too busy to keep the second', () => {
  it('is run again rather than judged (the 50th answer more than a second after the first request)', () => {
    const burst = SCENARIOS.find((s) => s.id === 'burst')
    const steps = (/** @type {number} */ msPerRequest) =>
      Array.from({ length: 100 }, (_, k) => ({
        i: k + 1,
        status: k < 50 ? 200 : 403,
        ms: (k + 1) * msPerRequest,
      }))
    expect(burst?.late?.(steps(10))).toBeNull()
    expect(burst?.late?.(steps(25))).toBe('the 50th answer came after 1250 ms')
    expect(
      formatSummary([{ ...RESULT, retried: 'the 50th answer came after 1250 ms; run again' }], 1000),
    ).toBe(
      '1 of 1 runs as expected (1 scenario × 1 framework) in 1.0 s\n' +
        'Run again because the machine was too busy: burst on koa (the 50th answer came after 1250 ms; run again)',
    )
  })
})

const redis = await redisForTests()

describe.skipIf(!redis.ok)('the simulator on Redis', () => {
  /** @type {Awaited<ReturnType<typeof testDemo>>} */
  let demo
  const prefix = testPrefix()
  beforeAll(async () => {
    // CI runs every package's tests at once against the same Redis: allow slower answers than the 200 ms default
    // before the engine would fall back to memory (the test checks that it never did).
    demo = await testDemo({ env: { STORE_TIMEOUT_MS: '1000' }, redisUrl: redis.url, redisPrefix: prefix })
  })
  afterAll(async () => {
    if (!demo) return
    await deleteKeys(demo.store, prefix)
    await demo.close()
  })

  it('sees every scenario end as expected with counters and bans in Redis', async () => {
    expect(demo.storeName).toBe('redis')
    const report = await attack(demo)
    expect(
      report.results.filter((r) => !r.pass).map((r) => `${r.scenario}/${r.framework}: ${r.observed}`),
    ).toEqual([])
    expect(report.results).toHaveLength(SCENARIO_IDS.length * 3)
    expect(demo.engine.storeState).toBe('primary')
    // The bans are in Redis: a second engine on the same keys would see them.
    expect((await demo.store?.listBans(Date.now()))?.length).toBeGreaterThanOrEqual(18)
  })
})
