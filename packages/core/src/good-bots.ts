import { promises as dnsPromises } from 'node:dns'
import { BoundedMap } from './bounded-map.js'
import { fetchText } from './deny-list.js'
import { BulwarkError } from './errors.js'
import { formatWindow } from './format-window.js'
import { formatIp, type ParsedIp, parseIp } from './ip.js'
import { IpSet, parsePrefix } from './ip-set.js'
import type { Rule, RuleAsk, RuleRequest, Verdict } from './rules/rule.js'
import { GOOD_BOT_SIGNATURES, type GoodBotSignature } from './signatures/good-bots.js'
import type { Measure, WindowCount, WindowMeasure } from './store.js'
import type { Mode, RateLimitInfo, RequestFacts } from './types.js'

/** The DNS calls verification makes: a `dns.promises.Resolver` (yours, e.g. pointed at a local resolver). */
export type BotResolver = Pick<dnsPromises.Resolver, 'reverse' | 'resolve4' | 'resolve6'>

export interface GoodBotsOptions {
  /** The crawlers recognised. Default `GOOD_BOT_SIGNATURES` (Googlebot, Bingbot, Applebot, DuckDuckBot, Yandex, Baidu). */
  bots?: readonly GoodBotSignature[]
  /**
   * Published address ranges per bot id (`{ googlebot: ['66.249.64.0/19', …] }`), from the operator's file (see
   * `GoodBotSignature.rangesUrl`): an address inside is verified at once, without DNS. The only way to verify a bot
   * whose operator publishes no reverse-DNS names (DuckDuckBot).
   */
  ranges?: Readonly<Record<string, readonly string[]>>
  /**
   * Rules a verified bot skips. Default `['burst', 'scraping', 'probe', 'enumeration']`: a crawler reads many pages,
   * fast, and meets many 404s; it is held to its own `limit` instead.
   */
  exempt?: readonly string[]
  /** A verified bot's own rate limit, per address: more is answered 429 (never a ban). Default 100 per 10 s; `false` for none. */
  limit?: false | { limit: number; windowMs: number }
  /**
   * Where DNS questions go. Default a `dns.promises.Resolver` on the system's servers. `false`: no DNS at all, only
   * the published `ranges` verify (a claim from outside a bot's ranges is fake; a bot without ranges given is an
   * ordinary client) — for a host without DNS, or to keep verification off the network entirely.
   */
  resolver?: BotResolver | false
  /** Deadline of one verification (reverse lookup, then forward), in ms. Default 2000. */
  timeoutMs?: number
  /** Memory for remembered verdicts, in bytes (about 200 per address). Default 4 MiB (~20,000 addresses). */
  cacheBytes?: number
  /** How long a verdict is remembered: verified 24 h, failed (not the bot's) 1 h, unanswered (DNS error, deadline) 5 min. */
  ttlMs?: { verified?: number; failed?: number; unanswered?: number }
  /** `monitor`: a fake bot is reported, not counted as suspicious; the bot's own limit is reported, not applied. */
  mode?: Mode
}

/** What a request's claim to be a crawler came to. */
export interface BotClaim {
  /** The bot it claims to be (`GoodBotSignature.id`). */
  bot: string
  /**
   * `verified`: reverse then forward DNS (or a published range) confirm it; `fake`: they do not; `pending`: the first
   * request from this address while its verification runs (decided as an ordinary client); `unknown`: DNS did not
   * answer in time (an ordinary client, asked again later).
   */
  status: 'verified' | 'fake' | 'pending' | 'unknown'
  /** How: `rdns <name>`, `range <cidr>`, or why not. */
  detail: string
}

const DEFAULT_EXEMPT = ['burst', 'scraping', 'probe', 'enumeration'] as const
const DEFAULTS = {
  limit: { limit: 100, windowMs: 10_000 },
  timeoutMs: 2000,
  cacheBytes: 4 << 20,
  ttl: { verified: 86_400_000, failed: 3_600_000, unanswered: 300_000 },
  /** Verifications running at once at most; beyond, a claim waits for a later request. */
  maxInflight: 256,
  /** Bytes per remembered address: key, verdict object, map entry. */
  entryBytes: 200,
} as const

interface Remembered {
  claim: BotClaim
  until: number
}

/**
 * The `good-bots` rule: recognises requests whose User-Agent claims a known crawler, verifies the claim off the
 * request path (reverse DNS, then forward DNS, cached), and gives a verified bot its own policy; a fake one raises a
 * `fake-bot` suspicious event. Built by the engine's `goodBots` option, which also exempts verified bots from the
 * rules in `exempt`.
 */
export class GoodBotsRule implements Rule {
  readonly id = 'good-bots'
  readonly on = 'request'
  readonly mode: Mode
  readonly exempt: ReadonlySet<string>
  private readonly bots: readonly GoodBotSignature[]
  private readonly anyBot: RegExp
  private readonly ranges = new IpSet<string>()
  /** Bots given published ranges: a claim from outside them, with no DNS names to try, is fake. */
  private readonly ranged = new Set<string>()
  private readonly resolver: BotResolver | null
  private readonly timeoutMs: number
  private readonly ttl: { verified: number; failed: number; unanswered: number }
  private readonly cache: BoundedMap<Remembered>
  private readonly inflight = new Map<string, Promise<void>>()
  private readonly claims = new WeakMap<object, BotClaim>()
  private readonly count: WindowCount | null
  private readonly windowMs: number

  constructor(
    options: GoodBotsOptions,
    private readonly clock: () => number,
  ) {
    const fail = (m: string): never => {
      throw new BulwarkError('ERR_BULWARK_OPTIONS', `Invalid option goodBots: ${m}`)
    }
    this.bots = options.bots ?? GOOD_BOT_SIGNATURES
    if (
      !Array.isArray(this.bots) ||
      this.bots.some((b) => !(b?.agent instanceof RegExp) || typeof b.id !== 'string')
    ) {
      fail('bots must be a list of { id, agent: RegExp, domains }')
    }
    this.anyBot = new RegExp(this.bots.map((b) => `(?:${b.agent.source})`).join('|'), 'i')
    for (const [bot, list] of Object.entries(options.ranges ?? {})) {
      if (!this.bots.some((b) => b.id === bot)) fail(`ranges.${bot}: no bot has that id`)
      if (!Array.isArray(list)) fail(`ranges.${bot} must be a list of CIDRs`)
      for (const cidr of list) {
        const prefix = typeof cidr === 'string' ? parsePrefix(cidr.trim()) : null
        if (prefix === null) fail(`ranges.${bot}: "${String(cidr)}" is not an address or CIDR`)
        else {
          this.ranges.set(prefix, bot)
          this.ranged.add(bot)
        }
      }
    }
    this.exempt = new Set(options.exempt ?? DEFAULT_EXEMPT)
    this.mode = options.mode ?? 'enforce'
    const positive = (v: unknown, d: number, what: string): number => {
      if (v === undefined) return d
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
        fail(`${what} must be a positive integer`)
      return v as number
    }
    this.timeoutMs = positive(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs')
    const bytes = positive(options.cacheBytes, DEFAULTS.cacheBytes, 'cacheBytes')
    // BoundedMap keeps up to two generations of `max` entries.
    this.cache = new BoundedMap(Math.max(16, Math.floor(bytes / DEFAULTS.entryBytes / 2)))
    this.ttl = {
      verified: positive(options.ttlMs?.verified, DEFAULTS.ttl.verified, 'ttlMs.verified'),
      failed: positive(options.ttlMs?.failed, DEFAULTS.ttl.failed, 'ttlMs.failed'),
      unanswered: positive(options.ttlMs?.unanswered, DEFAULTS.ttl.unanswered, 'ttlMs.unanswered'),
    }
    if (options.resolver === false) this.resolver = null
    else {
      const r = options.resolver
      if (r !== undefined && (r === null || typeof r !== 'object' || typeof r.reverse !== 'function')) {
        fail('resolver must be a dns.promises.Resolver (or false for no DNS)')
      }
      this.resolver = r ?? new dnsPromises.Resolver({ timeout: this.timeoutMs, tries: 1 })
    }
    const limit = options.limit === undefined ? DEFAULTS.limit : options.limit
    if (limit === false) {
      this.count = null
      this.windowMs = 0
    } else {
      const l = positive(limit?.limit, DEFAULTS.limit.limit, 'limit.limit')
      this.windowMs = positive(limit?.windowMs, DEFAULTS.limit.windowMs, 'limit.windowMs')
      this.count = { kind: 'window', rule: this.id, key: `r:${this.id}`, limit: l, windowMs: this.windowMs }
    }
  }

  /**
   * Called by the engine once per request (and reported event) with the resolved client address: remembers what the
   * request's claim came to, for this rule and the exempt ones. Starts a verification when none is known.
   */
  see(facts: RequestFacts, ip: string, addr: ParsedIp | null | undefined): void {
    const ua = userAgentOf(facts)
    if (ua === undefined || !this.anyBot.test(ua)) return
    const bot = this.bots.find((b) => b.agent.test(ua))
    if (bot === undefined || addr === null) return
    this.claims.set(facts, this.claim(bot, ip, addr))
  }

  /** The claim a request made, once the engine has seen it. */
  claimOf(request: RuleRequest): BotClaim | undefined {
    return this.claims.get(request.facts)
  }

  /** True when `request` comes from a verified bot (the exempt rules skip it). */
  verified(request: RuleRequest): boolean {
    return this.claims.get(request.facts)?.status === 'verified'
  }

  check(request: RuleRequest): RuleAsk | null {
    const claim = this.claims.get(request.facts)
    if (claim === undefined) return null
    if (claim.status === 'fake') {
      return { signal: { kind: 'fake-bot', detail: `claims ${claim.bot}: ${claim.detail}` } }
    }
    if (claim.status !== 'verified') return null
    return this.count === null ? { verdict: this.allowVerdict(claim) } : { count: this.count }
  }

  verdict(measures: readonly (Measure | undefined)[], ask: RuleAsk, request: RuleRequest): Verdict | null {
    const claim = this.claims.get(request.facts)
    if (claim === undefined || ask.count === undefined) return null
    const m = measures[0] as WindowMeasure | undefined
    if (m === undefined || typeof m !== 'object') return this.allowVerdict(claim)
    const count = ask.count as WindowCount
    const rateLimit: RateLimitInfo = {
      limit: count.limit,
      remaining: m.remaining,
      resetS: Math.max(1, Math.ceil(m.resetMs / 1000)),
      windowS: Math.ceil(this.windowMs / 1000),
      policy: this.id,
    }
    if (m.allowed) return { ...this.allowVerdict(claim), rateLimit }
    return {
      conclusion: 'limit',
      reason: `Verified ${claim.bot}: over its limit of ${count.limit} requests per ${formatWindow(this.windowMs)}`,
      evidence: { limit: count.limit, windowMs: this.windowMs, matched: claim.detail, bot: claim.bot },
      rateLimit,
    }
  }

  private allowVerdict(claim: BotClaim): Verdict & { conclusion: 'allow' } {
    return {
      conclusion: 'allow',
      reason: `Verified ${claim.bot} (${claim.detail})`,
      evidence: { matched: claim.detail, bot: claim.bot },
    }
  }

  /** The remembered verdict for this address and bot, or `pending` while one is worked out. */
  private claim(bot: GoodBotSignature, ip: string, addr: ParsedIp | undefined): BotClaim {
    const key = `${bot.id} ${ip}`
    const now = this.clock()
    const known = this.cache.get(key)
    if (known !== undefined && known.until > now) return known.claim
    const parsed = addr ?? parseIp(ip)
    if (parsed === null) return { bot: bot.id, status: 'unknown', detail: 'no address' }
    const inRange = this.ranges.match(parsed, (b) => b === bot.id)
    if (inRange !== null) {
      const claim: BotClaim = { bot: bot.id, status: 'verified', detail: `range ${inRange.text}` }
      this.cache.set(key, { claim, until: now + this.ttl.verified })
      return claim
    }
    const resolver = this.resolver
    if (bot.domains.length === 0 || resolver === null) {
      // Without its ranges there is no way to tell: an ordinary client, never a fake one.
      if (!this.ranged.has(bot.id)) {
        const why = bot.domains.length === 0 ? '' : ' and DNS is off'
        return { bot: bot.id, status: 'unknown', detail: `no published ranges given for ${bot.name}${why}` }
      }
      const claim: BotClaim = {
        bot: bot.id,
        status: 'fake',
        detail: `${ip} is not in ${bot.name}'s published ranges`,
      }
      this.cache.set(key, { claim, until: now + this.ttl.failed })
      return claim
    }
    if (!this.inflight.has(key) && this.inflight.size < DEFAULTS.maxInflight) {
      const run = this.verify(resolver, bot, formatIp(parsed))
        .then(
          (claim) => {
            const ttl =
              claim.status === 'verified'
                ? this.ttl.verified
                : claim.status === 'fake'
                  ? this.ttl.failed
                  : this.ttl.unanswered
            this.cache.set(key, { claim, until: this.clock() + ttl })
          },
          () => {},
        )
        .finally(() => this.inflight.delete(key))
      this.inflight.set(key, run)
    }
    return { bot: bot.id, status: 'pending', detail: 'verification running' }
  }

  /** Resolves when every verification started so far is done (for tests and graceful shutdown). */
  async settled(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight.values()])
  }

  /** Reverse DNS must name one of the bot's domains, and that name must resolve forward to the same address. */
  private async verify(resolver: BotResolver, bot: GoodBotSignature, ip: string): Promise<BotClaim> {
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs)
      timer.unref()
    })
    const work = (async (): Promise<BotClaim> => {
      let names: string[]
      try {
        names = await resolver.reverse(ip)
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === 'ENOTFOUND' || code === 'ENODATA') {
          return { bot: bot.id, status: 'fake', detail: `${ip} has no reverse DNS name` }
        }
        return { bot: bot.id, status: 'unknown', detail: `reverse DNS failed (${code ?? String(error)})` }
      }
      const name = names
        .map((n) => n.toLowerCase().replace(/\.$/, ''))
        .find((n) => bot.domains.some((d) => n === d || n.endsWith(`.${d}`)))
      if (name === undefined) {
        const shown = names.slice(0, 3).join(', ') || 'nothing'
        return {
          bot: bot.id,
          status: 'fake',
          detail: `${ip} resolves to ${shown}, not ${bot.domains.join(' or ')}`,
        }
      }
      let forward: string[]
      try {
        forward = ip.includes(':') ? await resolver.resolve6(name) : await resolver.resolve4(name)
      } catch (error) {
        const code = (error as { code?: string }).code
        if (code === 'ENOTFOUND' || code === 'ENODATA') {
          return { bot: bot.id, status: 'fake', detail: `${name} does not resolve back to ${ip}` }
        }
        return { bot: bot.id, status: 'unknown', detail: `forward DNS failed (${code ?? String(error)})` }
      }
      const same = forward.some((a) => {
        const p = parseIp(a)
        return p !== null && formatIp(p) === ip
      })
      return same
        ? { bot: bot.id, status: 'verified', detail: `rdns ${name}` }
        : { bot: bot.id, status: 'fake', detail: `${name} does not resolve back to ${ip}` }
    })()
    try {
      const r = await Promise.race([work, deadline])
      return r === 'timeout'
        ? { bot: bot.id, status: 'unknown', detail: `DNS gave no answer within ${this.timeoutMs} ms` }
        : r
    } finally {
      clearTimeout(timer)
      work.catch(() => {})
    }
  }
}

function userAgentOf(facts: RequestFacts): string | undefined {
  const v = facts.headers?.['user-agent']
  const s = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined
  return s === undefined ? undefined : s.slice(0, 1024)
}

/**
 * The engine's rules with the good-bots rule first and the exempt rules skipped for verified bots (each keeps its
 * id, options and wording: only `check` is wrapped).
 */
export function withGoodBots(rules: readonly Rule[], bots: GoodBotsRule): Rule[] {
  const out: Rule[] = [bots]
  for (const rule of rules) {
    if (!bots.exempt.has(rule.id)) {
      out.push(rule)
      continue
    }
    const check = rule.check
    out.push(
      Object.assign(Object.create(rule) as Rule, {
        check: (request: RuleRequest) => (bots.verified(request) ? null : check.call(rule, request)),
      }),
    )
  }
  return out
}

/** The good-bots rule among an engine's rules, if the `goodBots` option made one. */
export function goodBotsOf(rules: readonly Rule[]): GoodBotsRule | null {
  // Monitor mode wraps each rule in an object whose prototype is the rule: still an instance.
  return (rules.find((r) => r instanceof GoodBotsRule) as GoodBotsRule | undefined) ?? null
}

export interface BotRangesOptions {
  /** The bots whose published ranges are loaded (those with a `rangesUrl`). Default `GOOD_BOT_SIGNATURES`. */
  bots?: readonly GoodBotSignature[]
  /** One download's deadline, in ms. Default 10 s. */
  timeoutMs?: number
  /** Extra CA certificates (PEM) to trust. */
  ca?: string | Buffer | readonly (string | Buffer)[]
}

/**
 * Download the address ranges the operators publish (`GoodBotSignature.rangesUrl`: Google's, Bing's and Apple's
 * JSON, `{ prefixes: [{ ipv4Prefix }, { ipv6Prefix }] }`), for `goodBots({ ranges })`: call it at start, and again
 * when you restart (the ranges change rarely). A file that fails to load or read is left out and named in
 * `failed`; it never throws.
 */
export async function fetchBotRanges(
  options: BotRangesOptions = {},
): Promise<{ ranges: Record<string, string[]>; failed: Record<string, string> }> {
  const ranges: Record<string, string[]> = {}
  const failed: Record<string, string> = {}
  const bots = (options.bots ?? GOOD_BOT_SIGNATURES).filter((b) => b.rangesUrl !== undefined)
  await Promise.all(
    bots.map(async (bot) => {
      try {
        const text = await fetchText(new URL(bot.rangesUrl as string), {
          timeoutMs: options.timeoutMs ?? 10_000,
          maxBytes: 4 << 20,
          ca: options.ca,
          headers: {},
        })
        const list = readPrefixes(JSON.parse(text))
        if (list.length === 0) throw new Error('no prefixes in the file')
        ranges[bot.id] = list
      } catch (error) {
        failed[bot.id] = error instanceof Error ? error.message : String(error)
      }
    }),
  )
  return { ranges, failed }
}

/** `{ prefixes: [{ ipv4Prefix: '66.249.64.0/27' }, { ipv6Prefix: '2001:4860:4801:10::/64' }] }` → CIDRs. */
function readPrefixes(doc: unknown): string[] {
  const prefixes = (doc as { prefixes?: unknown } | null)?.prefixes
  if (!Array.isArray(prefixes)) throw new Error('not a { prefixes: [...] } document')
  const out: string[] = []
  for (const p of prefixes) {
    const cidr =
      (p as { ipv4Prefix?: unknown; ipv6Prefix?: unknown } | null)?.ipv4Prefix ??
      (p as { ipv6Prefix?: unknown } | null)?.ipv6Prefix
    if (typeof cidr === 'string' && parsePrefix(cidr.trim()) !== null) out.push(cidr.trim())
  }
  return out
}
