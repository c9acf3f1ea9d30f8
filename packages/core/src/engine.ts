import { EventEmitter } from 'node:events'
import { randomKeySecret } from './api-key.js'
import { BanCache } from './ban-cache.js'
import { ClientIpResolver } from './client-ip.js'
import { allow, banned, whitelisted } from './decisions.js'
import type { DenySource } from './deny-source.js'
import {
  checkSources,
  DenyTable,
  denyBanInfo,
  denyDecision,
  holdOfBan,
  hostTarget,
  MANUAL_SOURCE,
  rangeTarget,
} from './deny-table.js'
import { type Diagnostic, type DiagnosticCode, Diagnostics } from './diagnostics.js'
import { BulwarkError } from './errors.js'
import type {
  BulwarkEventName,
  BulwarkEvents,
  BulwarkListener,
  DecisionEvent,
  EvictedEvent,
  SuspiciousEvent,
} from './events.js'
import { type GoodBotsRule, goodBotsOf } from './good-bots.js'
import { type BanTarget, Identities, type Identity, targetOf } from './identity.js'
import type { IpRange } from './ip.js'
import { writeLog } from './logger.js'
import { MemoryStore } from './memory-store.js'
import { type BulwarkOptions, type ResolvedOptions, resolveOptions } from './options.js'
import { type PlannedRule, plan } from './rule-plan.js'
import { RequestView } from './rule-request.js'
import { AUTH_FAILURE } from './rules/auth-failures.js'
import type { By, Rule, RuleAsk, Verdict } from './rules/rule.js'
import type { BanPolicy, Count, HitResult, Measure, Store, StoreMessage, SubjectOp } from './store.js'
import { type GuardedHit, StoreGuard } from './store-guard.js'
import type { HashedSubjectOp } from './subject-table.js'
import type { BanInfo, BanRecord, Decision, Evidence, RequestFacts, StoreState } from './types.js'
import { parseEntry, Whitelist } from './whitelist.js'

/** What `report()` needs: the same identity fields as a request. */
export interface ReportFacts {
  ip: string | undefined
  headers?: RequestFacts['headers']
  apiKey?: string | undefined
  user?: RequestFacts['user']
}

/** @deprecated Use `ReportFacts`. */
export type AuthFailureFacts = ReportFacts

export type { BanTarget }

/** @deprecated Use `BanTarget`. */
export type BlockTarget = BanTarget

/** Rules a route adds to (or uses instead of) the engine's own, for one decision. */
export interface RouteRules {
  rules: readonly Rule[]
  /** Decide with these rules only (a route-level middleware after the global one). Default false: add them. */
  only?: boolean
}

export interface Bulwark {
  /** Decide about one request. Never rejects for bad input; store trouble is handled by the failure mode. */
  inspect(facts: RequestFacts, route?: RouteRules): Promise<Decision>
  /**
   * `inspect`, but the decision comes back as a plain value when no store I/O was needed or the store is synchronous
   * (the memory store), so a caller on the hot path can skip a promise. May throw where `inspect` would reject.
   */
  decide(facts: RequestFacts, route?: RouteRules): Decision | Promise<Decision>
  /**
   * The app reports an event about a request (`'auth-failure'`, or your own rule's `on`): the rules that listen to
   * it count it. Resolves to the resulting decision (a ban when one tripped).
   */
  report(event: string, facts: ReportFacts | RequestFacts): Promise<Decision>
  /** `report('auth-failure', facts)`. */
  reportAuthFailure(facts: ReportFacts): Promise<Decision>
  /** True when a rule counts `event` (adapters report `not-found` for 404 answers only then). */
  listens(event: string): boolean
  /**
   * Ban a target now (a manual ban, rule `manual`, reason `Manual ban: <reason>`): its requests are refused with 403
   * until it expires (`ttlMs`, default the ban length) or `unban()`. Emits `'ban'`.
   */
  ban(target: BanTarget, options?: { ttlMs?: number; reason?: string }): Promise<BanInfo>
  /** Lift a ban (and reset the subject's counters); false when there was none. Emits `'unban'` when there was one. */
  unban(target: BanTarget): Promise<boolean>
  /** The active bans, manual and by rules (monitor-mode bans too, `enforced: false`). */
  listBans(): Promise<BanInfo[]>
  /** @deprecated Use `ban()`. */
  block(target: BanTarget, options?: { ttlMs?: number; reason?: string }): Promise<BanInfo>
  /** @deprecated Use `unban()`. */
  unblock(target: BanTarget): Promise<boolean>
  /** @deprecated Use `listBans()`. */
  listBlocks(): Promise<BanInfo[]>
  /** IPs, CIDRs and API keys never limited; `{ apiKey }` for a key that looks like an address (`dead.beef`). */
  readonly whitelist: {
    add(entry: string | { apiKey: string }): Promise<void>
    remove(entry: string | { apiKey: string }): Promise<boolean>
    list(): Promise<string[]>
  }
  /** Report a setup problem once (see `DIAGNOSTICS`); adapters use it for what only they can see. */
  diagnose(code: DiagnosticCode, detail?: string): void
  /** Report an error from around the engine (an adapter's callback) through the `error` event, or the logger. */
  reportError(error: unknown): void
  on<E extends BulwarkEventName>(event: E, listener: BulwarkListener<E>): this
  off<E extends BulwarkEventName>(event: E, listener: BulwarkListener<E>): this
  once<E extends BulwarkEventName>(event: E, listener: BulwarkListener<E>): this
  /** The resolved options (defaults filled in), including the rules in the order they run. */
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

/** A rule whose verdict is wanted, and where its counts went: pairs of (subject index, count index). */
interface Pending {
  rule: Rule
  ask: RuleAsk
  refs: number[] | null
}

/** One decision in progress. */
interface Work {
  view: RequestView
  id: Identity
  pending: Pending[] | null
  /** Where the suspicion count went, to report its value. */
  suspicion: number[] | null
  /** The client address is a suspected proxy that must not be banned (see `proxyMisconfiguration`). */
  proxy: boolean
}

const HEADER_CAP = 512

function userAgentOf(facts: { headers?: RequestFacts['headers'] }): string | undefined {
  const v = facts.headers?.['user-agent']
  const s = typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined
  return s === undefined ? undefined : s.slice(0, HEADER_CAP)
}

/** Severity of a verdict: a refusal beats a rate limit beats a note. */
function rank(v: Verdict): number {
  return v.conclusion === 'block' ? 3 : v.conclusion === 'limit' ? 2 : v.reason !== undefined ? 1 : 0
}

class BulwarkEngine extends EventEmitter implements Bulwark {
  readonly options: ResolvedOptions
  readonly ready: Promise<void>
  /** The clock, read from a field of its own (the options object has many shapes of property to look through). */
  private readonly now: () => number
  private readonly guard: StoreGuard
  private readonly ids: Identities
  private readonly list = new Whitelist()
  private readonly bans: BanCache
  private readonly diagnostics: Diagnostics
  private readonly requestRules: readonly PlannedRule[]
  private readonly eventRules = new Map<string, readonly PlannedRule[]>()
  private readonly rulesById = new Map<string, Rule>()
  private readonly routeRules = new WeakMap<RouteRules, readonly PlannedRule[]>()
  private readonly monitorAll: boolean
  private readonly monitored = new WeakMap<Count, Count>()
  private readonly policy: BanPolicy
  /** The ban policy of a suspected proxy, made at its first ban. */
  private proxyBan: BanPolicy | null = null
  private readonly suspicionEvents: number
  private unsubscribe: (() => void) | undefined
  private closed = false
  /** Addresses and ranges refused before any store work: deny sources' entries and range bans. */
  private readonly deny: DenyTable
  private readonly denySources: readonly DenySource[]
  /** The `goodBots` option's rule: told the resolved client address of each request that claims a crawler. */
  private readonly bots: GoodBotsRule | null

  constructor(opts: BulwarkOptions) {
    super()
    const o = resolveOptions(opts)
    this.options = o
    this.now = o.clock
    this.diagnostics = new Diagnostics(o.diagnostics, o.logger, (d) => this.emitSafe('diagnostic', d))
    const store: Store = opts.store ?? new MemoryStore()
    const local = store.capabilities?.local === true
    this.guard = new StoreGuard(store, !local && o.failureMode === 'open' ? new MemoryStore() : null, {
      timeoutMs: o.storeTimeoutMs,
      failureThreshold: o.breaker.failureThreshold,
      cooldownMs: o.breaker.cooldownMs,
      clock: o.clock,
      onChange: (state, error) => this.storeChanged(state, error),
    })
    if (o.apiKeySecret === undefined && !local)
      this.diagnose('BULWARK_KEY_SECRET_RANDOM', `store: ${store.name}`)
    const resolver = new ClientIpResolver({
      trustProxy: o.trustProxy,
      ipv6Prefix: o.ipv6Prefix,
      onUntrustedForwarded: (info) => {
        const detail = `${info.header} from ${info.peer}: ${info.fix}`
        if (info.suspectedProxy) this.diagnose('BULWARK_PROXY_UNTRUSTED', detail)
        else this.diagnose('BULWARK_XFF_UNTRUSTED', detail)
      },
    })
    this.ids = new Identities(resolver, o.apiKeySecret ?? randomKeySecret(), o.ipv6Prefix)
    for (const entry of o.whitelist) this.list.add(parseEntry(entry, (k) => this.ids.hashKey(k)))
    this.bans = new BanCache(o.banCacheSize)
    this.denySources = checkSources(opts.deny)
    this.bots = goodBotsOf(o.rules)
    this.deny = new DenyTable(denyCap(opts.maxDenyEntries), o.clock, (source) =>
      this.diagnose('BULWARK_DENY_FULL', `source ${source}`),
    )
    this.monitorAll = o.mode === 'monitor'
    const onRequest: Rule[] = []
    const onEvent = new Map<string, Rule[]>()
    for (const rule of o.rules) {
      this.rulesById.set(rule.id, rule)
      for (const on of typeof rule.on === 'string' ? [rule.on] : rule.on) {
        if (on === 'request') onRequest.push(rule)
        else onEvent.set(on, [...(onEvent.get(on) ?? []), rule])
      }
    }
    this.requestRules = plan(onRequest)
    for (const [on, rules] of onEvent) this.eventRules.set(on, plan(rules))
    this.policy = { ...o.ban }
    this.suspicionEvents = (this.rulesById.get('suspicion') as { events?: number } | undefined)?.events ?? 0
    const subscribe = (store as Partial<Pick<Store, 'subscribe'>>).subscribe
    this.unsubscribe = subscribe?.call(store, (m: StoreMessage) => this.onStoreMessage(m))
    this.ready = Promise.all([this.loadWhitelist(), this.loadRangeBans(), this.startSources()]).then(() => {})
  }

  get storeState(): 'primary' | 'fallback' {
    return this.guard.isDegraded ? 'fallback' : 'primary'
  }

  get whitelist(): Bulwark['whitelist'] {
    return {
      add: async (entry) => {
        const parsed = parseEntry(entry, (k) => this.ids.hashKey(k))
        await this.guard.call('whitelistAdd', (s) => s.whitelistAdd(parsed.text))
        this.list.add(parsed)
      },
      remove: async (entry) => {
        const parsed = parseEntry(entry, (k) => this.ids.hashKey(k))
        const removed = await this.guard.call('whitelistRemove', (s) => s.whitelistRemove(parsed.text))
        return this.list.remove(parsed) || removed
      },
      list: async () => this.list.list(),
    }
  }

  diagnose(code: DiagnosticCode, detail?: string): void {
    this.diagnostics.report(code, detail)
  }

  // ---------------------------------------------------------------- decide

  inspect(facts: RequestFacts, route?: RouteRules): Promise<Decision> {
    try {
      const d = this.decide(facts, route)
      return d instanceof Promise ? d : Promise.resolve(d)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  decide(facts: RequestFacts, route?: RouteRules): Decision | Promise<Decision> {
    if (this.closed) throw new BulwarkError('ERR_BULWARK_CLOSED', 'inspect() was called after close()')
    const id = this.ids.of(facts)
    if (this.list.size > 0) {
      const matched = this.whitelisted(id)
      if (matched !== null) {
        const d = whitelisted(id.subject, matched)
        return this.options.emitAllows ? this.report_(facts, 'request', d) : d
      }
    }
    if (id.client.addr === null) return this.noAddress(facts, id)
    if (this.deny.size > 0) {
      const m = this.deny.match(id.client.addr, id.client.ip)
      if (m !== null) {
        const d = denyDecision(m, id.subject, this.options.clock(), this.options.mode === 'enforce')
        return this.report_(facts, 'request', d)
      }
    }
    if (this.bots !== null) this.bots.see(facts, id.client.ip, id.client.addr)
    if (this.bans.size > 0) {
      const now = this.options.clock()
      const cached = this.bans.find(now, id.client.key, id.key, id.user)
      if (cached !== null) {
        // A suspected proxy's short ban answers 429, whatever this request carries (a health check sends no header).
        if (
          cached.record.limited === true ||
          (this.failSafe(id) && cached.record.subject === id.client.key)
        ) {
          return this.proxyLimited(facts, 'request', id, cached.record, now + cached.skew, 'none')
        }
        const enforced = this.options.mode === 'enforce'
        return this.report_(
          facts,
          'request',
          banned(cached.record, cached.reason, id.subject, now + cached.skew, 'none', enforced),
        )
      }
    }
    return this.evaluate('request', facts, id, route === undefined ? this.requestRules : this.rulesFor(route))
  }

  /**
   * A request whose client address cannot be read (its connection is already gone, or an adapter passed none) is
   * refused, never counted: counted, all such requests would share one `ip:unknown` subject that one abuser could get
   * banned for everyone, and a banned client that resets its connection early would reach the handlers.
   */
  private noAddress(facts: RequestFacts, id: Identity): Decision {
    this.diagnose('BULWARK_NO_CLIENT_ADDRESS')
    return this.report_(facts, 'request', {
      conclusion: 'block',
      rule: null,
      reason: 'No client address: the connection is closed, or the adapter passed none',
      evidence: {},
      status: 400,
      enforced: this.options.mode === 'enforce',
      newBan: false,
      subject: id.subject,
      store: 'none',
    })
  }

  private rulesFor(route: RouteRules): readonly PlannedRule[] {
    let rules = this.routeRules.get(route)
    if (rules === undefined) {
      // A route's rules run before the engine's suspicion rule, so a refused route limit is a suspicious event in
      // every adapter: with the engine's rules (fastify, one call) or alone (express and koa, after the global call).
      const last = this.requestRules.filter((r) => r.id === 'suspicion')
      const first = route.only === true ? [] : this.requestRules.filter((r) => r.id !== 'suspicion')
      rules = [...first, ...plan(route.rules), ...last]
      this.routeRules.set(route, rules)
    }
    return rules
  }

  /** Ask each rule for its part of one store call, make the call, and conclude. */
  private evaluate(
    event: string,
    facts: RequestFacts,
    id: Identity,
    rules: readonly PlannedRule[],
  ): Decision | Promise<Decision> {
    const view = new RequestView(facts, event, id.client.key)
    const first: HashedSubjectOp = { key: id.client.key, counts: NO_COUNTS, hash: id.hash }
    const subjects: SubjectOp[] = [first]
    const work: Work = { view, id, pending: null, suspicion: null, proxy: this.failSafe(id) }
    for (let i = 0; i < rules.length; i++) {
      const entry = rules[i] as PlannedRule
      let ask: RuleAsk | null = entry.constant
      if (ask === null) {
        try {
          ask = entry.check(view)
        } catch (error) {
          this.ruleFailed(entry.rule, error)
          continue
        }
      }
      if (ask === null || ask === undefined) continue
      if (ask.signal !== undefined) view.addSignal(ask.signal)
      const verdict = ask.verdict !== undefined || entry.hasVerdict
      let refs: number[] | null = null
      const count = ask.count
      if (count !== undefined) {
        if (
          !verdict &&
          count.kind === 'requests' &&
          !this.monitorAll &&
          (ask.by === undefined || ask.by === 'ip')
        ) {
          // The common case (burst), as `ask` would do it without the call: counted on the client, nobody reads
          // where the count went.
          addCount(first, count)
        } else refs = this.ask(work, subjects, count, ask.by, verdict)
      }
      if (ask.counts !== undefined) {
        for (const more of ask.counts) {
          const placed = this.ask(work, subjects, more.count, more.by, true)
          if (placed !== null) refs = refs === null ? placed : [...refs, ...placed]
        }
      }
      if (verdict) {
        if (work.pending === null) work.pending = []
        work.pending.push({ rule: entry.rule, ask, refs })
      }
    }
    // A reported event about a client whose address could not be read counts on its key or user only: `ip:unknown`
    // would be one subject shared by everyone in that state.
    if (id.client.addr === null) first.counts = NO_COUNTS
    // Every identity the request carries is checked for a ban, counted or not.
    if (id.key !== undefined) this.subjectIndex(subjects, id.key)
    if (id.user !== undefined) this.subjectIndex(subjects, id.user)
    const ban = work.proxy ? this.proxyPolicy() : this.banPolicy()
    const hit = this.guard.hit({ now: this.now(), subjects, ban })
    return hit instanceof Promise ? hit.then((h) => this.conclude(work, h)) : this.conclude(work, hit)
  }

  /** Put one count of a rule's ask on its subjects; the (subject, count) index pairs when someone reads them. */
  private ask(
    work: Work,
    subjects: SubjectOp[],
    asked: Count,
    by: By | readonly By[] = 'ip',
    wanted: boolean,
  ): number[] | null {
    const count = this.monitorAll ? this.monitoredCount(asked) : asked
    if ((count.kind === 'window' || count.kind === 'distinct') && count.suspicious === true)
      work.view.suspiciousLimit = true
    const addRefused = count.kind === 'events' && count.addRefused === true
    if (by === 'ip' && !wanted && !addRefused) {
      // The common case (burst): nobody reads where the count went, so no index pair is made.
      addCount(subjects[0] as SubjectOp, count)
      return null
    }
    const refs = this.place(subjects, work.id, work.view.facts, by, count)
    if (addRefused) work.suspicion = refs
    return refs
  }

  /** Put a count on each subject `by` names; returns (subject, count) index pairs. */
  private place(
    subjects: SubjectOp[],
    id: Identity,
    facts: RequestFacts,
    by: By | readonly By[],
    count: Count,
  ): number[] {
    if (by === 'ip') {
      return [0, addCount(subjects[0] as SubjectOp, count)]
    }
    const list = Array.isArray(by) ? (by as readonly By[]) : [by as By]
    const refs: number[] = []
    for (const b of list) {
      const key = this.subjectFor(b, id, facts)
      // Events by source on the client's own address would have one source: `by` fell back to the IP (no key, no
      // user), and the rule counts the IP in its own way.
      if (count.kind === 'spread' && key === id.client.key) continue
      const i = this.subjectIndex(subjects, key)
      const op = subjects[i] as SubjectOp
      // A subject named twice (no API key: `['ip', 'apiKey']` is the IP twice) is counted once.
      if (op.counts[op.counts.length - 1] === count) continue
      refs.push(i, addCount(op, count))
    }
    return refs
  }

  private subjectFor(by: By, id: Identity, facts: RequestFacts): string {
    if (by === 'ip') return id.client.key
    if (by === 'apiKey') return id.key ?? id.client.key
    if (by === 'user') {
      if (id.user !== undefined) return id.user
      this.diagnose('BULWARK_USER_MISSING')
      return id.client.key
    }
    let value: unknown
    try {
      value = by(facts)
    } catch (error) {
      this.emitError(error)
    }
    return this.ids.byKey(value) ?? id.client.key
  }

  private subjectIndex(subjects: SubjectOp[], key: string): number {
    for (let i = 0; i < subjects.length; i++) if ((subjects[i] as SubjectOp).key === key) return i
    const op: HashedSubjectOp = { key, counts: [], hash: undefined }
    subjects.push(op)
    return subjects.length - 1
  }

  private monitoredCount(count: Count): Count {
    if (count.kind === 'window' || ('monitor' in count && count.monitor === true)) return count
    let m = this.monitored.get(count)
    if (m === undefined) {
      m = { ...count, monitor: true } as Count
      this.monitored.set(count, m)
    }
    return m
  }

  private conclude(work: Work, hit: GuardedHit): Decision {
    const o = this.options
    const { view, id } = work
    const facts = view.facts
    if (hit.result === null) {
      // failureMode 'closed' and the store is unavailable.
      return this.report_(facts, view.event, {
        conclusion: 'block',
        rule: null,
        reason: `Store unavailable (failureMode: closed): ${this.guard.primary.name}`,
        evidence: {},
        status: 503,
        retryAfterS: Math.ceil(o.breaker.cooldownMs / 1000),
        enforced: o.mode === 'enforce',
        newBan: false,
        subject: id.subject,
        store: 'fallback',
      })
    }
    const { result, source } = hit
    if (result.ban !== null) {
      if (view.signals.length > 0) this.emitSuspicious(work, result, view.signals)
      const ban = result.ban
      if (ban.limited === true || (work.proxy && ban.subject === id.client.key)) {
        return this.proxyLimited(facts, view.event, id, ban, result.now, source)
      }
      const reason = this.describe(ban)
      const enforced = ban.enforced && o.mode === 'enforce'
      if (ban.enforced) this.bans.set(stripCreated(ban), reason, result.now - o.clock())
      if (ban.created) this.announce(ban, reason, work)
      return this.report_(facts, view.event, banned(ban, reason, id.subject, result.now, source, enforced))
    }
    let chosen: Verdict | null = null
    let chosenRule: Rule | null = null
    let rateLimit: Decision['rateLimit']
    let signals = view.signals
    const pending = work.pending
    if (pending !== null) {
      for (const p of pending) {
        let verdict: Verdict | null = p.ask.verdict ?? null
        if (verdict === null && p.rule.verdict !== undefined) {
          try {
            verdict = p.rule.verdict(measuresOf(result, p.refs), p.ask, view)
          } catch (error) {
            this.ruleFailed(p.rule, error)
          }
        }
        if (verdict === null) continue
        const enforced = o.mode === 'enforce' && p.rule.mode === 'enforce'
        if (
          verdict.conclusion !== 'block' &&
          verdict.rateLimit !== undefined &&
          rateLimit === undefined &&
          enforced
        ) {
          rateLimit = verdict.rateLimit
        }
        if (verdict.conclusion !== 'block' && verdict.signal !== undefined)
          signals = [...signals, verdict.signal]
        if (chosen === null || rank(verdict) > rank(chosen)) {
          chosen = verdict
          chosenRule = p.rule
        }
      }
    }
    const suspicion = work.suspicion === null ? undefined : measureAt(result, work.suspicion, 0)
    if (signals.length > 0) this.emitSuspicious(work, result, signals, suspicion)
    if (chosen === null || chosenRule === null || rank(chosen) === 0) {
      let d: Decision
      if (rateLimit === undefined && source === 'primary' && 'allowed' in id) {
        // A shared identity (an address alone): its plain allow is made once.
        let shared = id.allowed
        if (shared === undefined) {
          shared = Object.freeze(allow(id.subject, source)) as Decision
          id.allowed = shared
        }
        d = shared
      } else d = allow(id.subject, source, rateLimit)
      if (o.emitAllows) this.report_(facts, view.event, d)
      return d
    }
    const enforced = o.mode === 'enforce' && chosenRule.mode === 'enforce'
    const evidence = { ...chosen.evidence }
    if (typeof suspicion === 'number' && signals.length > 0) evidence.suspicion = suspicion
    const base = { evidence, newBan: false, subject: id.subject, store: source }
    let d: Decision
    if (chosen.conclusion === 'block') {
      d = {
        ...base,
        conclusion: 'block',
        rule: chosenRule.id,
        reason: chosen.reason,
        status: chosen.status,
        enforced,
      }
      if (rateLimit !== undefined) d.rateLimit = rateLimit
    } else if (chosen.conclusion === 'limit') {
      d = {
        ...base,
        conclusion: 'limit',
        rule: chosenRule.id,
        reason: chosen.reason,
        status: 429,
        retryAfterS: chosen.rateLimit.resetS,
        rateLimit: chosen.rateLimit,
        enforced,
      }
    } else {
      let reason = chosen.reason ?? ''
      if (typeof suspicion === 'number' && signals.length > 0) {
        reason += ` (suspicious event ${suspicion} of ${this.suspicionEvents || '-'})`
      }
      d = { ...base, conclusion: 'allow', rule: chosenRule.id, reason, status: 200, enforced: true }
      if (rateLimit !== undefined) d.rateLimit = rateLimit
    }
    return this.report_(facts, view.event, d)
  }

  // ---------------------------------------------------------------- reported events

  async report(event: string, facts: ReportFacts | RequestFacts): Promise<Decision> {
    const id = this.ids.of(facts)
    const matched = this.whitelisted(id)
    if (matched !== null) return whitelisted(id.subject, matched)
    const rules = this.eventRules.get(event)
    if (rules === undefined) return allow(id.subject, 'none')
    // The request's own facts when the adapter reports about a request (its path for a 404, say).
    const requestFacts: RequestFacts =
      'path' in facts && typeof facts.path === 'string'
        ? facts
        : {
            ip: facts.ip,
            method: '',
            path: '',
            headers: facts.headers,
            apiKey: facts.apiKey,
            user: facts.user,
          }
    if (this.bots !== null) this.bots.see(requestFacts, id.client.ip, id.client.addr)
    return this.evaluate(event, requestFacts, id, rules)
  }

  listens(event: string): boolean {
    return this.eventRules.has(event)
  }

  reportAuthFailure(facts: ReportFacts): Promise<Decision> {
    return this.report(AUTH_FAILURE, facts)
  }

  // ---------------------------------------------------------------- management

  async ban(target: BanTarget, options: { ttlMs?: number; reason?: string } = {}): Promise<BanInfo> {
    const range = rangeTarget(target, this.options.ipv6Prefix)
    const subject = range === null ? this.ids.subjectOf(hostTarget(target)) : `ip:${range.text}`
    const ttlMs = options.ttlMs ?? this.options.ban.ttlMs
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `ban(): ttlMs must be a positive integer, got ${String(ttlMs)}`,
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
    const reason = this.describe(record)
    if (range === null) this.bans.set(record, reason, record.createdAt - now)
    else this.deny.put(MANUAL_SOURCE, range, holdOfBan(record))
    this.announce({ ...record, created: true }, reason, null)
    return this.info(record, now)
  }

  async unban(target: BanTarget): Promise<boolean> {
    const range = rangeTarget(target, this.options.ipv6Prefix)
    if (range !== null) this.deny.removeRange(MANUAL_SOURCE, range)
    const subject = range === null ? this.ids.subjectOf(hostTarget(target)) : `ip:${range.text}`
    this.bans.delete(subject)
    const existed = await this.guard.call('deleteBan', (s) => s.deleteBan(subject))
    this.bans.delete(subject)
    if (existed) {
      const event: BulwarkEvents['unban'][0] = {
        type: 'unban',
        at: this.options.clock(),
        subject,
        target: targetOf(subject),
      }
      this.emitSafe('unban', event)
      if (this.listenerCount('unblock') > 0) this.emitSafe('unblock', { ...event, type: 'unblock' })
    }
    return existed
  }

  async listBans(): Promise<BanInfo[]> {
    const now = this.options.clock()
    const list = await this.guard.call('listBans', (s) => s.listBans(now))
    const out = list.map((b) => this.info(b, now))
    // Deny sources' entries (range bans are in the store's list already).
    for (const m of this.deny.list()) if (m.hold.source !== MANUAL_SOURCE) out.push(denyBanInfo(m, now))
    return out
  }

  /** @deprecated Use `ban()`. */
  block(target: BanTarget, options?: { ttlMs?: number; reason?: string }): Promise<BanInfo> {
    return this.ban(target, options)
  }

  /** @deprecated Use `unban()`. */
  unblock(target: BanTarget): Promise<boolean> {
    return this.unban(target)
  }

  /** @deprecated Use `listBans()`. */
  listBlocks(): Promise<BanInfo[]> {
    return this.listBans()
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.unsubscribe?.()
    await this.ready.catch(() => {})
    await Promise.all(
      this.denySources.map(async (source) => {
        try {
          await source.close?.()
        } catch (error) {
          this.emitError(error)
        }
      }),
    )
    this.deny.clear()
    await this.guard.primary.close()
  }

  // ---------------------------------------------------------------- helpers

  private whitelisted(id: Identity): string | null {
    return this.list.matchIp(id.client.ip, id.client.addr) ?? this.list.matchKey(id.key)
  }

  /**
   * A suspected proxy (see `proxyMisconfiguration`) is never banned for longer than the window of the rule that
   * tripped (60 s for a rule without one, such as a scanner agent), and its bans do not escalate: the store takes the
   * window of the count that tripped (`tripWindow`).
   */
  private proxyPolicy(): BanPolicy {
    // The address's limit: the tripped rule's window, at most 60 s. A key or a user is banned as usual.
    this.proxyBan ??= { ...this.policy, jitter: 0, tripWindow: 60_000 }
    return this.proxyBan
  }

  /** A suspected proxy's short ban, answered as a rate limit (429) rather than a ban (403). */
  private proxyLimited(
    facts: RequestFacts,
    event: string,
    id: Identity,
    ban: BanRecord,
    now: number,
    store: StoreState,
  ): Decision {
    const o = this.options
    const reason = `${this.describe(ban)}, from ${id.subject.ip}: an untrusted proxy, limited, not banned (set trustProxy)`
    if (ban.enforced) this.bans.set(stripCreated(ban), reason, now - o.clock())
    const resetS = Math.max(1, Math.ceil((ban.expiresAt - now) / 1000))
    const evidence: Evidence = { banned: ban.subject, expiresAt: ban.expiresAt }
    if (ban.count !== undefined) evidence.count = ban.count
    return this.report_(facts, event, {
      conclusion: 'limit',
      rule: ban.rule,
      reason,
      evidence,
      status: 429,
      retryAfterS: resetS,
      rateLimit: { limit: ban.limit ?? 0, remaining: 0, resetS, windowS: resetS, policy: ban.rule },
      enforced: ban.enforced && o.mode === 'enforce',
      newBan: false,
      subject: id.subject,
      store,
    })
  }

  private failSafe(id: Identity): boolean {
    return id.client.viaUntrustedProxy === true && this.options.proxyMisconfiguration === 'fail-safe'
  }

  private banPolicy(): BanPolicy {
    if (this.options.ban.jitter === 0) return this.policy
    return { ...this.policy, jitter: (Math.random() * 2 - 1) * this.options.ban.jitter }
  }

  /** A ban's reason in its rule's words. */
  private describe(ban: BanRecord): string {
    if (ban.rule === 'manual') return ban.note ? `Manual ban: ${ban.note}` : 'Manual ban'
    const rule = this.rulesById.get(ban.rule)
    if (rule?.describe !== undefined) {
      try {
        return rule.describe(ban)
      } catch (error) {
        this.ruleFailed(rule, error)
      }
    }
    if (ban.note !== undefined) return `${ban.rule}: ${ban.note}`
    return ban.count === undefined ? ban.rule : `${ban.rule}: ${ban.count} (limit ${ban.limit})`
  }

  private ruleFailed(rule: Rule, error: unknown): void {
    this.diagnose(
      'BULWARK_RULE_FAILED',
      `rule ${rule.id}: ${error instanceof Error ? error.message : String(error)}`,
    )
    this.emitError(error)
  }

  private info(b: BanRecord, now: number): BanInfo {
    return {
      target: targetOf(b.subject),
      subject: b.subject,
      rule: b.rule,
      source: b.rule,
      reason: this.describe(b),
      since: b.createdAt,
      expiresAt: b.expiresAt,
      ttlS: Math.max(0, Math.ceil((b.expiresAt - now) / 1000)),
      offense: b.offense,
      enforced: b.enforced,
    }
  }

  private announce(ban: BanRecord & { created: boolean }, reason: string, work: Work | null): void {
    const ttlS = Math.round((ban.expiresAt - ban.createdAt) / 1000)
    const ip = work?.id.subject.ip
    const event: BulwarkEvents['ban'][0] = {
      type: 'ban',
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
    if (work !== null) {
      event.method = work.view.facts.method
      event.path = work.view.facts.path
      const ua = userAgentOf(work.view.facts)
      if (ua !== undefined) event.userAgent = ua
    }
    const who = ip ?? targetOf(ban.subject)
    const prefix = ban.enforced ? 'Security Block activated' : 'Security Block observed (monitor mode)'
    if (this.options.logBans) {
      const fields = { event: 'ban' as const, rule: ban.rule, subject: ban.subject, ttlS, ip: who, reason }
      writeLog(
        this.options.logger,
        'warn',
        { ...fields, offense: ban.offense, enforced: ban.enforced },
        `${prefix} | IP: ${who} | Reason: ${reason} | Duration: ${ttlS}s`,
      )
    }
    this.emitSafe('ban', event)
    if (this.listenerCount('block') > 0) this.emitSafe('block', { ...event, type: 'block' })
  }

  private emitSuspicious(
    work: Work,
    result: HitResult,
    signals: readonly { kind: string; detail: string }[],
    count?: Measure,
  ): void {
    if (this.listenerCount('suspicious') === 0) return
    const base = {
      type: 'suspicious' as const,
      at: result.now,
      subject: work.id.client.key,
      ip: work.id.subject.ip,
      count: typeof count === 'number' ? count : 0,
      threshold: this.suspicionEvents,
      method: work.view.facts.method,
      path: work.view.facts.path,
    }
    for (const s of signals)
      this.emitSafe('suspicious', { ...base, kind: s.kind, detail: s.detail } as SuspiciousEvent)
  }

  private report_(facts: RequestFacts, source: DecisionEvent['source'], decision: Decision): Decision {
    if (this.listenerCount('decision') > 0) {
      const event: BulwarkEvents['decision'][0] = {
        type: 'decision',
        source,
        at: this.options.clock(),
        decision,
        method: facts.method,
        path: facts.path,
      }
      const ua = userAgentOf(facts)
      if (ua !== undefined) event.userAgent = ua
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
    const fields = { event: 'store' as const, state, store: event.store }
    if (state === 'degraded') {
      writeLog(
        log,
        'warn',
        { ...fields, code: 'ERR_BULWARK_STORE', error: event.error, failureMode: this.options.failureMode },
        `Bulwark store ${event.store} unavailable (${event.error ?? 'unknown error'}): deciding ${this.options.failureMode === 'open' ? 'from a local memory store' : 'by refusing requests (failureMode closed)'} until it recovers`,
      )
    } else writeLog(log, 'warn', fields, `Bulwark store ${event.store} recovered`)
    this.emitSafe('store', event)
  }

  private onStoreMessage(m: StoreMessage): void {
    try {
      const range = 'subject' in m ? rangeTarget(m.subject, this.options.ipv6Prefix) : null
      if (range !== null && (m.type === 'ban' || m.type === 'unban')) {
        this.rangeBanChanged(m.type === 'ban', m.subject, range)
      } else if (m.type === 'unban') this.bans.delete(m.subject)
      else if (m.type === 'evicted') {
        this.bans.delete(m.subject)
        this.diagnose('BULWARK_BANS_FULL')
        const event: EvictedEvent = {
          type: 'evicted',
          at: this.options.clock(),
          subject: m.subject,
          target: targetOf(m.subject),
          expiresAt: m.expiresAt,
        }
        this.emitSafe('evicted', event)
      } else if (m.type === 'whitelist') {
        const entry = parseEntry(m.entry, (k) => this.ids.hashKey(k))
        if (m.action === 'add') this.list.add(entry)
        else this.list.remove(entry)
      }
    } catch (error) {
      this.emitError(error)
    }
  }

  /** A range was banned or unbanned through the store, maybe by another engine: read its record, or drop it. */
  private rangeBanChanged(banned: boolean, subject: string, range: IpRange): void {
    if (!banned) {
      this.deny.removeRange(MANUAL_SOURCE, range)
      return
    }
    const store = this.guard.primary
    if (store.getBan === undefined) return
    const now = this.options.clock()
    Promise.resolve(store.getBan(subject, now)).then(
      (record) => {
        if (record !== null && !this.closed) this.deny.put(MANUAL_SOURCE, range, holdOfBan(record))
      },
      (error) => this.emitError(error),
    )
  }

  /** Range bans live in the store like any ban; this engine answers them from its deny table. */
  private async loadRangeBans(): Promise<void> {
    try {
      const now = this.options.clock()
      const list = await this.guard.call('listBans', (s) => s.listBans(now))
      for (const record of list) {
        const range = rangeTarget(record.subject, this.options.ipv6Prefix)
        if (range !== null) this.deny.put(MANUAL_SOURCE, range, holdOfBan(record))
      }
    } catch (error) {
      this.emitError(error)
    }
  }

  /** Start every deny source; a source that fails to start is reported and keeps its own retries. */
  private async startSources(): Promise<void> {
    await Promise.all(
      this.denySources.map(async (source) => {
        try {
          await source.start(this.deny.sink(source.name, source.monitor !== true, (e) => this.emitError(e)))
        } catch (error) {
          this.emitError(error)
        }
      }),
    )
  }

  private async loadWhitelist(): Promise<void> {
    try {
      const entries = await this.guard.call('whitelistList', (s) => s.whitelistList())
      for (const e of entries) {
        try {
          this.list.add(parseEntry(e, (k) => this.ids.hashKey(k)))
        } catch {
          // An entry another version wrote that this one cannot read: skip it.
        }
      }
    } catch (error) {
      this.emitError(error)
    }
  }

  reportError(error: unknown): void {
    this.emitError(error)
  }

  private emitError(error: unknown): void {
    const e =
      error instanceof BulwarkError
        ? error
        : new BulwarkError('ERR_BULWARK_STORE', error instanceof Error ? error.message : String(error), {
            cause: error,
          })
    if (this.listenerCount('error') > 0) this.emitSafe('error', e)
    else writeLog(this.options.logger, 'error', { event: 'error', code: e.code, err: e }, e.message)
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
      } else if (this.options.logger?.error !== undefined)
        writeLog(this.options.logger, 'error', { event: 'error', code: e.code, err: e }, e.message)
    }
  }
}

/** `maxDenyEntries`, checked. */
function denyCap(max: unknown): number {
  if (max === undefined) return 1_000_000
  if (typeof max !== 'number' || !Number.isSafeInteger(max) || max < 1) {
    throw new BulwarkError(
      'ERR_BULWARK_OPTIONS',
      `maxDenyEntries must be a positive integer, got ${String(max)}`,
    )
  }
  return max
}

function stripCreated(ban: BanRecord & { created?: boolean }): BanRecord {
  const { created: _created, ...record } = ban
  return record
}

/**
 * The client's subject op starts with this shared empty list of counts, replaced by a list of its own at the first
 * count (`addCount`): most requests count one thing on the client, and a one-element literal costs less than growing
 * an empty array.
 */
const NO_COUNTS: readonly Count[] = Object.freeze([])

/** Add a count to a subject op; returns its index. */
function addCount(op: SubjectOp, count: Count): number {
  const counts = op.counts
  if (counts === NO_COUNTS) {
    op.counts = [count]
    return 0
  }
  ;(counts as Count[]).push(count)
  return counts.length - 1
}

/** The measures of one ask's counts, one per subject, in `by` order. */
function measuresOf(result: HitResult, refs: number[] | null): (Measure | undefined)[] {
  if (refs === null) return []
  const out: (Measure | undefined)[] = []
  for (let i = 0; i < refs.length; i += 2) out.push(measureAt(result, refs, i))
  return out
}

function measureAt(result: HitResult, refs: readonly number[], i: number): Measure | undefined {
  const m = result.counts[refs[i] as number]?.[refs[i + 1] as number]
  return m === -1 ? undefined : m
}

export type { Diagnostic }
