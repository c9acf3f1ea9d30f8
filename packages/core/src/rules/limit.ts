import { BoundedMap } from '../bounded-map.js'
import { formatWindow } from '../format-window.js'
import type { Measure, WindowCount, WindowMeasure } from '../store.js'
import type { Mode, RateLimitInfo } from '../types.js'
import { byOption, fail, modeOption, positiveInt } from './options.js'
import type { By, Rule, RuleAsk, RuleRequest, Verdict } from './rule.js'

/** A number, or a function of the request returning one (plan tiers, costly exports). */
export type PerRequest = number | ((request: RuleRequest) => number)

/** A rate limit: more than `limit` (weighted by `cost`) in a sliding `windowMs` → 429 with RateLimit headers. */
export interface LimitOptions {
  /** Requests (or cost units) per window. A function of the request for plan tiers. */
  limit: PerRequest
  windowMs: number
  /** What one request costs. Default 1; a function of the request for costly operations (an export costs 10). */
  cost?: PerRequest
  /** Who is counted. Default `'ip'`. */
  by?: By | readonly By[]
  /**
   * Names the limit in the store, in decisions (`rule`) and in `RateLimit-Policy`. Engines sharing a store must use
   * the same ids. Route limits default to the route (`GET /login`); global ones to their `match`.
   */
  id?: string
  mode?: Mode
  /** A refusal is a suspicious event (counts towards the suspicion ban). Default true. */
  suspicious?: boolean
}

/** A limit in the global `endpoints` list: applies to requests whose path (as the router sees it) matches. */
export interface EndpointLimit extends LimitOptions {
  /**
   * A path prefix (`/auth/`), a glob (`/api/*\/export`, `*` within a segment, `**` across segments) or a RegExp,
   * tested against the path as the router matches it (see `canonicalPath`).
   */
  match: string | RegExp
  /** Only these methods. `HEAD` is counted as `GET`. Default: all. */
  methods?: readonly string[]
}

/** One compiled limit: its window count (or how to build it per request), its verdict and wording. */
class CompiledLimit {
  readonly id: string
  readonly windowMs: number
  private readonly limit: PerRequest
  private readonly cost: PerRequest
  private readonly fixed: RuleAsk | null
  private readonly by: By | readonly By[]
  private readonly suspicious: boolean

  constructor(o: LimitOptions, name: string, id: string) {
    if (o === null || typeof o !== 'object') fail(`Invalid option ${name}: must be an object`)
    this.id = id
    this.windowMs = positiveInt(o.windowMs, `${name}.windowMs`)
    this.limit = perRequest(o.limit, `${name}.limit`)
    this.cost = perRequest(o.cost ?? 1, `${name}.cost`)
    this.by = byOption(o.by, name, 'ip')
    this.suspicious = o.suspicious !== false
    this.fixed =
      typeof this.limit === 'number' && typeof this.cost === 'number'
        ? Object.freeze({ count: this.count(this.limit, this.cost), by: this.by })
        : null
  }

  private count(limit: number, cost: number): WindowCount {
    const c: WindowCount = {
      kind: 'window',
      rule: this.id,
      key: `e:${this.id}`,
      limit,
      windowMs: this.windowMs,
    }
    if (cost !== 1) c.cost = cost
    if (this.suspicious) c.suspicious = true
    return c
  }

  ask(request: RuleRequest): RuleAsk {
    if (this.fixed !== null) return this.fixed
    const limit = evaluate(this.limit, request)
    const cost = evaluate(this.cost, request)
    return { count: this.count(limit, cost), by: this.by }
  }

  verdict(measures: readonly (Measure | undefined)[], ask: RuleAsk): Verdict | null {
    const m = tightest(measures)
    if (m === null) return null
    const count = ask.count as WindowCount
    const rateLimit: RateLimitInfo = {
      limit: count.limit,
      remaining: m.remaining,
      resetS: Math.max(1, Math.ceil(m.resetMs / 1000)),
      windowS: Math.ceil(this.windowMs / 1000),
      policy: this.id,
    }
    if (m.allowed) return { conclusion: 'allow', rateLimit }
    const verdict: Verdict = {
      conclusion: 'limit',
      reason: `Rate limit: ${count.limit}${count.cost === undefined ? ' requests' : ' units'} per ${formatWindow(this.windowMs)} on ${this.id}`,
      evidence: { limit: count.limit, windowMs: this.windowMs },
      rateLimit,
    }
    // The store counted the refusal towards the suspicion ban (`suspicious` on the count); the event says so.
    if (count.suspicious === true) verdict.signal = { kind: 'endpoint', detail: this.id }
    return verdict
  }
}

/** Of several subjects' windows, the one that refuses, else the one with least remaining. */
function tightest(measures: readonly (Measure | undefined)[]): WindowMeasure | null {
  let best: WindowMeasure | null = null
  for (const m of measures) {
    if (typeof m !== 'object') continue
    if (
      best === null ||
      (!m.allowed && best.allowed) ||
      (m.allowed === best.allowed && m.remaining < best.remaining)
    )
      best = m
  }
  return best
}

function perRequest(v: unknown, name: string): PerRequest {
  if (typeof v === 'function') return v as (request: RuleRequest) => number
  return positiveInt(v, name)
}

/** A per-request number; a function that throws or returns junk gives 1 rather than failing the request. */
function evaluate(v: PerRequest, request: RuleRequest): number {
  if (typeof v === 'number') return v
  const n = v(request)
  return Number.isFinite(n) && n >= 1 ? Math.floor(n) : 1
}

function checkId(id: unknown, name: string): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > 200 || /[{}\u0000-\u001f]/.test(id)) {
    fail(`Invalid option ${name}.id: must be 1 to 200 printable characters without { or }`)
  }
  return id
}

/**
 * A rate limit as a rule value, for one route: `limit({ limit: 5, windowMs: 60_000 })`. Attach it where the router
 * chose the route (`mw.limit(...)` in express and koa, `config.bulwark.limit` in fastify) so no spelling of the URL
 * escapes it; or pass it in `rules` to apply it to every request.
 */
export function limit(options: LimitOptions & { id: string }): Rule & { readonly windowMs: number } {
  const id = checkId(options?.id, 'limit')
  const compiled = new CompiledLimit(options, 'limit', id)
  const mode = modeOption(options.mode, 'limit')
  return {
    id,
    mode,
    on: 'request',
    windowMs: compiled.windowMs,
    check: (request) => compiled.ask(request),
    verdict: (measures, ask) => compiled.verdict(measures, ask),
  }
}

interface Matcher {
  limit: CompiledLimit
  test: (path: string) => boolean
  methods: ReadonlySet<string> | null
}

function globToRegExp(glob: string, flags: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*'
        i++
      } else re += '[^/]*'
    } else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, flags)
}

function matcherOf(l: EndpointLimit, i: number, caseSensitive: boolean): Matcher {
  const name = `endpoints[${i}]`
  if (l === null || typeof l !== 'object') fail(`Invalid option ${name}: must be an object`)
  let test: (path: string) => boolean
  const flags = caseSensitive ? '' : 'i'
  if (l.match instanceof RegExp) {
    const re = new RegExp(
      l.match.source,
      l.match.flags.replace(/[gy]/g, '') + (caseSensitive || l.match.flags.includes('i') ? '' : 'i'),
    )
    test = (p) => re.test(p)
  } else if (typeof l.match === 'string' && l.match.includes('*')) {
    const re = globToRegExp(l.match, flags)
    test = (p) => re.test(p)
  } else if (typeof l.match === 'string' && l.match.length > 0) {
    const prefix = caseSensitive ? l.match : l.match.toLowerCase()
    // `/auth/` also covers `/auth`: routers that ignore a trailing slash route both to one handler.
    const bare = prefix.length > 1 && prefix.endsWith('/') ? prefix.slice(0, -1) : null
    test = caseSensitive
      ? (p) => p.startsWith(prefix) || p === bare
      : (p) => {
          const q = p.toLowerCase()
          return q.startsWith(prefix) || q === bare
        }
  } else {
    fail(`Invalid option ${name}.match: must be a non-empty string or a RegExp`)
  }
  const id = checkId(l.id ?? String(l.match), name)
  const methods = l.methods ? new Set(l.methods.map((m) => m.toUpperCase())) : null
  if (methods?.has('GET')) methods.add('HEAD')
  return { limit: new CompiledLimit(l, name, id), test, methods }
}

/**
 * The global `endpoints` option as one rule: the first limit whose `match` fits the path (as the router matches it)
 * and whose `methods` include the method applies. Matching is case-insensitive unless the adapter's router is
 * case-sensitive (fastify), and verdicts are remembered for recent paths.
 */
export function endpoints(
  limits: readonly EndpointLimit[],
  options: { mode?: Mode; suspicious?: boolean } = {},
): Rule {
  if (!Array.isArray(limits)) fail('Invalid option endpoints: must be an array of { match, limit, windowMs }')
  const mode = modeOption(options.mode, 'endpoints')
  const withDefault = (l: EndpointLimit): EndpointLimit =>
    options.suspicious === false && l.suspicious === undefined ? { ...l, suspicious: false } : l
  // Case-insensitive always: on a case-sensitive router (fastify) that counts `/API/x` with `/api/x`, which only ever
  // counts more requests, never lets one escape.
  const matchers = limits.map((l, i) => matcherOf(withDefault(l), i, false))
  const byId = new Map<string, CompiledLimit>()
  for (const m of matchers) {
    if (byId.has(m.limit.id))
      fail(`Invalid option endpoints: two limits share the id "${m.limit.id}"; give one an id`)
    byId.set(m.limit.id, m.limit)
  }
  const cache = new BoundedMap<number>(5_000)
  const find = (method: string, path: string): Matcher | null => {
    const key = `${method} ${path}`
    let index = key.length <= 512 ? cache.get(key) : undefined
    if (index === undefined) {
      index = matchers.findIndex((m) => (m.methods === null || m.methods.has(method)) && m.test(path))
      if (key.length <= 512) cache.set(key, index)
    }
    return index < 0 ? null : (matchers[index] ?? null)
  }
  return {
    id: 'endpoint',
    mode,
    on: 'request',
    check(request) {
      if (matchers.length === 0) return null
      const m = find(request.method, request.path)
      if (m === null) return null
      return m.limit.ask(request)
    },
    verdict(measures, ask) {
      const id = ask.count?.rule
      return (id === undefined ? undefined : byId.get(id))?.verdict(measures, ask) ?? null
    },
  }
}
