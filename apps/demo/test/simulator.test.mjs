// The attack simulator against the demo: every scenario on every framework, on the memory store and on Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys } from '../src/redis-keys.mjs'
import { createAttackProgress, describeStats, isLive } from '../src/simulator/progress.mjs'
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
  /** @type {import('../src/simulator/progress.mjs').RunEvent[]} */
  const events = []
  const report = await runAttack({
    targets: demo.urls,
    adminUrl: demo.adminUrl,
    token: TOKEN,
    only,
    onRun: (e) => events.push({ ...e, stats: { ...e.stats } }),
  })
  const table = formatTable(report.results)
  if (!report.pass && !expectMiss) console.log(`${table}\n${formatSummary(report.results, report.ms)}`)
  return { ...report, table, events }
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
    // 404 enumeration with a browser's user agent (issue 13 item 11): the 11th to 15th distinct 404s are suspicious
    // events, the 16th request refused.
    expect(report.results.filter((r) => r.scenario === 'enumeration').map((r) => r.requestsToBan)).toEqual([
      16, 16, 16,
    ])
    expect(report.table).toMatch(/^Scenario\s+Expected\s+Framework\s+Observed\s+Requests\s+Time to ban/)
    // Progress: every scenario starts and ends once per framework (a burst run again starts again), and the end
    // carries the counts of what was answered.
    for (const id of SCENARIO_IDS) {
      for (const f of ['express', 'fastify', 'koa']) {
        const mine = report.events.filter((e) => e.scenario === id && e.framework === f)
        expect(mine.filter((e) => e.type === 'start').length, `${id}/${f}`).toBeGreaterThanOrEqual(1)
        expect(mine.filter((e) => e.type === 'start')).toHaveLength(
          mine.filter((e) => e.type === 'end').length,
        )
        expect(mine[0]?.type).toBe('start')
      }
    }
    const burstEnd = report.events.find((e) => e.type === 'end' && e.scenario === 'burst')
    expect(burstEnd?.stats.ok).toBe(50)
    expect(burstEnd?.stats.blocked).toBeGreaterThan(0)
    expect(burstEnd?.stats.sent).toBe((burstEnd?.stats.ok ?? 0) + (burstEnd?.stats.blocked ?? 0))
    // The whitelist entries the run added are gone again; the bans it caused are still listed, beside the deny list's
    // entries (rule 'deny', source the list), which created no ban of their own.
    expect(await demo.engine.whitelist.list()).toEqual([])
    const bans = await demo.engine.listBans()
    expect([...new Set(bans.map((b) => b.rule))].sort()).toEqual([
      'auth-failures',
      'burst',
      'deny',
      'scanner',
      'scraping',
      'suspicion',
    ])
    expect(
      bans
        .filter((b) => b.rule === 'deny')
        .map((b) => `${b.target} ${b.source}`)
        .sort(),
    ).toEqual(['192.0.2.0/24 demo-deny-list', '3fff:0:dead::/48 demo-deny-list'])
    // The deny list refused every request of its scenario at once; the verified Googlebot was never refused.
    expect(report.results.filter((r) => r.scenario === 'deny-list').map((r) => r.requestsToBan)).toEqual([
      1, 1, 1,
    ])
    expect(report.results.filter((r) => r.scenario === 'good-bot').map((r) => r.requestsToBan)).toEqual([
      5, 5, 5,
    ])
    const snapshot = await demo.live.snapshot()
    expect(snapshot.denied).toEqual({ 'demo-deny-list': 9 })
    expect(snapshot.bots.filter((b) => b.status === 'verified').map((b) => [b.bot, b.count])).toEqual([
      ['googlebot', 20],
      ['googlebot', 20],
      ['googlebot', 20],
    ])
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

describe('progress of the attack', () => {
  const stats = (/** @type {Partial<import('../src/simulator/progress.mjs').RunStats>} */ s) => ({
    sent: 0,
    ok: 0,
    limited: 0,
    blocked: 0,
    other: 0,
    ...s,
  })
  function setup(/** @type {boolean} */ live) {
    let t = 0
    const stream = {
      isTTY: live,
      rows: 40,
      columns: 200,
      text: '',
      write(/** @type {string} */ s) {
        this.text += s
      },
    }
    const clock = {
      now: () => t,
      advance: (/** @type {number} */ ms) => {
        t += ms
      },
    }
    return { stream, clock, p: createAttackProgress({ stream, live, now: clock.now, refreshMs: 0 }) }
  }

  it('is live on a terminal unless CI is set', () => {
    expect(isLive({ isTTY: true }, {})).toBe(true)
    expect(isLive({ isTTY: true }, { CI: 'true' })).toBe(false)
    expect(isLive({ isTTY: false }, {})).toBe(false)
    expect(describeStats(stats({ sent: 100, ok: 50, blocked: 50 }))).toBe('100 sent, 50 ok, 50 blocked (403)')
    expect(describeStats(stats({ sent: 3, limited: 1, other: 2 }))).toBe('3 sent, 1 limited (429), 2 other')
  })

  it('prints a plain line when a run starts and one when it ends (CI, a pipe): no escape codes', () => {
    const { stream, clock, p } = setup(false)
    const burst = stats({})
    p.start({ type: 'start', scenario: 'burst', framework: 'express', stats: burst })
    p.start({ type: 'start', scenario: 'scanner', framework: 'koa', stats: stats({}) })
    Object.assign(burst, { sent: 100, ok: 50, blocked: 50 })
    clock.advance(912)
    p.end({ type: 'end', scenario: 'burst', framework: 'express', stats: burst })
    p.start({ type: 'start', scenario: 'burst', framework: 'fastify', stats: stats({}), attempt: 2 })
    p.end({
      type: 'end',
      scenario: 'scanner',
      framework: 'koa',
      stats: stats({ sent: 1 }),
      error: 'socket hang up',
    })
    p.close()
    expect(stream.text).toBe(
      [
        'start  burst                express',
        'start  scanner              koa',
        'done   burst                express 100 sent, 50 ok, 50 blocked (403) in 0.9 s',
        'start  burst                fastify (attempt 2)',
        'done   scanner              koa     error: socket hang up in 0.9 s',
        '',
      ].join('\n'),
    )
    expect(stream.text).not.toContain('\x1b')
  })

  it('keeps the runs in progress at the bottom with a live status, and prints each as it ends (a terminal)', () => {
    const { stream, clock, p } = setup(true)
    const burst = stats({})
    p.start({ type: 'start', scenario: 'burst', framework: 'express', stats: burst })
    expect(stream.text).toBe('\r\x1b[J  ⠋ burst                express running  0 sent · 0.0 s\n')
    stream.text = ''
    p.start({ type: 'start', scenario: 'scanner', framework: 'koa', stats: stats({}) })
    Object.assign(burst, { sent: 37, ok: 37 })
    clock.advance(400)
    p.refresh()
    // Up over the two lines drawn last time (one, then two), clear, redraw both with the new counts.
    expect(stream.text).toBe(
      '\x1b[1F\x1b[J  ⠋ burst                express running  0 sent · 0.0 s\n  ⠋ scanner              koa     running  0 sent · 0.0 s\n' +
        '\x1b[2F\x1b[J  ⠙ burst                express running  37 sent, 37 ok · 0.4 s\n  ⠙ scanner              koa     running  0 sent · 0.4 s\n',
    )
    stream.text = ''
    Object.assign(burst, { sent: 100, ok: 50, blocked: 50 })
    clock.advance(500)
    p.end({ type: 'end', scenario: 'burst', framework: 'express', stats: burst })
    expect(stream.text).toBe(
      '\x1b[2F\x1b[J  ✔ burst                express done     100 sent, 50 ok, 50 blocked (403) in 0.9 s\n  ⠙ scanner              koa     running  0 sent · 0.9 s\n',
    )
    stream.text = ''
    p.close()
    expect(stream.text).toBe('\x1b[1F\x1b[J')
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
