// The attack scenarios, each with the outcome the demo's defaults must produce.
//
// Design notes (the endpoint limits apply to every scenario, so each is shaped for the rule it shows):
// - Every scenario, on every framework, uses client addresses of its own (a block of 32 in 198.18.0.0/15, or a /64
//   in 2001:db8::/32, picked at random per run), so scenarios and runs do not interfere.
// - Burst and IPv6 rotation hit GET /, whose limit is 60 per minute: the 51st request in one second is the burst ban,
//   before the 61st would be limited. (/api/tasks allows 20 a minute: 5 refusals there would ban for suspicion first.)
// - Scraping: one API key, 501 distinct hashes, spread over 20 addresses (about 25 each). No address comes near the
//   burst rule (50/s) or the 60/min limit, so the rule that fires is the scraping rule on the key, at the 501st
//   distinct item — a distributed scraper is caught by its key. No setting differs from `npm run demo`.
// - The slow scraper keeps to a pace that stays under every limit for good (one lookup per 1.25 s: 48/min, 240 per
//   5 min); the run only watches it for a few seconds.
// - 404 enumeration: over 10 distinct not-found paths in 10 s, each further 404 is a suspicious event, whatever the
//   client's user agent (issue 13 item 11): the 11th to the 15th 404 are five events, counted after each response,
//   so the suspicion ban refuses the 16th request.
// - A proxy that forwards no X-Forwarded-For (issue 13 item 1): every request seems to come from the proxy itself,
//   the loopback address the demo trusts. Bulwark suspects a proxy misconfiguration and fails safe: the 51st request
//   in one second is limited (429) for the window, never banned (403), so one misconfigured hop cannot take the site
//   down. The proxy connects from an address of its own in 127.0.0.0/8 (all of it is loopback on Linux and Windows;
//   macOS needs `sudo ifconfig lo0 alias 127.0.0.2`-style aliases), picked at random per run, so the limit it earns
//   touches neither 127.0.0.1 nor another run.
// - Concurrent guesses (issue 13 item 2): 30 wrong API keys sent at once, without waiting for any answer. The store
//   counts each failure atomically before it is answered, so exactly 10 are answered 401 and the 20 others 403,
//   however the requests interleave.
// - Victim lock-out (issue 13 item 3): wrong passwords sent with a victim's valid API key ban the sender's address
//   (the login limit, 5 a minute, makes that a suspicion ban at the 10th attempt), never the key: a key is banned
//   only for failures from 3 clients or more, and the victim's own requests with it are still answered. The
//   attacker's requests go on connections of their own.
// - Credential stuffing calls GET /api/scan with a new wrong key each time. The demo reports each failure and waits
//   for the decision, so the 11th failure is already answered with the ban.
// - Deny list: the demo loads data/deny-list.txt (192.0.2.0/24 and 3fff:0:dead::/48, documentation ranges no other
//   scenario uses); a listed client is refused at its first request, before any counting, and no ban is created.
// - Good bot: crawlers are verified by Google's published ranges (no DNS); the verified Googlebot (an address of one of
//   Google's /27 or /28 ranges, one per run) skips the probe and 404-enumeration rules, and a fake one (the Googlebot
//   user agent from the scenario's own block) is a suspicious event per request, so its 5th request is the ban.

import { DENY_LIST, GOOD_BOTS } from '../config.mjs'

/** @typedef {import('./http.mjs').SimRequest} SimRequest */
/** @typedef {import('./http.mjs').SimResponse} SimResponse */
/**
 * @typedef {object} Step
 * @property {number} i 1-based request number
 * @property {number} status
 * @property {number} ms since the scenario's first request
 * @property {string} [detail]
 * @property {string} [ip]
 */
/**
 * @typedef {object} Context
 * @property {string} framework
 * @property {string} url base URL of the framework's server
 * @property {(n: number) => string} ipv4 the n-th address of this scenario's block
 * @property {(n: number) => string} ipv6 the n-th address of this scenario's /64
 * @property {() => string} loopback a random address in 127.0.0.0/8 other than 127.0.0.1 (a proxy of its own)
 * @property {(r: SimRequest) => Promise<SimResponse>} send one request (not counted)
 * @property {(count: number, make: (i: number) => SimRequest, options?: { paceMs?: number, open?: boolean }) => Promise<Step[]>} run
 *   `count` requests, counted, one after another; with `paceMs`, request i leaves at (i - 1) × paceMs at the
 *   earliest; with `open`, without waiting for the previous answer
 * @property {(ms: number) => Promise<void>} wait pacing for human-like scenarios
 * @property {{ monitorIp?: string }} shared what scenarios of one framework pass on (the whitelisted address)
 * @property {{ whitelistAdd(entry: string): Promise<unknown>, unban(target: string): Promise<unknown> }} admin
 * @property {string} password of the demo user
 */
/**
 * @typedef {object} Observation
 * @property {Step[]} steps
 * @property {Set<string>} ips every address the scenario used
 * @property {import('@bulwark/core').BanEvent | undefined} ban the ban event for one of those addresses
 * @property {number | null} banAt the number of the request the ban came at (the first refused with 403)
 * @property {boolean} open the requests overlapped (sent open-loop)
 * @property {Record<string, unknown>} [extra]
 */
/**
 * @typedef {object} Scenario
 * @property {string} id
 * @property {string} title
 * @property {string} expected
 * @property {boolean} [background] runs alongside the others (paced, human-like)
 * @property {boolean} [exclusive] runs alone, before the others (a rate within one second)
 * @property {(steps: Step[]) => string | null} [late] why a run could not keep its timing (it is then repeated)
 * @property {boolean} [expectBan]
 * @property {boolean} [noBanEvent] its refusals come from a deny list, not from a ban: no ban event to wait for
 * @property {(ctx: Context) => Promise<{ steps: Step[], extra?: Record<string, unknown> }>} run
 * @property {(o: Observation) => { pass: boolean, observed: string }} check
 */

const PROBES = [
  '/.env',
  '/.git/config',
  '/wp-login.php',
  '/phpmyadmin/index.php',
  '/backup.sql',
  '/.aws/credentials',
]
const SCANNER_UA = 'sqlmap/1.8.4#stable (https://sqlmap.org)'
const BROWSER_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36'
const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
/** Google's published IPv4 ranges (/27 and /28), as the demo verifies them. */
const GOOGLEBOT_V4 = (GOOD_BOTS.ranges.googlebot ?? []).filter((r) => !r.includes(':'))

/**
 * The scenario's slot (0 … 4095): which block of 32 addresses of 198.18.0.0/15 the run gave it, unique per scenario,
 * framework and run. @param {Context} ctx
 */
function slotOf(ctx) {
  const [, b = 18, c = 0, d = 0] = ctx.ipv4(0).split('.').map(Number)
  return ((b - 18) * 65536 + c * 256 + d) >> 5
}

/** A Googlebot address of its own for this run: one published range per slot, a host inside it. @param {Context} ctx */
function googlebotIp(ctx) {
  const slot = slotOf(ctx)
  const range = /** @type {string} */ (GOOGLEBOT_V4[slot % GOOGLEBOT_V4.length])
  const [net, bits] = range.split('/')
  const base = (net ?? '').split('.').map(Number)
  const size = 2 ** (32 - Number(bits))
  const host = 1 + (Math.floor(slot / GOOGLEBOT_V4.length) % (size - 2))
  return `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + host}`
}

/** @param {string} seed @param {number} i a 64-hex-digit hash, distinct per (seed, i) */
async function sha256(seed, i) {
  const { createHash } = await import('node:crypto')
  return createHash('sha256').update(`${seed}:${i}`).digest('hex')
}

/** @param {Step[]} steps */
function statusSummary(steps) {
  /** @type {Record<number, number>} */
  const by = {}
  for (const s of steps) by[s.status] = (by[s.status] ?? 0) + 1
  return Object.entries(by)
    .map(([status, n]) => `${n}×${status}`)
    .join(', ')
}

/**
 * A ban by `rule`, at request `at`, everything after it refused too.
 * @param {{ rule: string, at: number, before?: number, subject?: (s: string) => boolean, what?: string }} expect
 * @returns {Scenario['check']}
 */
function banCheck({ rule, at: expectedAt, before, subject, what }) {
  return (o) => {
    const at = o.banAt
    if (at === null) {
      return {
        pass: false,
        observed: `never banned (${statusSummary(o.steps)})${o.ban ? `; ban event ${o.ban.rule}` : ''}`,
      }
    }
    // Overlapping requests: everything that got through came before the ban.
    const earlier = o.open ? o.steps.filter((s) => s.status !== 403) : o.steps.filter((s) => s.i < at)
    const leaked = o.open ? 0 : o.steps.filter((s) => s.i > at && s.status !== 403).length
    const wrongBefore = before === undefined ? 0 : earlier.filter((s) => s.status !== before).length
    const gotRule = o.ban?.rule ?? '?'
    const okSubject = subject === undefined || (o.ban !== undefined && subject(o.ban.subject))
    const pass = at === expectedAt && gotRule === rule && leaked === 0 && wrongBefore === 0 && okSubject
    let observed = `banned at request ${at} (${gotRule}${what && o.ban ? `, ${o.ban.subject.startsWith('key:') ? 'key' : o.ban.target}` : ''})`
    if (leaked > 0) observed += `; ${leaked} later requests got through`
    if (wrongBefore > 0) observed += `; before it: ${statusSummary(earlier)}`
    if (!okSubject) observed += `; subject ${o.ban?.subject ?? 'unknown'}`
    return { pass, observed }
  }
}

/**
 * Never refused or limited, never banned; every status one of `ok`.
 * @param {number[]} ok @param {(o: Observation) => string} [describe]
 * @returns {Scenario['check']}
 */
function noBanCheck(ok, describe) {
  return (o) => {
    const bad = o.steps.filter((s) => !ok.includes(s.status))
    const pass = bad.length === 0 && o.ban === undefined
    if (pass) return { pass, observed: describe ? describe(o) : `never banned (${statusSummary(o.steps)})` }
    return {
      pass,
      observed: `${o.ban ? `banned (${o.ban.rule}: ${o.ban.reason})` : 'not banned'}; ${statusSummary(o.steps)}`,
    }
  }
}

/**
 * A burst proves something only if its requests reached the server within the second: when even the 50th answer
 * came more than a second after the first request, the machine was too busy (CI runs many suites at once).
 * @param {Step[]} steps
 */
function lateBurst(steps) {
  const fiftieth = steps.find((s) => s.i === 50)
  return fiftieth && fiftieth.ms > 1000 ? `the 50th answer came after ${Math.round(fiftieth.ms)} ms` : null
}

/** @type {Scenario[]} */
export const SCENARIOS = [
  {
    id: 'burst',
    title: 'Burst: 100 req/s from one IP',
    expected: 'banned at request 51 (burst)',
    expectBan: true,
    exclusive: true,
    late: lateBurst,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      return { steps: await ctx.run(100, () => ({ path: '/', ip }), { paceMs: 10, open: true }) }
    },
    check: banCheck({ rule: 'burst', at: 51, before: 200 }),
  },
  {
    id: 'proxy-no-xff',
    title: 'A proxy that forwards no X-Forwarded-For: 100 req/s, all from the proxy',
    expected: 'limited from request 51 (429), never banned',
    exclusive: true,
    late: lateBurst,
    async run(ctx) {
      const from = ctx.loopback()
      return { steps: await ctx.run(100, () => ({ path: '/', from }), { paceMs: 10, open: true }) }
    },
    check: (o) => {
      // The burst limit answers the 51st within a second; on a machine too busy to deliver the second on time, the
      // minute's limit of GET / (60) answers the 61st instead. Either way: limited, never banned (403).
      const ok = o.steps.filter((s) => s.status === 200).length
      const limited = o.steps.filter((s) => s.status === 429).length
      const pass = ok >= 50 && ok <= 60 && ok + limited === 100
      return {
        pass,
        observed: pass
          ? `limited from request ${ok + 1} (${limited}×429), never banned`
          : statusSummary(o.steps),
      }
    },
  },
  {
    id: 'credential-stuffing',
    title: 'Credential stuffing: a new bad API key per request',
    expected: 'banned at request 11 (auth-failures)',
    expectBan: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      const hash = await sha256('stuffing', 0)
      return {
        steps: await ctx.run(15, (i) => ({
          path: `/api/scan?hash=${hash}`,
          ip,
          headers: { 'x-api-key': `bwk_stolen_${ctx.framework}_${i}_${Math.random().toString(36).slice(2)}` },
        })),
      }
    },
    check: banCheck({ rule: 'auth-failures', at: 11, before: 401 }),
  },
  {
    id: 'concurrent-guesses',
    title: 'Concurrent guesses: 30 wrong API keys at once',
    expected: '10 answered 401, 20 refused (auth-failures)',
    expectBan: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      const hash = await sha256('guesses', 0)
      const nonce = Math.random().toString(36).slice(2)
      return {
        steps: await ctx.run(
          30,
          (i) => ({
            path: `/api/scan?hash=${hash}`,
            ip,
            headers: { 'x-api-key': `bwk_guess_${ctx.framework}_${nonce}_${i}` },
          }),
          { open: true },
        ),
      }
    },
    check: (o) => {
      const failed = o.steps.filter((s) => s.status === 401).length
      const refused = o.steps.filter((s) => s.status === 403).length
      const pass = failed === 10 && refused === 20 && o.ban?.rule === 'auth-failures'
      return {
        pass,
        observed: `${failed} answered 401, ${refused} refused (${o.ban?.rule ?? 'no ban'})${pass ? '' : `; ${statusSummary(o.steps)}`}`,
      }
    },
  },
  {
    id: 'victim-lockout',
    title: "Victim lock-out: 15 wrong passwords sent with a victim's API key",
    expected: "the attacker's address banned at request 10 (suspicion); the victim's key still works",
    expectBan: true,
    async run(ctx) {
      const attacker = ctx.ipv4(0)
      const victimIp = ctx.ipv4(1)
      const login = await ctx.send({
        method: 'POST',
        path: '/auth/login',
        ip: victimIp,
        json: { username: 'demo', password: ctx.password },
      })
      const apiKey = login.body?.apiKey
      if (typeof apiKey !== 'string')
        throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`)
      const steps = await ctx.run(15, () => ({
        method: 'POST',
        path: '/auth/login',
        ip: attacker,
        headers: { 'x-api-key': apiKey },
        json: { username: 'demo', password: 'not-the-password' },
        fresh: true,
      }))
      const victim = await ctx.send({
        path: `/api/scan?hash=${await sha256(`victim-${ctx.framework}`, 0)}`,
        ip: victimIp,
        headers: { 'x-api-key': apiKey },
      })
      return { steps, extra: { victimStatus: victim.status } }
    },
    check: (o) => {
      // POST /auth/login allows 5 a minute: 5 wrong passwords (401), then 4 refusals (429), each a suspicious event,
      // ban the sender's address at its 10th attempt (suspicion). The key is never banned: its failures came from one
      // client, and a key is banned only for failures from 3 clients or more.
      const base = banCheck({ rule: 'suspicion', at: 10 })(o)
      const victim = o.extra?.victimStatus
      const onAddress = o.ban?.subject.startsWith('ip:') === true
      return {
        pass: base.pass && onAddress && victim === 200,
        observed: `${base.observed}; the victim's key from its own address: ${victim}`,
      }
    },
  },
  {
    id: 'scraping',
    title: 'Scraping: 501 distinct hashes, one key, 20 IPs',
    expected: 'banned at request 501 (scraping, key)',
    expectBan: true,
    async run(ctx) {
      const login = await ctx.send({
        method: 'POST',
        path: '/auth/login',
        ip: ctx.ipv4(0),
        json: { username: 'demo', password: ctx.password },
      })
      const apiKey = login.body?.apiKey
      if (typeof apiKey !== 'string')
        throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`)
      const seed = `scrape-${ctx.framework}-${Math.random()}`
      const hashes = await Promise.all(Array.from({ length: 510 }, (_, i) => sha256(seed, i)))
      const steps = await ctx.run(510, (i) => ({
        path: `/api/scan?hash=${hashes[i - 1]}`,
        ip: ctx.ipv4(i % 20),
        headers: { 'x-api-key': apiKey },
      }))
      return { steps }
    },
    check: banCheck({
      rule: 'scraping',
      at: 501,
      before: 200,
      subject: (s) => s.startsWith('key:'),
      what: 'key',
    }),
  },
  {
    id: 'slow-scraper',
    title: 'Slow scraper: a new hash every 1.25 s',
    expected: 'never banned (48/min)',
    background: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      const login = await ctx.send({
        method: 'POST',
        path: '/auth/login',
        ip,
        json: { username: 'demo', password: ctx.password },
      })
      const apiKey = String(login.body?.apiKey)
      const seed = `slow-${ctx.framework}-${Math.random()}`
      const hashes = await Promise.all(Array.from({ length: 5 }, (_, i) => sha256(seed, i)))
      return {
        steps: await ctx.run(
          5,
          (i) => ({ path: `/api/scan?hash=${hashes[i - 1]}`, ip, headers: { 'x-api-key': apiKey } }),
          {
            paceMs: 1250,
          },
        ),
      }
    },
    check: noBanCheck([200]),
  },
  {
    id: 'scanner',
    title: 'Scanner user agent (sqlmap)',
    expected: 'banned at request 1 (scanner)',
    expectBan: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      return { steps: await ctx.run(3, () => ({ path: '/', ip, headers: { 'user-agent': SCANNER_UA } })) }
    },
    check: banCheck({ rule: 'scanner', at: 1 }),
  },
  {
    id: 'probes',
    title: 'Probe paths: /.env, /.git/config, /wp-login.php …',
    expected: 'banned at request 5 (suspicion)',
    expectBan: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      return {
        steps: await ctx.run(PROBES.length, (i) => ({
          path: PROBES[i - 1],
          ip,
          headers: { 'user-agent': BROWSER_UA },
        })),
      }
    },
    check: banCheck({ rule: 'suspicion', at: 5, before: 404 }),
  },
  {
    id: 'enumeration',
    title: '404 enumeration: a brute forcer with a browser user agent',
    expected: 'banned at request 16 (suspicion)',
    expectBan: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      // Distinct made-up paths that match no probe signature: only the 404s give the client away. Paced (100 ms)
      // so that each 404, counted after its response, is recorded before the next request leaves; 17 requests
      // stay well inside the rule's 10 s window and under the 60/min limit.
      const nonce = Math.random().toString(36).slice(2, 8)
      return {
        steps: await ctx.run(
          17,
          (i) => ({ path: `/catalog-${nonce}-${i}/page`, ip, headers: { 'user-agent': BROWSER_UA } }),
          { paceMs: 100 },
        ),
      }
    },
    check: banCheck({ rule: 'suspicion', at: 16, before: 404 }),
  },
  {
    id: 'ipv6-rotation',
    title: 'IPv6 rotation: 100 req/s, a new address each, one /64',
    expected: 'banned at request 51 (burst, the /64)',
    expectBan: true,
    exclusive: true,
    late: lateBurst,
    async run(ctx) {
      return {
        steps: await ctx.run(100, (i) => ({ path: '/', ip: ctx.ipv6(i) }), { paceMs: 10, open: true }),
      }
    },
    check: banCheck({
      rule: 'burst',
      at: 51,
      before: 200,
      subject: (s) => s.endsWith('/64'),
      what: 'prefix',
    }),
  },
  {
    id: 'legit-users',
    title: 'Legitimate users: 20 people at human pace',
    expected: 'never banned or limited',
    background: true,
    async run(ctx) {
      /** @type {Step[]} */
      const steps = []
      let n = 0
      const t0 = performance.now()
      const user = async (/** @type {number} */ u) => {
        const ip = ctx.ipv4(u)
        const headers = { 'user-agent': BROWSER_UA }
        /** @param {SimRequest} r */
        const step = async (r) => {
          await ctx.wait(150 + Math.random() * 200)
          const res = await ctx.send({ ...r, ip, headers: { ...headers, ...r.headers } })
          steps.push({ i: ++n, status: res.status, ms: res.at - t0, ip })
          return res
        }
        await ctx.wait(u * 40)
        const login = await step({
          method: 'POST',
          path: '/auth/login',
          json: { username: 'demo', password: ctx.password },
        })
        const key = { 'x-api-key': String(login.body?.apiKey) }
        const task = await step({
          method: 'POST',
          path: '/api/tasks',
          json: {
            urls: [`https://shop.example.com/products?page=${u}`],
            selectors: { title: 'h1', price: '.price' },
          },
        })
        await step({ path: `/api/tasks/${task.body?.id}` })
        for (let k = 0; k < 3; k++)
          await step({ path: `/api/scan?hash=${await sha256(`user-${u}`, k)}`, headers: key })
        // A mistake now and then: a URL that points inside the network is refused by validation (400), not banned.
        if (u % 4 === 0)
          await step({
            method: 'POST',
            path: '/api/tasks',
            json: { urls: ['http://169.254.169.254/latest/meta-data/'], selectors: { a: 'a' } },
          })
      }
      await Promise.all(Array.from({ length: 20 }, (_, u) => user(u)))
      return { steps }
    },
    check: noBanCheck([200, 201, 400], (o) => {
      const rejected = o.steps.filter((s) => s.status === 400).length
      return `never banned or limited (${o.steps.length - rejected}×2xx, ${rejected}×400)`
    }),
  },
  {
    id: 'whitelisted-monitor',
    title: 'Whitelisted monitoring IP flooding',
    expected: 'never banned',
    async run(ctx) {
      const ip = ctx.ipv4(0)
      await ctx.admin.whitelistAdd(ip)
      ctx.shared.monitorIp = ip
      const steps = await ctx.run(200, () => ({ path: '/', ip }))
      const seconds = ((steps.at(-1)?.ms ?? 0) / 1000).toFixed(2)
      return { steps, extra: { seconds } }
    },
    check: noBanCheck([200], (o) => `never banned (${o.steps.length} × 200 in ${o.extra?.seconds} s)`),
  },
  {
    id: 'oversized-body',
    title: 'Oversized body: POST declaring 11 MB',
    expected: '413, not banned',
    async run(ctx) {
      const ip = ctx.ipv4(0)
      return {
        steps: await ctx.run(2, (i) =>
          i === 1
            ? { method: 'POST', path: '/api/tasks', ip, declaredLength: 11 * 1024 * 1024 }
            : { path: '/', ip },
        ),
      }
    },
    check: (o) => {
      const [first, second] = o.steps
      // Refused by Bulwark from the declared length (the detail says so), not by a body parser after reading it.
      const bulwark = first?.detail?.startsWith('Body too large') === true
      const pass = first?.status === 413 && bulwark && second?.status === 200 && o.ban === undefined
      return {
        pass,
        observed: pass
          ? '413, then 200: not banned'
          : `${statusSummary(o.steps)}${o.ban ? `; banned (${o.ban.rule})` : ''}`,
      }
    },
  },
  {
    id: 'spoofed-xff',
    title: 'Banned client forging X-Forwarded-For',
    expected: 'stays banned',
    expectBan: true,
    async run(ctx) {
      const ip = ctx.ipv4(0)
      // Banned first (a scanner), then it claims other addresses: whitelisted, loopback, private, a chain.
      const first = await ctx.run(1, () => ({ path: '/', ip, headers: { 'user-agent': SCANNER_UA } }))
      const forged = [
        ctx.shared.monitorIp ?? '198.51.100.10',
        '127.0.0.1',
        '10.0.0.7',
        '::1',
        '203.0.113.9, 192.0.2.1',
      ]
      const steps = await ctx.run(20, (i) => ({ path: '/', ip, forged: forged[i % forged.length] }))
      return { steps: [...first, ...steps.map((s) => ({ ...s, i: s.i + 1 }))] }
    },
    check: (o) => {
      const forged = o.steps.slice(1)
      const refused = forged.filter((s) => s.status === 403).length
      const pass =
        o.banAt === 1 && o.ban?.rule === 'scanner' && refused === forged.length && forged.length === 20
      return { pass, observed: `stayed banned: ${refused} of ${forged.length} forged refused` }
    },
  },
  {
    id: 'deny-list',
    title: 'Deny list: clients from listed ranges (IPv4, IPv6)',
    expected: `refused at request 1 (${DENY_LIST.name})`,
    noBanEvent: true,
    async run(ctx) {
      const slot = slotOf(ctx)
      const v4 = `192.0.2.${(slot % 254) + 1}`
      const v6 = `3fff:0:dead:${slot.toString(16)}::1`
      const requests = [
        { path: '/', ip: v4 },
        { path: '/', ip: v6 },
        { path: '/api/tasks', ip: v4, headers: { 'user-agent': BROWSER_UA } },
      ]
      return { steps: await ctx.run(requests.length, (i) => /** @type {SimRequest} */ (requests[i - 1])) }
    },
    check: (o) => {
      // Refused before any counting, by the list: the detail names it, and no ban was created.
      const prefix = `Denied by ${DENY_LIST.name}:`
      const listed = o.steps.filter((s) => s.status === 403 && s.detail?.startsWith(prefix)).length
      const pass = o.banAt === 1 && listed === o.steps.length && o.steps.length === 3 && o.ban === undefined
      return {
        pass,
        observed: pass
          ? `refused at request 1 (${DENY_LIST.name}), IPv4 and IPv6`
          : `${statusSummary(o.steps)}; ${listed} refused by ${DENY_LIST.name}${o.ban ? `; banned (${o.ban.rule})` : ''}`,
      }
    },
  },
  {
    id: 'good-bot',
    title: 'Good bot: verified Googlebot crawls probes and 404s; a fake one',
    expected: 'verified never banned, fake banned at 5',
    expectBan: true,
    async run(ctx) {
      const fake = ctx.ipv4(0)
      const bot = googlebotIp(ctx)
      const headers = { 'user-agent': GOOGLEBOT_UA }
      // The fake first: the Googlebot user agent from an address outside Google's ranges, 5 suspicious events.
      const faked = await ctx.run(6, () => ({ path: '/', ip: fake, headers }))
      // The real one: probe paths and 14 distinct 404s, which ban a browser at the 5th probe or the 12th 404.
      const nonce = Math.random().toString(36).slice(2, 8)
      const paths = [...PROBES, ...Array.from({ length: 14 }, (_, i) => `/catalog-${nonce}-${i}/page`)]
      const crawled = await ctx.run(paths.length, (i) => ({ path: paths[i - 1], ip: bot, headers }), {
        paceMs: 20,
      })
      return {
        steps: [...faked, ...crawled.map((s) => ({ ...s, i: s.i + faked.length }))],
        extra: { fake, bot },
      }
    },
    check: (o) => {
      const { fake, bot } = /** @type {{ fake: string, bot: string }} */ (o.extra ?? {})
      const fakeSteps = o.steps.filter((s) => s.ip === fake)
      const botSteps = o.steps.filter((s) => s.ip === bot)
      const botOk = botSteps.length === 20 && botSteps.every((s) => s.status === 404)
      const fakeOk =
        o.banAt === 5 &&
        o.ban?.rule === 'suspicion' &&
        o.ban.ip === fake &&
        fakeSteps.slice(0, 4).every((s) => s.status === 200) &&
        fakeSteps.slice(4).every((s) => s.status === 403)
      if (botOk && fakeOk) return { pass: true, observed: 'verified 20×404, never banned; fake banned at 5' }
      const banned = o.ban ? `${o.ban.rule} on ${o.ban.ip === fake ? 'the fake' : o.ban.ip}` : 'no ban event'
      return {
        pass: false,
        observed: `verified ${bot}: ${statusSummary(botSteps)}; fake: ${statusSummary(fakeSteps)} (${banned})`,
      }
    },
  },
]

/** Scenario ids, in order. */
export const SCENARIO_IDS = SCENARIOS.map((s) => s.id)
