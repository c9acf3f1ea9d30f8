// Run the scenarios against the demo's three servers and compare what happened with what should.
import { randomInt } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { adminClient, createHttp, watchBans } from './http.mjs'
import { SCENARIOS } from './scenarios.mjs'

/**
 * @typedef {object} Result
 * @property {string} scenario id
 * @property {string} title
 * @property {string} framework
 * @property {string} expected
 * @property {string} observed
 * @property {boolean} pass
 * @property {number} requests sent (counted ones)
 * @property {number | null} requestsToBan the number of the first refused request
 * @property {number | null} timeToBanMs from the scenario's first request to that refusal
 * @property {string} [error]
 * @property {string} [retried] why the scenario was run again (the machine was too busy to keep its timing)
 */

/**
 * @typedef {object} AttackOptions
 * @property {Record<string, string>} targets framework name → base URL
 * @property {string} adminUrl
 * @property {string} token
 * @property {string} [password] of the demo user (default demo-password)
 * @property {readonly string[]} [only] scenario ids
 * @property {(result: Result) => void} [onResult]
 * @property {(event: import('./progress.mjs').RunEvent) => void} [onRun] a scenario starts or ends on a framework;
 *   `event.stats` is updated live as answers arrive
 */

const V4_BASE = (198 << 24) | (18 << 16) // 198.18.0.0/15: 131,072 addresses for benchmarks and tests (RFC 2544)
const V4_BLOCKS = 4096 // of 32 addresses

/** @param {number} n */
function ipv4(n) {
  const v = (V4_BASE + n) >>> 0
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

/**
 * @param {AttackOptions} options
 * @returns {Promise<{ results: Result[], pass: boolean, ms: number }>}
 */
export async function runAttack(options) {
  const { targets, adminUrl, token } = options
  const scenarios = options.only ? SCENARIOS.filter((s) => options.only?.includes(s.id)) : SCENARIOS
  const unknown = (options.only ?? []).filter((id) => !SCENARIOS.some((s) => s.id === id))
  if (unknown.length > 0)
    throw new Error(
      `Unknown scenario ${unknown.join(', ')}: pick from ${SCENARIOS.map((s) => s.id).join(', ')}`,
    )
  const frameworks = Object.keys(targets)
  const http = createHttp()
  const admin = adminClient(http, adminUrl, token)
  const started = performance.now()
  /** @type {string[]} */
  const whitelisted = []
  const watch = await watchBans(adminUrl, token)

  // A block of 32 IPv4 addresses per scenario and framework, from a random slot of the range, and a random /64 each.
  const perRun = scenarios.length * frameworks.length + 12 // room for repeated runs
  let nextBlock = randomInt(0, Math.floor(V4_BLOCKS / perRun)) * perRun
  const hex = () => randomInt(0, 0x10000).toString(16)

  /** @type {Map<string, { scenario: import('./scenarios.mjs').Scenario, framework: string, steps: import('./scenarios.mjs').Step[], ips: Set<string>, open?: boolean, extra?: Record<string, unknown>, error?: string }>} */
  const runs = new Map()

  /** @param {import('./scenarios.mjs').Scenario} scenario @param {string} framework @param {{ monitorIp?: string }} shared */
  async function runOne(scenario, framework, shared, attempt = 1) {
    const block = nextBlock++ * 32
    /** @type {import('./progress.mjs').RunStats} */
    const stats = { sent: 0, ok: 0, limited: 0, blocked: 0, other: 0 }
    const v6 = `2001:db8:${hex()}:${hex()}`
    /** @type {Set<string>} */
    const ips = new Set()
    const url = /** @type {string} */ (targets[framework])
    /** @type {{ scenario: import('./scenarios.mjs').Scenario, framework: string, steps: import('./scenarios.mjs').Step[], ips: Set<string>, open?: boolean, extra?: Record<string, unknown>, error?: string }} */
    const record = { scenario, framework, steps: [], ips }
    runs.set(`${scenario.id}/${framework}`, record)
    /** @type {number | undefined} */
    let t0
    /** @param {import('./http.mjs').SimRequest} r */
    const send = async (r) => {
      if (r.ip !== undefined) ips.add(r.ip)
      stats.sent++
      const res = await http.request(url, r)
      if (res.status === 429) stats.limited++
      else if (res.status === 403) stats.blocked++
      else if (res.status >= 200 && res.status < 400) stats.ok++
      else stats.other++
      return res
    }
    /** @type {import('./scenarios.mjs').Context} */
    const ctx = {
      framework,
      url,
      ipv4: (n) => ipv4(block + (n % 32)),
      ipv6: (n) => `${v6}::${(n + 1).toString(16)}`,
      loopback: () => `127.${randomInt(0, 256)}.${randomInt(0, 256)}.${randomInt(2, 255)}`,
      send,
      wait: (ms) => delay(ms),
      shared,
      password: options.password ?? 'demo-password',
      admin: {
        whitelistAdd: async (entry) => {
          await admin.whitelistAdd(entry)
          whitelisted.push(entry)
        },
        unban: async (target) => {
          await admin.unban(target)
        },
      },
      async run(count, make, { paceMs, open = false } = {}) {
        t0 ??= performance.now()
        const start = t0
        const begin = performance.now()
        /** @param {number} i @returns {Promise<import('./scenarios.mjs').Step>} */
        const one = async (i) => {
          const r = make(i)
          const res = await send(r)
          /** @type {import('./scenarios.mjs').Step} */
          const step = { i, status: res.status, ms: res.at - start }
          if (typeof res.body?.detail === 'string') step.detail = res.body.detail
          if (r.ip !== undefined) step.ip = r.ip
          return step
        }
        /** @type {Promise<import('./scenarios.mjs').Step>[]} */
        const pending = []
        for (let i = 1; i <= count; i++) {
          if (paceMs !== undefined) {
            const wait = begin + (i - 1) * paceMs - performance.now()
            if (wait > 1) await delay(wait)
          }
          // Open loop: the next request leaves on time whether or not the last one was answered (an attacker does
          // not wait), so a slow server or a busy machine cannot stretch 100 req/s over more than a second.
          const step = one(i)
          pending.push(step)
          if (!open) await step
          else step.catch(() => {}) // awaited below with the others; not an unhandled rejection meanwhile
        }
        if (open) record.open = true
        return Promise.all(pending)
      },
    }
    const event = { scenario: scenario.id, framework, stats, ...(attempt > 1 ? { attempt } : {}) }
    options.onRun?.({ type: 'start', ...event })
    try {
      const out = await scenario.run(ctx)
      record.steps = out.steps
      if (out.extra) record.extra = out.extra
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error)
    }
    options.onRun?.({ type: 'end', ...event, ...(record.error ? { error: record.error } : {}) })
    return record
  }

  /** @type {Map<string, string>} why a scenario was run again */
  const retried = new Map()
  /** @type {Record<string, { monitorIp?: string }>} */
  const shared = Object.fromEntries(frameworks.map((f) => [f, {}]))

  /** @param {string} framework */
  async function runFramework(framework) {
    const mine = /** @type {{ monitorIp?: string }} */ (shared[framework])
    const rest = scenarios.filter((s) => !s.exclusive)
    const background = rest.filter((s) => s.background).map((s) => runOne(s, framework, mine))
    for (const s of rest.filter((x) => !x.background)) await runOne(s, framework, mine)
    await Promise.all(background)
  }

  /** @type {Result[]} */
  const results = []
  try {
    // Timing-bound scenarios (a rate within one second) run alone, one framework at a time, so that a busy machine
    // (CI runs many test suites at once) cannot stretch their second; the others then run side by side.
    // If the machine was too busy to deliver the second on time (another process had the CPU), the run says nothing
    // about the rule: it is repeated with fresh addresses, at most twice, and the result says so.
    for (const s of scenarios.filter((x) => x.exclusive)) {
      for (const framework of frameworks) {
        for (let attempt = 1; attempt <= 3; attempt++) {
          const record = await runOne(s, framework, /** @type {{}} */ (shared[framework]), attempt)
          const late = s.late?.(record.steps)
          if (!late || attempt === 3) break
          retried.set(`${s.id}/${framework}`, `${late}; run again`)
        }
      }
    }
    await Promise.all(frameworks.map(runFramework))

    // Ban events travel over the event stream; give the expected ones a moment to arrive.
    const deadline = performance.now() + 5000
    const banOf = (/** @type {Set<string>} */ ips) =>
      watch.events.find((e) => e.ip !== undefined && ips.has(e.ip))
    const missing = () =>
      [...runs.values()].some(
        (r) =>
          (r.scenario.expectBan || (!r.scenario.noBanEvent && r.steps.some((s) => s.status === 403))) &&
          !banOf(r.ips),
      )
    while (missing() && performance.now() < deadline) await delay(25)

    for (const scenario of scenarios) {
      for (const framework of frameworks) {
        const r = runs.get(`${scenario.id}/${framework}`)
        if (r === undefined) continue
        const refusals = r.steps.filter((s) => s.status === 403)
        // In order, the first refusal is the request the ban came at. Sent open-loop (requests overlap), the order
        // in which the server saw them is unknown: the ban came after every request that got through.
        const banAt =
          refusals.length === 0
            ? null
            : r.open
              ? r.steps.length - refusals.length + 1
              : (refusals[0]?.i ?? null)
        const timeToBan = refusals.length === 0 ? null : Math.min(...refusals.map((s) => s.ms))
        /** @type {import('./scenarios.mjs').Observation} */
        const observation = {
          steps: r.steps,
          ips: r.ips,
          ban: banOf(r.ips),
          banAt,
          open: r.open === true,
          extra: r.extra,
        }
        const verdict = r.error ? { pass: false, observed: `error: ${r.error}` } : scenario.check(observation)
        const again = retried.get(`${scenario.id}/${framework}`)
        /** @type {Result} */
        const result = {
          scenario: scenario.id,
          title: scenario.title,
          framework,
          expected: scenario.expected,
          observed: verdict.observed,
          pass: verdict.pass,
          requests: r.steps.length,
          requestsToBan: banAt,
          timeToBanMs: timeToBan === null ? null : Math.round(timeToBan),
        }
        if (r.error) result.error = r.error
        if (again) result.retried = again
        results.push(result)
        options.onResult?.(result)
      }
    }
  } finally {
    watch.close()
    for (const entry of whitelisted) await admin.whitelistRemove(entry).catch(() => {})
    http.close()
  }
  return {
    results,
    pass: results.length > 0 && results.every((r) => r.pass),
    ms: Math.round(performance.now() - started),
  }
}
