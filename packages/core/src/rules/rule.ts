import type { Count, Measure } from '../store.js'
import type { BanRecord, Evidence, Mode, RateLimitInfo, RequestFacts } from '../types.js'

/**
 * Who a rule counts:
 * - `'ip'`: the client address (IPv6 grouped by `ipv6Prefix`), the default;
 * - `'apiKey'`: the request's API key (only a keyed hash is stored);
 * - `'user'`: the user the app authenticated (the adapters' `user(req)` option, `facts.user`);
 * - a function of the request facts returning a key (a tenant, a session …), stored as `by:<key>`.
 * A request without the thing asked for (no API key, no user, the function returned nothing) is counted by its IP.
 * A ban a rule writes lands on what it counted: a user ban refuses that user from any address, and nobody else.
 */
export type By = 'ip' | 'apiKey' | 'user' | ((facts: RequestFacts) => string | null | undefined)

/** What a rule sees of one request. Everything is read-only and computed once per request. */
export interface RuleRequest {
  readonly facts: RequestFacts
  /** `request` for an inspected request; otherwise the event the app reported (`auth-failure`, your own). */
  readonly event: string
  /** The client's store key (`ip:203.0.113.7`, `ip:2001:db8:1:2::/64`): its address as resolved through `trustProxy`. */
  readonly client: string
  /** Upper case; `HEAD` is counted as `GET`, as every router runs the GET handler for it. */
  readonly method: string
  /** The path as the router matches it (see `canonicalPath`): decoded, dot segments resolved, case folded where the router folds it. */
  readonly path: string
  /** The path exactly as the client sent it, without the query (for probe detection, which must see `..`). */
  readonly rawPath: string
  /** The `user-agent` header (first 1024 characters), if any. */
  readonly userAgent: string | undefined
  /** Suspicious signals added by the rules before this one, in rule order. */
  readonly signals: readonly Signal[]
  /** True once a rule before this one counts a rate limit whose refusal is suspicious (see `WindowCount`). */
  readonly suspiciousLimit: boolean
}

/** A suspicious event a request raised: a probe path, an oversized body, a refused rate limit. */
export interface Signal {
  kind: string
  detail: string
}

/**
 * What a rule asks of one request. Every field is optional: a rule that only looks (scanner, probes) asks no count;
 * a rule that refuses on its own (body size) gives a `verdict` at once.
 */
export interface RuleAsk {
  /** Count this in the store, once for each subject `by` names (default `'ip'`). */
  count?: Count
  by?: By | readonly By[]
  /**
   * More counts, each on the subjects its own `by` names (after `count`): a rule that counts one thing per client and
   * another per key (auth failures). Their measures follow `count`'s in the verdict's `measures`.
   */
  counts?: readonly { count: Count; by?: By | readonly By[] }[]
  /** A suspicious event this request raises; the suspicion rule counts it. */
  signal?: Signal
  /** The verdict, decided without the store (body size). */
  verdict?: Verdict
}

/** A rule's conclusion about one request, besides a ban (which the store writes when a count trips). */
export type Verdict =
  | {
      conclusion: 'block'
      status: 400 | 403 | 413
      reason: string
      evidence?: Evidence
    }
  | {
      conclusion: 'limit'
      reason: string
      evidence?: Evidence
      rateLimit: RateLimitInfo
      /** This refusal is a suspicious event (the store counted it: `suspicious` on the count); shown in `suspicious` events. */
      signal?: Signal
    }
  | {
      /** An allow that says something: a probe seen, or the rate-limit state for the headers. */
      conclusion: 'allow'
      reason?: string
      evidence?: Evidence
      rateLimit?: RateLimitInfo
      /** As for `limit`: an over-limit `suspicious` count the store already counted (404 enumeration). */
      signal?: Signal
    }

/**
 * A rule: one value that owns its options and defaults, what it asks of the store, its verdict and its wording. The
 * engine resolves who the request is from, checks the whitelist and the ban cache, asks each rule for its part of the
 * one store call (`check`), makes the call, and asks each rule for its verdict. The built-in rules (`burst()`,
 * `authFailures()`, `scraping()`, `limit()`, `scanner()`, `probes()`, `bodySize()`, `suspicion()`) are such values;
 * yours use the same contract. See the core README for a complete example.
 */
export interface Rule {
  /** Unique among the engine's rules; written into the bans it causes and shown in decisions. `[a-z0-9-]`, ≤ 64. */
  readonly id: string
  /** `monitor` reports this rule's decisions and bans without enforcing them. The engine's `mode: 'monitor'` wins. */
  readonly mode: Mode
  /**
   * When the rule runs: `'request'` (every inspected request) or the name of an event the app reports — or several
   * events (`request.event` says which).
   */
  readonly on: string | readonly string[]
  /**
   * Look at the request — synchronously, no I/O, never throwing for bad input — and say what to count. `null` when
   * the rule does not apply. Return the same `Count` object for every request where you can: it costs nothing.
   */
  check(request: RuleRequest): RuleAsk | null
  /**
   * What the store measured means for this request: one measure per subject counted, in the order of `by`. Not
   * called when a ban answered the request. A trip needs no verdict: the store wrote the ban.
   */
  verdict?(measures: readonly (Measure | undefined)[], ask: RuleAsk, request: RuleRequest): Verdict | null
  /** The human reason of a ban this rule wrote, e.g. `Burst: 51 req/s (limit 50)`. */
  describe?(ban: BanRecord): string
}

/** A rule's id as a counter key suffix: `r:<id>`. */
export function counterKey(id: string): string {
  return `r:${id}`
}

const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/

/** True for an id a rule may take. */
export function isRuleId(id: unknown): id is string {
  return typeof id === 'string' && RULE_ID.test(id)
}
