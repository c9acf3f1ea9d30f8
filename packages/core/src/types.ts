/** What an adapter knows about one request. Everything but `ip`, `method` and `path` is optional. */
export interface RequestFacts {
  /** The peer address as seen on the socket (`req.socket.remoteAddress`). Proxy headers are applied by the engine. */
  ip: string | undefined
  method: string
  /** The path without the query string, e.g. `/api/scan`. A query string, if present, is ignored. */
  path: string
  /** Request headers, lower-cased names as Node gives them. Only a few are read: user-agent, x-forwarded-for, content-length. */
  headers?: Readonly<Record<string, string | string[] | undefined>>
  /** The API key the request carries, if any. Only a keyed hash of it is ever stored or logged. */
  apiKey?: string | undefined
  /** The item this request queries (a hash, an id …), counted by the scraping rule. */
  item?: string | undefined
  /** The declared body size. Overrides the content-length header when given. */
  contentLength?: number | string | undefined
  /**
   * The user the app authenticated (an id), for rules with `by: 'user'`. Absent: such rules count the IP. Stored as
   * `user:<id>` (ids over 200 characters as a hash).
   */
  user?: string | number | undefined
  /** How the app's router matches paths, so limits match what the router matches. Adapters set it. */
  routing?: Routing | undefined
}

/** How a router matches paths (see `canonicalPath`). */
export interface Routing {
  /** `/API/x` is a different route from `/api/x`. express and koa: false; fastify: true. */
  caseSensitive: boolean
  /** `/api/x/` is routed like `/api/x`. express and koa: true; fastify: false unless `ignoreTrailingSlash`. */
  ignoreTrailingSlash: boolean
}

export type Conclusion = 'allow' | 'limit' | 'block'

/** The built-in rules of the engine. */
export type BuiltinRuleId =
  | 'burst'
  | 'auth-failures'
  | 'scraping'
  | 'endpoint'
  | 'scanner'
  | 'probe'
  | 'body-size'
  | 'suspicion'
  | 'manual'

/** The built-in rules that can create a ban (all but `endpoint`, which limits, and `body-size`, which refuses one request). */
export type BuiltinBanRule = Exclude<BuiltinRuleId, 'endpoint' | 'body-size'>

/** A rule's id: a built-in rule, or the id of your own rule or route limit. */
export type RuleId = BuiltinRuleId | (string & {})

/** The rule a ban was written by: a built-in rule, `manual`, or the id of your own rule. */
export type BanRule = BuiltinBanRule | (string & {})

export type Mode = 'enforce' | 'monitor'

/** Who the engine decided about. */
export interface Subject {
  /** The client IP after proxy resolution and IPv4-mapped folding, e.g. `198.51.100.42` or `2001:db8::1`. */
  ip: string
  /** The store key for the IP: `ip:198.51.100.42`, or `ip:2001:db8:1:2::/64` for IPv6 grouped by prefix. */
  ipKey: string
  /** The store key for the API key (`key:` + keyed hash), when the request carried one. */
  apiKey?: string
  /** The store key for the authenticated user (`user:<id>`), when the app told who it is. */
  user?: string
}

/** Numbers behind a decision. */
export interface Evidence {
  count?: number
  limit?: number
  windowMs?: number
  /** The whitelist entry, scanner pattern or probe pattern that matched. */
  matched?: string
  /** The declared body size, for `body-size`. */
  bytes?: number
  /** Suspicion events in the window after this request, when it added one. */
  suspicion?: number
  /** Which subject a ban is on (`ip:…` or `key:…`). */
  banned?: string
  /** When the ban ends (ms since epoch). */
  expiresAt?: number
  /** How many bans this subject has had in the offense memory window (1 = first). */
  offense?: number
  /**
   * Where a ban comes from: the rule that wrote it (`burst`, …), `manual` (`engine.ban()`), or the name of the deny
   * source that lists the address (a deny list's name, `crowdsec`).
   */
  source?: string
  /** The crawler a `good-bots` decision is about (`googlebot`): verified, or over its own limit. */
  bot?: string
}

/** Rate-limit information for the IETF RateLimit headers, present when an endpoint window applies. */
export interface RateLimitInfo {
  limit: number
  remaining: number
  /** Seconds until the window frees capacity. */
  resetS: number
  windowS: number
  /** A policy name for the `RateLimit-Policy` header. */
  policy: string
}

/** Where the state behind a decision came from. */
export type StoreState = 'primary' | 'fallback' | 'none'

interface DecisionBase {
  /** Human-readable, e.g. `Burst: 51 req/s (limit 50)`. Empty for a plain allow. */
  reason: string
  evidence: Evidence
  rateLimit?: RateLimitInfo
  /** False in monitor mode: the decision is reported, not applied. An allow is always enforced. */
  enforced: boolean
  /** True only for the call that created a ban. */
  newBan: boolean
  subject: Subject
  /** `primary`: decided with the configured store; `fallback`: the store was unavailable; `none`: no store call was needed. */
  store: StoreState
}

/** The request goes on. `rule` is null for a plain allow, `whitelist`, or the rule that noted something (`probe`). */
export interface AllowDecision extends DecisionBase {
  conclusion: 'allow'
  rule: RuleId | 'whitelist' | null
  status: 200
}

/** A rate limit refused the request: 429 with RateLimit headers and `Retry-After`. */
export interface LimitDecision extends DecisionBase {
  conclusion: 'limit'
  /** The limit's rule: `endpoint` for the global `endpoints` list, the limit's id for a route limit. */
  rule: RuleId
  status: 429
  retryAfterS: number
  rateLimit: RateLimitInfo
}

/**
 * The request is refused: 403 for a ban (`isBan`), 413/400 for a body, 503 when the store is down and
 * `failureMode: 'closed'` (`rule: null`).
 */
export interface BlockDecision extends DecisionBase {
  conclusion: 'block'
  rule: RuleId | null
  status: 400 | 403 | 413 | 503
  /** Seconds a client should wait, for `Retry-After`. */
  retryAfterS?: number
}

/** What the engine decided about one request: narrow it by `conclusion`, or with `isBan`, `isRateLimit`, `isAllowed`. */
export type Decision = AllowDecision | LimitDecision | BlockDecision

/** A ban as stored. */
export interface BanRecord {
  /** `ip:…` or `key:…` */
  subject: string
  rule: BanRule
  /** Free text for manual bans; rule bans derive their reason from count and limit. */
  note?: string
  count?: number
  limit?: number
  createdAt: number
  expiresAt: number
  /** 1 for a first ban, 2 for the second within the offense memory, … */
  offense: number
  /** False for a ban written by a rule in monitor mode: observed, not applied. */
  enforced: boolean
  /**
   * A suspected proxy's short limit (`BanPolicy.tripWindow`): answered with 429 for as long as it lasts, never 403,
   * whatever the request carries.
   */
  limited?: boolean
}

/** A ban as listed by `engine.listBans()` and returned by `engine.ban()`. */
export interface BanInfo {
  target: string
  subject: string
  rule: BanRule
  /**
   * Where the ban comes from: the rule that wrote it, `manual` (`engine.ban()`, ranges too), or the name of the deny
   * source that lists it (a deny list's name, `crowdsec`; `rule` is then `deny`).
   */
  source: string
  reason: string
  /** When the ban began (for a deny source's entry: when the engine received it). */
  since: number
  /** When it ends; 0 for a deny source's entry that lasts until the source drops it. */
  expiresAt: number
  /** Seconds left; -1 for a deny source's entry that lasts until the source drops it. */
  ttlS: number
  offense: number
  enforced: boolean
}

/** @deprecated Use `BanInfo`. */
export type BlockInfo = BanInfo
