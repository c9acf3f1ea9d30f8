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
}

export type Conclusion = 'allow' | 'limit' | 'block'

/** The rules of the engine. */
export type RuleId =
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
export type BuiltinBanRule = Exclude<RuleId, 'endpoint' | 'body-size'>

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

export interface Decision {
  conclusion: Conclusion
  /** The rule that fired, or null for a plain allow. `whitelist` marks an allow by the whitelist. */
  rule: RuleId | 'whitelist' | null
  /** Human-readable, e.g. `Burst: 51 req/s (limit 50)`. Empty for a plain allow. */
  reason: string
  evidence: Evidence
  /**
   * HTTP status an adapter should answer with when enforced: 200 allow, 403 ban, 429 endpoint limit, 413 body too
   * large, 400 malformed Content-Length, 503 store unavailable with `failureMode: 'closed'`.
   */
  status: 200 | 400 | 403 | 413 | 429 | 503
  /** Seconds a client should wait, for `Retry-After`. */
  retryAfterS?: number
  rateLimit?: RateLimitInfo
  /** False in monitor mode: the decision is reported, not applied. An allow is always enforced. */
  enforced: boolean
  /** True only for the call that created a ban. */
  newBan: boolean
  subject: Subject
  /** `primary`: decided with the configured store; `fallback`: the store was unavailable; `none`: no store call was needed. */
  store: StoreState
}

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
}

/** A ban as listed by `engine.listBlocks()`. */
export interface BlockInfo {
  target: string
  subject: string
  rule: BanRule
  reason: string
  since: number
  expiresAt: number
  ttlS: number
  offense: number
  enforced: boolean
}
