import { EventEmitter } from 'node:events'
import { hashApiKey, randomKeySecret } from './api-key.js'
import { BoundedMap } from './bounded-map.js'
import { type ClientIdentity, ClientIpResolver } from './client-ip.js'
import { allow, banned, whitelisted } from './decisions.js'
import { BulwarkError } from './errors.js'
import type {
  BulwarkEventName,
  BulwarkEvents,
  BulwarkListener,
  DecisionEvent,
  SuspiciousEvent,
} from './events.js'
import { fingerprint } from './fingerprint.js'
import { parseIp, parseRange } from './ip.js'
import { MemoryStore } from './memory-store.js'
import { type BulwarkOptions, type ResolvedOptions, resolveOptions } from './options.js'
import { describeBan, formatWindow, type RuleWindows } from './reason.js'
import { parseContentLength } from './rules/body-size.js'
import { type CompiledEndpoint, compileEndpoints, EndpointMatcher } from './rules/endpoint-limits.js'
import { ProbeMatcher } from './rules/probe-paths.js'
import { ScannerMatcher } from './rules/scanner.js'
import type { BanPolicy, HitOp, HitResult, Store, StoreMessage, SubjectOp, WindowLimit } from './store.js'
import { type GuardedHit, StoreGuard } from './store-guard.js'
import type { BanRecord, BlockInfo, Decision, Evidence, RequestFacts, StoreState, Subject } from './types.js'
import { parseEntry, Whitelist } from './whitelist.js'

/** What `reportAuthFailure` needs: the same identity fields as a request. */
export interface AuthFailureFacts {
  ip: string | undefined
  headers?: RequestFacts['headers']
  apiKey?: string | undefined
}

/** A ban target: an IP address, a `key:` hash as listed, or `{ apiKey }` for a raw key. */
export type BlockTarget = string | { apiKey: string }

export interface Bulwark {
  /** Decide about one request. Never rejects for bad input; store trouble is handled by the failure mode. */
  inspect(facts: RequestFacts): Promise<Decision>
  /**
   * `inspect`, but the decision comes back as a plain value when no store I/O was needed or the store is synchronous
   * (the memory store), so a caller on the hot path can skip a promise. May throw where `inspect` would reject.
   */
  decide(facts: RequestFacts): Decision | Promise<Decision>
  /** Count a failed authentication for the request's IP (and API key). Resolves to the resulting decision. */
  reportAuthFailure(facts: AuthFailureFacts): Promise<Decision>
  block(target: BlockTarget, options?: { ttlMs?: number; reason?: string }): Promise<BlockInfo>
  unblock(target: BlockTarget): Promise<boolean>
  listBlocks(): Promise<BlockInfo[]>
  readonly whitelist: {
    add(entry: string): Promise<void>
    remove(entry: string): Promise<boolean>
    list(): Promise<string[]>
  }
  on<E extends BulwarkEventName>(event: E, listener: BulwarkListener<E>): this
  off<E extends BulwarkEventName>(event: E, listener: BulwarkListener<E>): this
  once<E extends BulwarkEventName>(event: E, listener: BulwarkListener<E>): this
  /** The resolved options (defaults filled in). */
  readonly options: ResolvedOptions
  /** Resolves once the shared whitelist has been loaded from the store. */
  readonly ready: Promise<void>
  /** `primary` or `fallback`. */
  readonly storeState: Exclude<StoreState, 'none'>
  /** Stop listening to the store and close it. */
  close(): Promise<void>
}

export function createBulwark(options: BulwarkOptions = {}): Bulwark {
  return new BulwarkEngine(options)
}

interface CachedBan {
  record: BanRecord
  reason: string
  /** The store's clock minus this process's clock when the ban was seen, so expiry is judged on the store's clock. */
  skew: number
}

interface Pending {
  /** What is being decided: a request, or a reported auth failure. */
  source: DecisionEvent['source']
  facts: RequestFacts
  id: ClientIdentity
  subject: Subject
  scanner: string | null
  probe: string | null
  body: { bytes: number } | 'malformed' | null
  endpoint: CompiledEndpoint | null
  signals: number
}

const HEADER_CAP = 8192

function header(facts: { headers?: RequestFacts['headers'] }, name: string): string | undefined {
  const v = facts.headers?.[name]
  if (typeof v === 'string') return v.length > HEADER_CAP ? v.slice(0, HEADER_CAP) : v
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0].slice(0, HEADER_CAP) : undefined
  return undefined
}

class BulwarkEngine extends EventEmitter implements Bulwark {
  readonly options: ResolvedOptions
  readonly ready: Promise<void>
  private readonly guard: StoreGuard
  private readonly resolver: ClientIpResolver
  private readonly list = new Whitelist()
  private readonly bans: BoundedMap<CachedBan>
  private readonly scanner: ScannerMatcher | null
  private readonly probes: ProbeMatcher | null
  private readonly endpoints: EndpointMatcher | null
  private readonly keyHashes = new BoundedMap<string>(10_000)
  private readonly secret: string
  private readonly windows: RuleWindows
  private readonly policy: BanPolicy
  private readonly burstOp: WindowLimit | undefined
  private readonly suspicionOps: (WindowLimit & { add: number })[]
  private readonly endpointOps = new Map<CompiledEndpoint, NonNullable<SubjectOp['endpoint']>>()
  private unsubscribe: (() => void) | undefined
  private closed = false

  constructor(opts: BulwarkOptions) {
    super()
    const o = resolveOptions(opts)
    this.options = o
    const store: Store = opts.store ?? new MemoryStore()
    const shared = !(store instanceof MemoryStore)
    this.guard = new StoreGuard(store, shared && o.failureMode === 'open' ? new MemoryStore() : null, {
      timeoutMs: o.storeTimeoutMs,
      failureThreshold: o.breaker.failureThreshold,
      cooldownMs: o.breaker.cooldownMs,
      clock: o.clock,
      onChange: (state, error) => this.storeChanged(state, error),
    })
    if (o.apiKeySecret === undefined && shared) {
      this.warn(
        'BULWARK_KEY_SECRET_RANDOM',
        `apiKeySecret is not set while using the shared ${store.name} store: API keys are hashed with a random per-process secret, so engines will not recognise each other's key counters and bans. Set apiKeySecret (or BULWARK_KEY_SECRET).`,
      )
    }
    this.secret = o.apiKeySecret ?? randomKeySecret()
    this.resolver = new ClientIpResolver({
      trustProxy: o.trustProxy,
      ipv6Prefix: o.ipv6Prefix,
      onUntrustedForwarded: () =>
        this.warn(
          'BULWARK_XFF_UNTRUSTED',
          'A request carried X-Forwarded-For but no proxy is trusted, so the header is ignored and the socket address is used. Behind a proxy or load balancer, set trustProxy to its hop count or CIDRs.',
        ),
    })
    for (const entry of o.whitelist) this.list.add(parseEntry(entry, (k) => this.hashKey(k)))
    this.bans = new BoundedMap(o.banCacheSize)
    this.scanner = o.scanner ? new ScannerMatcher(o.scanner.agents) : null
    this.probes = o.probes ? new ProbeMatcher({ segments: o.probes.segments, files: o.probes.files }) : null
    const compiled = o.endpoints ? compileEndpoints(o.endpoints.limits) : []
    this.endpoints = compiled.length > 0 ? new EndpointMatcher(compiled) : null
    for (const e of compiled) this.endpointOps.set(e, { id: e.id, limit: e.limit, windowMs: e.windowMs })
    this.windows = {
      burst: o.burst?.windowMs,
      'auth-failures': o.authFailures?.windowMs,
      scraping: o.scraping?.windowMs,
      suspicion: o.suspicion?.windowMs,
    }
    this.policy = { ...o.ban }
    this.burstOp = o.burst ? this.windowOp(o.burst) : undefined
    const s = o.suspicion
    this.suspicionOps = s
      ? [0, 1, 2].map((add) => ({
          limit: s.events - 1,
          windowMs: s.windowMs,
          monitor: s.mode === 'monitor',
          add,
        }))
      : []
    const subscribe = (store as Partial<Pick<Store, 'subscribe'>>).subscribe
    this.unsubscribe = subscribe?.call(store, (m: StoreMessage) => this.onStoreMessage(m))
    this.ready = this.loadWhitelist()
  }

  get storeState(): 'primary' | 'fallback' {
    return this.guard.isDegraded ? 'fallback' : 'primary'
  }

  get whitelist(): Bulwark['whitelist'] {
    return {
      add: async (entry) => {
        const parsed = parseEntry(entry, (k) => this.hashKey(k))
        await this.guard.call('whitelistAdd', (s) => s.whitelistAdd(parsed.text))
        this.list.add(parsed)
      },
      remove: async (entry) => {
        const parsed = parseEntry(entry, (k) => this.hashKey(k))
        const removed = await this.guard.call('whitelistRemove', (s) => s.whitelistRemove(parsed.text))
        return this.list.remove(parsed) || removed
      },
      list: async () => this.list.list(),
    }
  }

  // ---------------------------------------------------------------- inspect

  inspect(facts: RequestFacts): Promise<Decision> {
    try {
      const d = this.decide(facts)
      return d instanceof Promise ? d : Promise.resolve(d)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  decide(facts: RequestFacts): Decision | Promise<Decision> {
    if (this.closed) throw new BulwarkError('ERR_BULWARK_CLOSED', 'inspect() was called after close()')
    const o = this.options
    const { id, keySubject, subject } = this.identify(facts)

    if (this.list.size > 0) {
      const matched = this.list.matchIp(id.ip, id.addr) ?? this.list.matchKey(keySubject)
      if (matched !== null) {
        const d = whitelisted(subject, matched)
        return o.emitAllows ? this.report(facts, 'request', d) : d
      }
    }
    const now = o.clock()
    const cached =
      this.bans.size === 0
        ? null
        : (this.cachedBan(id.key, now) ?? (keySubject === undefined ? null : this.cachedBan(keySubject, now)))
    if (cached !== null) {
      return this.report(
        facts,
        'request',
        banned(cached.record, cached.reason, subject, now + cached.skew, 'none', o.mode === 'enforce'),
      )
    }

    const path = typeof facts.path === 'string' ? facts.path : ''
    const method = typeof facts.method === 'string' ? facts.method.toUpperCase() : 'GET'
    const scanner = this.scanner === null ? null : this.scanner.match(header(facts, 'user-agent'))
    const probe = this.probes === null ? null : this.probes.match(path)
    let body: Pending['body'] = null
    if (o.bodySize !== null) {
      const cl = parseContentLength(facts.contentLength ?? facts.headers?.['content-length'])
      if (cl === 'malformed') body = 'malformed'
      else if (cl !== undefined && cl > o.bodySize.maxBytes) body = { bytes: cl }
    }
    const endpoint = this.endpoints === null ? null : this.endpoints.find(method, path)
    const signals = (probe !== null ? 1 : 0) + (body !== null ? 1 : 0)

    const ipOp: SubjectOp = { key: id.key }
    if (this.burstOp !== undefined) ipOp.burst = this.burstOp
    if (endpoint !== null) ipOp.endpoint = this.endpointOps.get(endpoint)
    const suspicious = signals > 0 || (endpoint !== null && o.endpoints?.suspicious === true)
    if (suspicious && this.suspicionOps.length > 0) ipOp.suspicion = this.suspicionOps[signals]
    if (scanner !== null && o.scanner !== null) {
      ipOp.force = { rule: 'scanner', monitor: o.scanner.mode === 'monitor', note: scanner }
    }
    const item =
      typeof facts.item === 'string' && facts.item.length > 0 && o.scraping !== null ? facts.item : undefined
    let subjects: SubjectOp[]
    if (item !== undefined) {
      const itemOp = { ...this.windowOp(o.scraping!), value: fingerprint(item) }
      ipOp.item = itemOp
      subjects = keySubject === undefined ? [ipOp] : [ipOp, { key: keySubject, item: itemOp }]
    } else {
      subjects = keySubject === undefined ? [ipOp] : [ipOp, { key: keySubject }]
    }
    const op: HitOp = { now, subjects, ban: this.banPolicy() }
    const pending: Pending = {
      source: 'request',
      facts,
      id,
      subject,
      scanner,
      probe,
      body,
      endpoint,
      signals,
    }
    const hit = this.guard.hit(op)
    return hit instanceof Promise ? hit.then((h) => this.conclude(pending, h)) : this.conclude(pending, hit)
  }

  private conclude(p: Pending, hit: GuardedHit): Decision {
    const o = this.options
    if (hit.result === null) {
      // failureMode 'closed' and the store is unavailable.
      return this.report(p.facts, p.source, {
        conclusion: 'block',
        rule: null,
        reason: `Store unavailable (failureMode: closed): ${this.guard.primary.name}`,
        evidence: {},
        status: 503,
        retryAfterS: Math.ceil(o.breaker.cooldownMs / 1000),
        enforced: o.mode === 'enforce',
        newBan: false,
        subject: p.subject,
        store: 'fallback',
      })
    }
    const { result, source } = hit
    const counts = result.counts[0]
    if (p.signals > 0 || counts?.endpoint?.allowed === false) this.emitSuspicious(p, result)

    if (result.ban !== null) {
      const ban = result.ban
      const reason = describeBan(ban, this.windows)
      const enforced = ban.enforced && o.mode === 'enforce'
      if (ban.enforced) {
        this.bans.set(ban.subject, { record: stripCreated(ban), reason, skew: result.now - o.clock() })
      }
      if (ban.created) this.announce(ban, reason, p)
      return this.report(p.facts, p.source, banned(ban, reason, p.subject, result.now, source, enforced))
    }

    let rateLimit: Decision['rateLimit']
    const e = counts?.endpoint
    if (e !== undefined && p.endpoint !== null) {
      rateLimit = {
        limit: p.endpoint.limit,
        remaining: e.remaining,
        resetS: Math.max(1, Math.ceil(e.resetMs / 1000)),
        windowS: Math.ceil(p.endpoint.windowMs / 1000),
        policy: p.endpoint.id,
      }
    }
    if (p.body !== null && o.bodySize !== null) {
      const bytes = p.body === 'malformed' ? null : p.body.bytes
      const malformed = bytes === null
      const evidence: Evidence = bytes === null ? {} : { bytes, limit: o.bodySize.maxBytes }
      if (counts?.suspicion !== undefined) evidence.suspicion = counts.suspicion
      const d: Decision = {
        conclusion: 'block',
        rule: 'body-size',
        reason: malformed
          ? 'Malformed Content-Length'
          : `Body too large: ${bytes} bytes (limit ${o.bodySize.maxBytes})`,
        evidence,
        status: malformed ? 400 : 413,
        enforced: o.bodySize.mode === 'enforce',
        newBan: false,
        subject: p.subject,
        store: source,
      }
      if (rateLimit) d.rateLimit = rateLimit
      return this.report(p.facts, p.source, d)
    }
    if (
      e !== undefined &&
      !e.allowed &&
      p.endpoint !== null &&
      rateLimit !== undefined &&
      o.endpoints !== null
    ) {
      return this.report(p.facts, p.source, {
        conclusion: 'limit',
        rule: 'endpoint',
        reason: `Rate limit: ${p.endpoint.limit} requests per ${formatWindow(p.endpoint.windowMs)} on ${p.endpoint.id}`,
        evidence: { limit: p.endpoint.limit, windowMs: p.endpoint.windowMs, ...suspicionOf(counts) },
        status: 429,
        retryAfterS: rateLimit.resetS,
        rateLimit,
        enforced: o.endpoints.mode === 'enforce',
        newBan: false,
        subject: p.subject,
        store: source,
      })
    }
    if (p.probe !== null && o.probes !== null) {
      const d = allow(p.subject, source, rateLimit)
      d.rule = 'probe'
      d.reason = `Probe path: ${p.probe} (suspicious event ${counts?.suspicion ?? 1} of ${o.suspicion?.events ?? '-'})`
      d.evidence = { matched: p.probe, ...suspicionOf(counts) }
      return this.report(p.facts, p.source, d)
    }
    const d = allow(p.subject, source, rateLimit)
    if (o.emitAllows) this.report(p.facts, p.source, d)
    return d
  }

  // ---------------------------------------------------------------- auth failures

  async reportAuthFailure(facts: AuthFailureFacts): Promise<Decision> {
    const o = this.options
    const { id, keySubject, subject } = this.identify(facts)
    const matched = this.list.matchIp(id.ip, id.addr) ?? this.list.matchKey(keySubject)
    if (matched !== null) return whitelisted(subject, matched)
    if (o.authFailures === null) return allow(subject, 'none')
    const auth = this.windowOp(o.authFailures)
    const subjects: SubjectOp[] = [{ key: id.key, authFailure: auth }]
    if (keySubject !== undefined) subjects.push({ key: keySubject, authFailure: auth })
    const hit = await this.guard.hit({ now: o.clock(), subjects, ban: this.banPolicy() })
    const facts2: RequestFacts = { ip: facts.ip, method: '', path: '', headers: facts.headers }
    return this.conclude(
      {
        source: 'auth-failure',
        facts: facts2,
        id,
        subject,
        scanner: null,
        probe: null,
        body: null,
        endpoint: null,
        signals: 0,
      },
      hit,
    )
  }

  // ---------------------------------------------------------------- management

  async block(target: BlockTarget, options: { ttlMs?: number; reason?: string } = {}): Promise<BlockInfo> {
    const subject = this.subjectOf(target)
    const ttlMs = options.ttlMs ?? this.options.ban.ttlMs
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `block(): ttlMs must be a positive integer, got ${String(ttlMs)}`,
      )
    }
    const now = this.options.clock()
    const input: Omit<BanRecord, 'offense'> = {
      subject,
      rule: 'manual',
      createdAt: now,
      expiresAt: now + ttlMs,
      enforced: true,
    }
    if (options.reason !== undefined) input.note = String(options.reason).slice(0, 500)
    const record = await this.guard.call('setBan', (s) => s.setBan(input))
    const reason = describeBan(record, this.windows)
    this.bans.set(subject, { record, reason, skew: record.createdAt - now })
    this.announce({ ...record, created: true }, reason, null)
    return this.info(record, now)
  }

  async unblock(target: BlockTarget): Promise<boolean> {
    const subject = this.subjectOf(target)
    this.bans.delete(subject)
    const existed = await this.guard.call('deleteBan', (s) => s.deleteBan(subject))
    this.bans.delete(subject)
    if (existed)
      this.emitSafe('unblock', {
        type: 'unblock',
        at: this.options.clock(),
        subject,
        target: targetOf(subject),
      })
    return existed
  }

  async listBlocks(): Promise<BlockInfo[]> {
    const now = this.options.clock()
    const list = await this.guard.call('listBans', (s) => s.listBans(now))
    return list.map((b) => this.info(b, now))
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.unsubscribe?.()
    await this.ready.catch(() => {})
    await this.guard.primary.close()
  }

  // ---------------------------------------------------------------- helpers

  /** Who a request is from: the resolved client address and the hashed API key. Never throws on bad input. */
  private identify(facts: AuthFailureFacts): {
    id: ClientIdentity
    keySubject: string | undefined
    subject: Subject
  } {
    const id = this.resolver.resolve(facts?.ip, facts?.headers?.['x-forwarded-for'])
    const apiKey = facts?.apiKey
    const keySubject = typeof apiKey === 'string' && apiKey.length > 0 ? this.hashKey(apiKey) : undefined
    const subject: Subject =
      keySubject === undefined
        ? { ip: id.ip, ipKey: id.key }
        : { ip: id.ip, ipKey: id.key, apiKey: keySubject }
    return { id, keySubject, subject }
  }

  private windowOp(rule: { limit: number; windowMs: number; mode: string }): WindowLimit {
    return { limit: rule.limit, windowMs: rule.windowMs, monitor: rule.mode === 'monitor' }
  }

  private banPolicy(): BanPolicy {
    if (this.options.ban.jitter === 0) return this.policy
    return { ...this.policy, jitter: (Math.random() * 2 - 1) * this.options.ban.jitter }
  }

  private hashKey(apiKey: string): string {
    const key = apiKey.length > 1024 ? apiKey.slice(0, 1024) : apiKey
    let h = this.keyHashes.get(key)
    if (h === undefined) {
      h = hashApiKey(key, this.secret)
      this.keyHashes.set(key, h)
    }
    return h
  }

  private subjectOf(target: BlockTarget): string {
    if (typeof target === 'object' && target !== null && typeof target.apiKey === 'string') {
      return this.hashKey(target.apiKey)
    }
    if (typeof target !== 'string' || target.length === 0) {
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        'A block target must be an IP address, a key: hash or { apiKey }',
      )
    }
    if (target.startsWith('key:')) return target
    if (target.startsWith('ip:')) return target
    const slash = target.indexOf('/')
    if (slash >= 0) {
      // A grouped IPv6 target as listBlocks() shows it: `2001:db8:1:2::/64`.
      const range = parseRange(target)
      if (range !== null && range.addr.kind() === 'ipv6' && range.bits === this.options.ipv6Prefix) {
        return `ip:${range.text}`
      }
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        `"${target.slice(0, 100)}" is a range; a ban covers one IP (IPv6 grouped by /${this.options.ipv6Prefix}) or one API key`,
      )
    }
    const addr = parseIp(target)
    if (addr === null) {
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        `"${target.slice(0, 100)}" is not an IP address; pass { apiKey } to block an API key, or a key: hash from listBlocks()`,
      )
    }
    return this.resolver.resolve(target, undefined).key
  }

  private cachedBan(subject: string, now: number): CachedBan | null {
    const c = this.bans.get(subject)
    if (c === undefined) return null
    if (c.record.expiresAt <= now + c.skew) {
      this.bans.delete(subject)
      return null
    }
    return c
  }

  private info(b: BanRecord, now: number): BlockInfo {
    return {
      target: targetOf(b.subject),
      subject: b.subject,
      rule: b.rule,
      reason: describeBan(b, this.windows),
      since: b.createdAt,
      expiresAt: b.expiresAt,
      ttlS: Math.max(0, Math.ceil((b.expiresAt - now) / 1000)),
      offense: b.offense,
      enforced: b.enforced,
    }
  }

  private announce(ban: BanRecord & { created: boolean }, reason: string, p: Pending | null): void {
    const ttlS = Math.round((ban.expiresAt - ban.createdAt) / 1000)
    const ip = p?.subject.ip
    const ua = p === null ? undefined : header(p.facts, 'user-agent')
    const event: BulwarkEvents['block'][0] = {
      type: 'block',
      at: ban.createdAt,
      subject: ban.subject,
      target: targetOf(ban.subject),
      rule: ban.rule,
      reason,
      ttlS,
      expiresAt: ban.expiresAt,
      offense: ban.offense,
      enforced: ban.enforced,
    }
    if (ip !== undefined) event.ip = ip
    if (p !== null) {
      event.method = p.facts.method
      event.path = p.facts.path
    }
    if (ua !== undefined) event.userAgent = ua.slice(0, 512)
    const who = ip ?? targetOf(ban.subject)
    const prefix = ban.enforced ? 'Security Block activated' : 'Security Block observed (monitor mode)'
    if (this.options.logBans)
      this.options.logger?.warn(`${prefix} | IP: ${who} | Reason: ${reason} | Duration: ${ttlS}s`)
    this.emitSafe('block', event)
  }

  private emitSuspicious(p: Pending, result: HitResult): void {
    if (this.listenerCount('suspicious') === 0) return
    const o = this.options
    const count = result.counts[0]?.suspicion ?? 0
    const base = {
      type: 'suspicious' as const,
      at: result.now,
      subject: p.subject.ipKey,
      ip: p.subject.ip,
      count,
      threshold: o.suspicion?.events ?? 0,
      method: p.facts.method,
      path: p.facts.path,
    }
    const events: SuspiciousEvent[] = []
    if (p.probe !== null) events.push({ ...base, kind: 'probe', detail: p.probe })
    if (p.body !== null)
      events.push({
        ...base,
        kind: 'body-size',
        detail: p.body === 'malformed' ? 'malformed' : `${p.body.bytes} bytes`,
      })
    if (result.counts[0]?.endpoint?.allowed === false)
      events.push({ ...base, kind: 'endpoint', detail: p.endpoint?.id ?? '' })
    for (const e of events) this.emitSafe('suspicious', e)
  }

  private report(facts: RequestFacts, source: DecisionEvent['source'], decision: Decision): Decision {
    if (this.listenerCount('decision') > 0) {
      const event: BulwarkEvents['decision'][0] = {
        type: 'decision',
        source,
        at: this.options.clock(),
        decision,
        method: facts.method,
        path: facts.path,
      }
      const ua = header(facts, 'user-agent')
      if (ua !== undefined) event.userAgent = ua.slice(0, 512)
      this.emitSafe('decision', event)
    }
    return decision
  }

  private storeChanged(state: 'degraded' | 'recovered', error?: unknown): void {
    const event: BulwarkEvents['store'][0] = {
      type: 'store',
      at: this.options.clock(),
      state,
      store: this.guard.primary.name,
    }
    if (error !== undefined) event.error = error instanceof Error ? error.message : String(error)
    const log = this.options.logger
    if (state === 'degraded') {
      log?.warn(
        `Bulwark store ${event.store} unavailable (${event.error ?? 'unknown error'}): deciding ${this.options.failureMode === 'open' ? 'from a local memory store' : 'by refusing requests (failureMode closed)'} until it recovers`,
      )
    } else log?.warn(`Bulwark store ${event.store} recovered`)
    this.emitSafe('store', event)
  }

  private onStoreMessage(m: StoreMessage): void {
    try {
      if (m.type === 'unban') this.bans.delete(m.subject)
      else if (m.type === 'whitelist') {
        const entry = parseEntry(m.entry, (k) => this.hashKey(k))
        if (m.action === 'add') this.list.add(entry)
        else this.list.remove(entry)
      }
    } catch (error) {
      this.emitError(error)
    }
  }

  private async loadWhitelist(): Promise<void> {
    try {
      const entries = await this.guard.call('whitelistList', (s) => s.whitelistList())
      for (const e of entries) {
        try {
          this.list.add(parseEntry(e, (k) => this.hashKey(k)))
        } catch {
          // An entry another version wrote that this one cannot read: skip it.
        }
      }
    } catch (error) {
      this.emitError(error)
    }
  }

  private warn(code: string, message: string): void {
    this.options.logger?.warn(`[${code}] ${message}`)
  }

  private emitError(error: unknown): void {
    const e =
      error instanceof BulwarkError
        ? error
        : new BulwarkError('ERR_BULWARK_STORE', error instanceof Error ? error.message : String(error), {
            cause: error,
          })
    if (this.listenerCount('error') > 0) this.emitSafe('error', e)
    else this.options.logger?.error?.(e.message)
  }

  /** Emit without letting a listener's exception reach the request. */
  private emitSafe<E extends BulwarkEventName>(event: E, ...args: BulwarkEvents[E]): void {
    try {
      this.emit(event, ...args)
    } catch (error) {
      if (event === 'error') return
      const e = new BulwarkError('ERR_BULWARK_LISTENER', `A ${event} listener threw: ${String(error)}`, {
        cause: error,
      })
      if (this.listenerCount('error') > 0) {
        try {
          this.emit('error', e)
        } catch {
          // An error listener that throws is ignored.
        }
      } else this.options.logger?.error?.(e.message)
    }
  }
}

function stripCreated(ban: BanRecord & { created?: boolean }): BanRecord {
  const { created: _created, ...record } = ban
  return record
}

function suspicionOf(counts: HitResult['counts'][number] | undefined): Evidence {
  return counts?.suspicion === undefined ? {} : { suspicion: counts.suspicion }
}

function targetOf(subject: string): string {
  return subject.startsWith('ip:') ? subject.slice(3) : subject
}
