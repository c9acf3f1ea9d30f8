#!/usr/bin/env node
// npm run attack: replay the attack scenarios against the three servers and print what was stopped.
// Without --target it starts a demo of its own on free ports (trusting the loopback proxy, which is how simulated
// client addresses reach it) and stops it afterwards. Exits 1 when a scenario misses, 2 on a usage or setup error.
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { startDemo } from '../src/demo.mjs'
import { describeStartError } from '../src/errors.mjs'
import { deleteKeys } from '../src/redis-keys.mjs'
import { adminClient, createHttp } from '../src/simulator/http.mjs'
import { createAttackProgress } from '../src/simulator/progress.mjs'
import { runAttack } from '../src/simulator/run.mjs'
import { SCENARIO_IDS } from '../src/simulator/scenarios.mjs'
import { formatSummary, formatTable } from '../src/simulator/table.mjs'

const USAGE = `Usage: npm run attack [-- options]

  (no options)         start a private demo on free ports, attack it, stop it
  --target <url>       attack a running demo instead (its Express URL, e.g. http://127.0.0.1:3000);
                       it must trust the loopback proxy: start it with TRUST_PROXY=loopback
  --token <token>      its admin token (or ADMIN_TOKEN)
  --only <ids>         comma-separated scenarios: ${SCENARIO_IDS.join(', ')}
  --frameworks <list>  comma-separated: express, fastify, koa (default all three)
  --json               print the results as JSON
  --verbose            show the private demo's log (ban notifications)

The private demo uses Redis when REDIS_URL is set (under a key prefix of its own, deleted afterwards).`

/** @type {ReturnType<typeof parseArgs>['values']} */
let args
try {
  args = parseArgs({
    options: {
      target: { type: 'string' },
      token: { type: 'string' },
      only: { type: 'string' },
      frameworks: { type: 'string' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values
} catch (error) {
  console.error(`${error instanceof Error ? error.message : error}\n\n${USAGE}`)
  process.exit(2)
}
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}

const list = (/** @type {unknown} */ v) =>
  typeof v === 'string' && v.trim() !== ''
    ? v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined
const only = list(args.only)
const frameworks = list(args.frameworks) ?? ['express', 'fastify', 'koa']
const badFramework = frameworks.find((f) => !['express', 'fastify', 'koa'].includes(f))
if (badFramework) fail(`--frameworks: unknown framework ${badFramework} (express, fastify, koa)`)
const badScenario = only?.find((id) => !SCENARIO_IDS.includes(id))
if (badScenario) fail(`--only: unknown scenario ${badScenario} (${SCENARIO_IDS.join(', ')})`)
const out = args.json ? console.error : console.log

/** @type {import('../src/demo.mjs').Demo | undefined} */
let demo
/** @type {string | undefined} */
let redisPrefix
let adminUrl
let token
let targets
let password = process.env.DEMO_PASSWORD || 'demo-password'
/** @type {string[]} */
const notifications = []

if (typeof args.target === 'string') {
  token = typeof args.token === 'string' ? args.token : process.env.ADMIN_TOKEN
  if (!token)
    fail("--target needs the demo's admin token: --token <token> or ADMIN_TOKEN=<token> (the demo prints it)")
  let base
  try {
    base = new URL(args.target).origin
  } catch {
    fail(`--target ${args.target} is not a URL (e.g. http://127.0.0.1:3000)`)
  }
  adminUrl = `${base}/admin/api`
  const http = createHttp()
  let info
  try {
    info = await adminClient(http, adminUrl, token).info()
  } catch (error) {
    fail(
      `Could not reach the demo's admin API at ${adminUrl}: ${error instanceof Error ? error.message : error}`,
    )
  } finally {
    http.close()
  }
  if (!info?.simulatorReady) {
    fail(
      `The demo at ${base} does not trust the loopback proxy (trustProxy ${JSON.stringify(info?.trustProxy)}), so every simulated client would be 127.0.0.1.\n` +
        'Restart it with TRUST_PROXY=loopback npm run demo, or run npm run attack without --target (it starts a demo of its own).',
    )
  }
  targets = info.servers
} else {
  const quiet = {
    warn: (/** @type {string} */ m) => notifications.push(m),
    error: (/** @type {string} */ m) => notifications.push(m),
  }
  const verbose = {
    warn: (/** @type {string} */ m) => console.error(`  [demo] ${m}`),
    error: (/** @type {string} */ m) => console.error(`  [demo] ${m}`),
  }
  token = randomBytes(18).toString('base64url')
  redisPrefix = `bulwark:attack:${randomBytes(4).toString('hex')}:`
  try {
    demo = await startDemo({
      ports: { express: 0, fastify: 0, koa: 0 },
      trustProxy: 'loopback', // the simulator's run only: it is the proxy in front of every simulated client
      adminToken: token,
      redisPrefix,
      log: args.verbose ? verbose : quiet,
    })
  } catch (error) {
    fail(describeStartError(error))
  }
  adminUrl = demo.adminUrl
  targets = demo.urls
  password = demo.config.password
  out(
    `Started a private demo on free ports (${demo.storeName} store${demo.storeName === 'redis' ? `, keys under ${redisPrefix}` : ''}).`,
  )
}

const chosen = Object.fromEntries(frameworks.map((f) => [f, targets[f]]))
out(
  `Attacking ${Object.entries(chosen)
    .map(([f, u]) => `${f} ${u}`)
    .join(', ')}\n`,
)

// A line per scenario and framework as it starts and ends: live on a terminal, plain in CI or a pipe.
const progress = createAttackProgress({ stream: args.json ? process.stderr : process.stdout })
let report
try {
  report = await runAttack({
    targets: chosen,
    adminUrl,
    token,
    password,
    only,
    onRun: (e) => (e.type === 'start' ? progress.start(e) : progress.end(e)),
  })
} catch (error) {
  progress.close()
  console.error(`The attack could not run: ${error instanceof Error ? error.message : error}`)
  await stopDemo()
  process.exit(2)
}
progress.close()
out('')

if (args.json) console.log(JSON.stringify(report, null, 2))
else {
  console.log(formatTable(report.results, { color: process.stdout.isTTY === true }))
  console.log(`\n${formatSummary(report.results, report.ms)}`)
}
await stopDemo()
if (demo) {
  // The notifier's log channel: one line per ban, then a digest once past 10 a minute (sent at close at the latest).
  const s = demo.notifier.stats()
  const sent = Object.values(s.channels).reduce((n, c) => n + c.sent, 0)
  const folded =
    s.folded > 0
      ? `, ${s.folded} of them folded into ${s.digests === 1 ? 'a digest' : `${s.digests} digests`}`
      : ''
  out(`\nNotifications (log channel): ${s.received} bans, ${sent} lines${folded}. The first and the last:`)
  const shown = notifications.filter((l) => l.startsWith('Security Block'))
  for (const line of [shown[0], shown.at(-1)])
    if (line) out(`  ${line.length > 160 ? `${line.slice(0, 159)}…` : line}`)
} else out(`\nSee the bans on the dashboard: ${new URL(adminUrl).origin}/dashboard/`)
// Nothing is left running, so the process ends by itself once the output is written; the timer guards against a hang.
process.exitCode = report.pass ? 0 : 1
setTimeout(() => process.exit(), 2000).unref()

async function stopDemo() {
  if (!demo) return
  if (demo.storeName === 'redis' && redisPrefix) await deleteKeys(demo.store, redisPrefix).catch(() => {})
  await demo.close()
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(message)
  process.exit(2)
}
