import { z } from 'zod'
import type { TrustProxy } from './client-ip.js'
import { DEFAULTS } from './defaults.js'
import type { DenySource } from './deny-source.js'
import type { DiagnosticsOption } from './diagnostics.js'
import { configFromEnv } from './env.js'
import { BulwarkError } from './errors.js'
import { type GoodBotsOptions, GoodBotsRule, withGoodBots } from './good-bots.js'
import { consoleLogger, type Logger } from './logger.js'
import { authFailures } from './rules/auth-failures.js'
import { bodySize } from './rules/body-size.js'
import { burst } from './rules/burst.js'
import { type EndpointLimit, endpoints as endpointsRule } from './rules/limit.js'
import { NOT_FOUND_DEFAULTS, notFound as notFoundRule } from './rules/not-found.js'
import { type ProbeOptions, probes as probesRule } from './rules/probe-paths.js'
import { type By, isRuleId, type Rule } from './rules/rule.js'
import { type ScannerOptions, scanner as scannerRule } from './rules/scanner.js'
import { scraping } from './rules/scraping.js'
import { suspicion } from './rules/suspicion.js'
import type { Store } from './store.js'
import type { Mode } from './types.js'

export { DEFAULTS }

/** The event adapters report when the app answered 404 (`NOT_FOUND` of the adapter runtime). */
const NOT_FOUND = 'not-found'

/** A rule's switch: `false` turns it off; `mode` overrides the global mode for this rule. */
interface RuleOptions {
  mode?: Mode
}

export interface WindowRuleOptions extends RuleOptions {
  /** The rule trips when more than `limit` events fall in `windowMs`. */
  limit?: number
  windowMs?: number
  /** Who is counted: `'ip'`, `'apiKey'`, `'user'`, a function of the request, or a list of them. */
  by?: By | readonly By[]
}

export interface BulwarkOptions {
  /** `monitor` reports every decision without enforcing any (dry run). Default `enforce`. */
  mode?: Mode
  /** Where counters and bans live. Default: a new `MemoryStore`. */
  store?: Store
  /** Milliseconds since the epoch. Inject a fake clock in tests. Default `Date.now`. */
  clock?: () => number
  /**
   * Where the ban line and warnings go: console (default), any `{ warn }` logger (called with the message), or a
   * pino-compatible logger (pino, `fastify.log`, bunyan: called with `(fields, message)`, the fields being
   * `LogFields`: `event`, `rule`, `subject`, `ttlS`, `code`, …). `false` for silence.
   */
  logger?: Logger | false
  /** Log each new ban (`Security Block activated | …`). Default true; turn off when a notifier logs them. */
  logBans?: boolean
  /** Which proxies to believe for the client address. Default `false`: the socket address only. */
  trustProxy?: TrustProxy
  /**
   * What to do while forwarding headers arrive from a loopback, private or link-local address that is not trusted (a
   * load balancer Bulwark was not told about): `'fail-safe'` (default) never bans that address for longer than the
   * window of the rule that tripped and answers 429, not 403, so a misconfiguration cannot take the site down, and
   * reports `BULWARK_PROXY_UNTRUSTED` once at error level with the fix; `'strict'` bans it like any client.
   */
  proxyMisconfiguration?: 'fail-safe' | 'strict'
  /** IPv6 clients are grouped by this prefix. Default 64. */
  ipv6Prefix?: number
  /**
   * Secret for hashing API keys (HMAC-SHA256). Engines sharing a store must share it. Default: random per process
   * (fine for the memory store; a warning is logged when a shared store is used without one).
   */
  apiKeySecret?: string
  /** IPs, CIDRs and API keys that are never limited or blocked. Kept in memory; `engine.whitelist` adds more. */
  whitelist?: readonly string[]
  /** Emit `decision` events for plain allows too (for dashboards and metrics). Default false. */
  emitAllows?: boolean
  /**
   * Your own rules (and `limit()`s that apply to every request), run after the built-in counting rules and before
   * the endpoint limits, body size, probes and suspicion. See `Rule`.
   */
  rules?: readonly Rule[]
  /** Setup warnings (see `DIAGNOSTICS`): `false` silences all, `{ CODE: false }` one. Default: all on, each once. */
  diagnostics?: DiagnosticsOption
  /**
   * Read options from environment variables too (`BURST_LIMIT`, `AUTH_FAIL_LIMIT`, `ANOMALY_LIMIT`,
   * `BLOCK_DURATION` …, see `ENV_VARS`): `true` reads `process.env`, an object is read instead. Options given in
   * code win over the environment, field by field. A bad value throws ERR_BULWARK_ENV naming the variable.
   */
  env?: boolean | Readonly<Record<string, string | undefined>>

  /** More than `limit` requests from one IP in any `windowMs` → ban. Default 50 in 1 s. */
  burst?: false | WindowRuleOptions
  /**
   * More than `limit` failed authentications per IP, and per API key, in `windowMs` → ban. Default 10 in 60 s. A key
   * (or user) is banned only when its failures come from `minClients` clients or more (default 3), so one attacker
   * cannot lock a victim's key out; its own address is banned on its failures alone.
   */
  authFailures?: false | (WindowRuleOptions & { minClients?: number })
  /** More than `limit` distinct queried items per IP, and per API key, in `windowMs` → ban. Default 500 in 5 min. */
  scraping?: false | WindowRuleOptions
  /** Per-endpoint sliding-window limits → 429. Off unless given. First match wins. */
  endpoints?:
    | false
    | readonly EndpointLimit[]
    | (RuleOptions & { limits: readonly EndpointLimit[]; suspicious?: boolean })
  /**
   * Scanner user agents → ban, matched on the whole header. `agents` replaces the default list
   * (`SCANNER_AGENT_SIGNATURES`: CRS's scanner list and tools' own defaults).
   */
  scanner?: false | (RuleOptions & Pick<ScannerOptions, 'agents'>)
  /**
   * Probe paths → suspicious event: strong signatures before the response, weak ones when the app answered 404.
   * `paths` replaces every signature (default `PROBE_SIGNATURES`), `strong`/`weak` one class, `allow` the
   * segments never taken for a probe.
   */
  probes?: false | (RuleOptions & Omit<ProbeOptions, 'mode'>)
  /**
   * 404 enumeration → suspicious events: while more than `limit` distinct not-found paths (static resources aside)
   * from one client fall in `windowMs`, each further 404 is a suspicious event (five ban, with the defaults).
   * Default more than 10 in 10 s (CrowdSec's http-probing). `ban: true` bans at the first 404 over the limit instead.
   */
  notFound?: false | (WindowRuleOptions & { ban?: boolean })
  /** Declared bodies over `maxBytes` → 413 and a suspicious event; malformed Content-Length → 400. Default 10 MB. */
  bodySize?: false | (RuleOptions & { maxBytes?: number })
  /** `events` suspicious events per IP in `windowMs` → ban. Default 5 in 24 h. */
  suspicion?: false | (RuleOptions & { events?: number; windowMs?: number })
  /** Ban length and escalation for repeat offenders. */
  ban?: {
    /** Default 1 h. */
    ttlMs?: number
    /** Each further ban within `historyMs` lasts `factor` times longer, up to `maxTtlMs`. `false` turns it off. */
    escalation?: false | { factor?: number; maxTtlMs?: number; historyMs?: number; jitter?: number }
  }
  /** Local cache of active bans, so a banned client costs no store work. Default 10,000 entries. */
  banCacheSize?: number
  /**
   * Deny sources: deny lists (`denyList()`), a CrowdSec bouncer, your own feed (see `DenySource`). Their addresses
   * and ranges are refused (403, `rule: 'deny'`, `evidence.source` the source's name) before any store work.
   */
  deny?: readonly DenySource[]
  /** Most entries held across every deny source and range ban. Default 1,000,000 (about 150 MB). */
  maxDenyEntries?: number
  /**
   * Verify requests whose User-Agent claims Googlebot, Bingbot, Applebot, DuckDuckBot, Yandex or Baidu (reverse then
   * forward DNS, or published ranges) and give a verified bot its own policy: exempt from burst, scraping, probes and
   * 404 enumeration, held to its own limit (429); a fake one is a suspicious event. Off by default (it asks DNS).
   * See `GoodBotsOptions`.
   */
  goodBots?: boolean | GoodBotsOptions
  /** What to decide when the store is unavailable: `open` decides from a local memory store; `closed` refuses (503). */
  failureMode?: 'open' | 'closed'
  /** Deadline of one store call. Default 200 ms. Does not apply to the memory store. */
  storeTimeoutMs?: number
  /** Consecutive store failures that mark the store degraded, and how long before it is tried again. */
  breaker?: { failureThreshold?: number; cooldownMs?: number }
}

export interface WindowRule {
  mode: Mode
  limit: number
  windowMs: number
}

/** Options with every default filled in. */
export interface ResolvedOptions {
  mode: Mode
  clock: () => number
  logger: Logger | null
  logBans: boolean
  trustProxy: TrustProxy
  ipv6Prefix: number
  apiKeySecret: string | undefined
  whitelist: readonly string[]
  emitAllows: boolean
  proxyMisconfiguration: 'fail-safe' | 'strict'
  diagnostics: DiagnosticsOption
  /** Every rule of the engine, in the order they run. */
  rules: readonly Rule[]
  burst: WindowRule | null
  authFailures: WindowRule | null
  scraping: WindowRule | null
  endpoints: { mode: Mode; limits: readonly EndpointLimit[]; suspicious: boolean } | null
  scanner: { mode: Mode; agents: ScannerOptions['agents'] } | null
  probes: (Omit<ProbeOptions, 'mode'> & { mode: Mode }) | null
  notFound: WindowRule | null
  bodySize: { mode: Mode; maxBytes: number } | null
  suspicion: { mode: Mode; events: number; windowMs: number } | null
  ban: { ttlMs: number; factor: number; maxTtlMs: number; historyMs: number; jitter: number }
  banCacheSize: number
  failureMode: 'open' | 'closed'
  storeTimeoutMs: number
  breaker: { failureThreshold: number; cooldownMs: number }
}

const posInt = z.number().int().positive()
const mode = z.enum(['enforce', 'monitor']).optional()
const byValue = z.union([
  z.enum(['ip', 'apiKey', 'user']),
  z.custom<(f: unknown) => unknown>((v) => typeof v === 'function', 'must be a function'),
])
/** A counting rule's options: `false`, or its mode, limit, window, `by` and the rule's own `extra` fields. */
function countingRule<T extends z.ZodRawShape>(extra: T) {
  return z.union([
    z.literal(false),
    z.object({
      mode,
      limit: posInt.optional(),
      windowMs: posInt.optional(),
      by: z.union([byValue, z.array(byValue).min(1)]).optional(),
      ...extra,
    }),
  ])
}
const windowRule = countingRule({})
const authRule = countingRule({ minClients: posInt.optional() })

/** Shape checks for the plain-data options; functions and stores are checked by hand. */
const schema = z.object({
  mode,
  ipv6Prefix: z.number().int().min(1).max(128).optional(),
  apiKeySecret: z.string().min(16, 'must be at least 16 characters').optional(),
  whitelist: z.array(z.string()).optional(),
  emitAllows: z.boolean().optional(),
  proxyMisconfiguration: z.enum(['fail-safe', 'strict']).optional(),
  logBans: z.boolean().optional(),
  burst: windowRule.optional(),
  authFailures: authRule.optional(),
  scraping: windowRule.optional(),
  notFound: countingRule({ ban: z.boolean().optional() }).optional(),
  bodySize: z
    .union([z.literal(false), z.object({ mode, maxBytes: z.number().int().nonnegative().optional() })])
    .optional(),
  suspicion: z
    .union([z.literal(false), z.object({ mode, events: posInt.optional(), windowMs: posInt.optional() })])
    .optional(),
  ban: z
    .object({
      ttlMs: posInt.optional(),
      escalation: z
        .union([
          z.literal(false),
          z.object({
            factor: z.number().min(1).max(100).optional(),
            maxTtlMs: posInt.optional(),
            historyMs: posInt.optional(),
            jitter: z.number().min(0).max(1).optional(),
          }),
        ])
        .optional(),
    })
    .optional(),
  banCacheSize: posInt.optional(),
  failureMode: z.enum(['open', 'closed']).optional(),
  storeTimeoutMs: posInt.optional(),
  breaker: z.object({ failureThreshold: posInt.optional(), cooldownMs: posInt.optional() }).optional(),
})

type Issue = { path: PropertyKey[]; message: string; errors?: Issue[][] }

/** The most specific issue: inside a `false | {…}` union, the one from the object branch with the longest path. */
function deepestIssue(issues: readonly Issue[]): Issue {
  let best = issues[0] as Issue
  const visit = (list: readonly Issue[], prefix: PropertyKey[]) => {
    for (const issue of list) {
      const path = [...prefix, ...issue.path]
      if (path.length > best.path.length) best = { ...issue, path }
      for (const branch of issue.errors ?? []) visit(branch, path)
    }
  }
  visit(issues, [])
  return best
}

function fail(message: string): never {
  throw new BulwarkError('ERR_BULWARK_OPTIONS', message)
}

/** Validate options and fill in defaults. Throws ERR_BULWARK_OPTIONS naming the option at fault. */
export function resolveOptions(options: BulwarkOptions = {}): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    fail('createBulwark(options): options must be an object')
  if (options.env !== undefined && options.env !== false) {
    if (options.env !== true && (options.env === null || typeof options.env !== 'object'))
      fail('Invalid option env: must be true, false or an object of variables')
    const { env, ...code } = options
    options = withEnv(configFromEnv(env === true ? process.env : env), code)
  }
  const { store, clock, logger, trustProxy, endpoints, scanner, probes, rules, diagnostics, ...plain } =
    options
  const parsed = schema.safeParse(plain)
  if (!parsed.success) {
    const issue = deepestIssue(parsed.error.issues as unknown as Issue[])
    fail(`Invalid option ${issue.path.join('.') || '(root)'}: ${issue.message}`)
  }
  if (clock !== undefined && typeof clock !== 'function')
    fail('Invalid option clock: must be a function returning ms')
  if (logger !== undefined && logger !== false && typeof logger?.warn !== 'function') {
    fail('Invalid option logger: must have a warn(message) method, or be false')
  }
  if (store !== undefined && (typeof store?.hit !== 'function' || typeof store?.setBan !== 'function')) {
    fail('Invalid option store: must implement the Store interface (see MemoryStore)')
  }
  const o = parsed.data
  const global: Mode = o.mode ?? 'enforce'
  const modeOf = (m: Mode | undefined): Mode => (global === 'monitor' ? 'monitor' : (m ?? 'enforce'))
  const win = (v: typeof o.burst, d: { limit: number; windowMs: number }): WindowRule | null =>
    v === false
      ? null
      : { mode: modeOf(v?.mode), limit: v?.limit ?? d.limit, windowMs: v?.windowMs ?? d.windowMs }

  let endpointRule: ResolvedOptions['endpoints'] = null
  if (endpoints !== undefined && endpoints !== false) {
    if (Array.isArray(endpoints))
      endpointRule = { mode: modeOf(undefined), limits: endpoints, suspicious: true }
    else if (typeof endpoints === 'object' && Array.isArray((endpoints as { limits?: unknown }).limits)) {
      const e = endpoints as RuleOptions & { limits: readonly EndpointLimit[]; suspicious?: boolean }
      endpointRule = { mode: modeOf(e.mode), limits: e.limits, suspicious: e.suspicious ?? true }
    } else
      fail('Invalid option endpoints: must be an array of { match, limit, windowMs } or { limits: [...] }')
  }
  if (
    diagnostics !== undefined &&
    typeof diagnostics !== 'boolean' &&
    (diagnostics === null || typeof diagnostics !== 'object')
  ) {
    fail('Invalid option diagnostics: must be true, false or { CODE: false }')
  }
  if (rules !== undefined && !Array.isArray(rules)) fail('Invalid option rules: must be an array of rules')
  const esc = o.ban?.escalation
  const ttlMs = o.ban?.ttlMs ?? DEFAULTS.ban.ttlMs
  const resolved: Omit<ResolvedOptions, 'rules'> = {
    mode: global,
    clock: clock ?? Date.now,
    logger: logger === false ? null : (logger ?? consoleLogger),
    logBans: o.logBans ?? true,
    trustProxy: trustProxy ?? false,
    ipv6Prefix: o.ipv6Prefix ?? DEFAULTS.ipv6Prefix,
    apiKeySecret: o.apiKeySecret,
    whitelist: o.whitelist ?? [],
    emitAllows: o.emitAllows ?? false,
    diagnostics: diagnostics ?? true,
    proxyMisconfiguration: o.proxyMisconfiguration ?? 'fail-safe',
    burst: win(o.burst, DEFAULTS.burst),
    authFailures: win(o.authFailures, DEFAULTS.authFailures),
    scraping: win(o.scraping, DEFAULTS.scraping),
    endpoints: endpointRule,
    scanner: scanner === false ? null : { mode: modeOf(scanner?.mode), agents: scanner?.agents },
    probes:
      probes === false
        ? null
        : {
            mode: modeOf(probes?.mode),
            paths: probes?.paths,
            strong: probes?.strong,
            weak: probes?.weak,
            allow: probes?.allow,
          },
    notFound: win(o.notFound, NOT_FOUND_DEFAULTS),
    bodySize:
      o.bodySize === false
        ? null
        : { mode: modeOf(o.bodySize?.mode), maxBytes: o.bodySize?.maxBytes ?? DEFAULTS.bodySize.maxBytes },
    suspicion:
      o.suspicion === false
        ? null
        : {
            mode: modeOf(o.suspicion?.mode),
            events: o.suspicion?.events ?? DEFAULTS.suspicion.events,
            windowMs: o.suspicion?.windowMs ?? DEFAULTS.suspicion.windowMs,
          },
    ban:
      esc === false
        ? { ttlMs, factor: 1, maxTtlMs: ttlMs, historyMs: DEFAULTS.ban.historyMs, jitter: 0 }
        : {
            ttlMs,
            factor: esc?.factor ?? DEFAULTS.ban.factor,
            maxTtlMs: Math.max(ttlMs, esc?.maxTtlMs ?? DEFAULTS.ban.maxTtlMs),
            historyMs: esc?.historyMs ?? DEFAULTS.ban.historyMs,
            jitter: esc?.jitter ?? DEFAULTS.ban.jitter,
          },
    banCacheSize: o.banCacheSize ?? DEFAULTS.banCacheSize,
    failureMode: o.failureMode ?? 'open',
    storeTimeoutMs: o.storeTimeoutMs ?? DEFAULTS.storeTimeoutMs,
    breaker: {
      failureThreshold: o.breaker?.failureThreshold ?? DEFAULTS.breaker.failureThreshold,
      cooldownMs: o.breaker?.cooldownMs ?? DEFAULTS.breaker.cooldownMs,
    },
  }
  const byOf = (v: unknown) =>
    v !== null && typeof v === 'object' ? (v as { by?: By | readonly By[] }).by : undefined
  const r = resolved
  const list: Rule[] = []
  if (r.scanner) list.push(scannerRule({ mode: r.scanner.mode, agents: r.scanner.agents }))
  if (r.burst) list.push(burst({ ...r.burst, by: byOf(o.burst) }))
  if (r.authFailures) {
    const minClients = o.authFailures === false ? undefined : o.authFailures?.minClients
    list.push(authFailures({ ...r.authFailures, by: byOf(o.authFailures), minClients }))
  }
  if (r.scraping) list.push(scraping({ ...r.scraping, by: byOf(o.scraping) }))
  for (const [i, rule] of (rules ?? []).entries()) list.push(checkRule(rule, i))
  if (r.endpoints)
    list.push(
      endpointsRule(r.endpoints.limits, { mode: r.endpoints.mode, suspicious: r.endpoints.suspicious }),
    )
  if (r.bodySize) list.push(bodySize(r.bodySize))
  if (r.probes) list.push(probesRule(r.probes))
  if (r.notFound) {
    const ban = o.notFound === false ? undefined : o.notFound?.ban
    list.push(notFoundRule({ ...r.notFound, by: byOf(o.notFound), ban }))
  }
  if (r.suspicion) {
    const rule = suspicion(r.suspicion)
    // The signals of rules on 'not-found' (weak probes, your own) are counted like those of a request.
    const listens = (x: Rule) => x.on === NOT_FOUND || (Array.isArray(x.on) && x.on.includes(NOT_FOUND))
    const on = typeof rule.on === 'string' ? [rule.on] : [...rule.on]
    if (list.some(listens) && !on.includes(NOT_FOUND)) {
      list.push(Object.assign(Object.create(rule) as Rule, { on: [...on, NOT_FOUND] }))
    } else list.push(rule)
  }
  const bots = options.goodBots
  if (bots !== undefined && bots !== false) {
    if (bots !== true && (bots === null || typeof bots !== 'object'))
      fail('Invalid option goodBots: must be true, false or { … } (see GoodBotsOptions)')
    const o2 = bots === true ? {} : bots
    const rule = new GoodBotsRule({ ...o2, mode: modeOf(o2.mode) }, resolved.clock)
    list.splice(0, list.length, ...withGoodBots(list, rule))
  }
  const ids = new Set<string>()
  for (const rule of list) {
    if (ids.has(rule.id)) fail(`Invalid option rules: two rules have the id "${rule.id}"; ids must be unique`)
    ids.add(rule.id)
  }
  if (global === 'monitor') {
    // A rule's verdicts are reported, not applied.
    for (let i = 0; i < list.length; i++) {
      const rule = list[i] as Rule
      if (rule.mode !== 'monitor')
        list[i] = Object.assign(Object.create(rule) as Rule, { mode: 'monitor' as const })
    }
  }
  return { ...resolved, rules: Object.freeze(list) }
}

/** Options from the environment under options from code: code wins, field by field inside a rule's options. */
function withEnv(fromEnv: BulwarkOptions, code: BulwarkOptions): BulwarkOptions {
  const out: Record<string, unknown> = { ...fromEnv }
  for (const [key, value] of Object.entries(code)) {
    if (value === undefined) continue
    const base = out[key]
    const plain = (v: unknown) =>
      v !== null &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      Object.getPrototypeOf(v) === Object.prototype
    out[key] =
      plain(base) && plain(value) ? { ...(base as object), ...stripUndefined(value as object) } : value
  }
  return out as BulwarkOptions
}

function stripUndefined(o: object): object {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
}

/** A rule from the `rules` option, checked for the contract. */
function checkRule(rule: Rule, i: number): Rule {
  const name = `rules[${i}]`
  if (rule === null || typeof rule !== 'object') fail(`Invalid option ${name}: must be a rule (see Rule)`)
  if (!isRuleId(rule.id)) fail(`Invalid option ${name}.id: must match [a-z0-9][a-z0-9._-]{0,63}`)
  if (typeof rule.check !== 'function')
    fail(`Invalid option ${name}.check: must be a function (request) => ask | null`)
  const events = typeof rule.on === 'string' ? [rule.on] : Array.isArray(rule.on) ? rule.on : []
  if (events.length === 0 || events.some((e) => typeof e !== 'string' || e.length === 0))
    fail(`Invalid option ${name}.on: must be 'request' or an event name`)
  if (rule.mode !== 'enforce' && rule.mode !== 'monitor')
    fail(`Invalid option ${name}.mode: must be 'enforce' or 'monitor'`)
  if (rule.verdict !== undefined && typeof rule.verdict !== 'function')
    fail(`Invalid option ${name}.verdict: must be a function`)
  if (rule.describe !== undefined && typeof rule.describe !== 'function')
    fail(`Invalid option ${name}.describe: must be a function`)
  return rule
}
