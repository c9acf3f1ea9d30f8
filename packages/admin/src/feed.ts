import type {
  BanEvent,
  BanInfo,
  Bulwark,
  DecisionEvent,
  StoreEvent,
  SuspiciousEvent,
  UnbanEvent,
} from '@bulwark/core'
import type { NotifierStatsSource } from './options.js'

/** Topics an event stream can ask for with `?topics=`. */
export const TOPICS = Object.freeze(['decisions', 'stats', 'ban', 'unban', 'store'] as const)
export type Topic = (typeof TOPICS)[number]

type Conclusion = 'allow' | 'limit' | 'block'

/** One second of the chart. */
export interface Second {
  t: number
  allow: number
  limit: number
  block: number
}

/** One decision in the live feed. */
export interface FeedItem {
  at: number
  conclusion: Conclusion
  rule: string | null
  status: number
  ip: string
  method: string
  path: string
  reason: string
  enforced: boolean
  /**
   * Where a refusal by a ban comes from: a deny source's name (a list, `crowdsec`), `manual`, or the rule that wrote
   * the ban.
   */
  source?: string
  /** The crawler a `good-bots` decision is about (`googlebot`). */
  bot?: string
}

/** A crawler seen lately: a verified one (by its decisions) or a fake one (by its `fake-bot` suspicious events). */
export interface BotSighting {
  bot: string
  ip: string
  status: 'verified' | 'fake'
  /** How it was verified (`range 66.249.66.0/27`, `rdns …`), or why it is fake. */
  detail: string
  /** Requests (verified) or suspicious events (fake) counted since start. */
  count: number
  last: number
}

/** Counts since start: totals, decisions per rule and conclusion, the last 60 seconds. */
export interface Counters {
  now: number
  totals: { allow: number; limit: number; block: number; authFailures: number; bans: number }
  /** Decisions per rule (`none` for plain allows), by conclusion. */
  rules: Record<string, Record<Conclusion, number>>
  series: Second[]
  /** Requests refused per deny source (a list's name, `crowdsec`), since start. */
  denied: Record<string, number>
  /** The crawlers seen lately, newest first (at most 20). */
  bots: BotSighting[]
  store: { name: string; state: string }
  mode: string
  notifier: unknown
}

/** The counters with the active bans (newest first, at most 200). */
export interface Snapshot extends Counters {
  banCount: number
  /** Entries held per deny source (a list's name, `crowdsec`), from every ban listed. */
  denyEntries: Record<string, number>
  bans: BanInfo[]
  banError?: string
}

/** Receives one event; must not throw. */
export type Send = (topic: Topic, data: unknown) => void

export interface Feed {
  counters(): Counters
  snapshot(): Promise<Snapshot>
  /** Receive events until the returned function is called; `end` is called if the feed closes first. */
  subscribe(send: Send, topics?: readonly Topic[], end?: () => void): () => void
  readonly listeners: number
  close(): void
}

const HISTORY_S = 120
const FLUSH_MS = 250
const STATS_MS = 1000
const MAX_PER_FLUSH = 40
const MAX_BANS_SHOWN = 200
/** Distinct rule names counted; more (a user's rule ids are bounded in practice) are folded into `other`. */
const MAX_RULES = 100
/** Crawler addresses remembered for the dashboard (the newest are shown). */
const MAX_BOTS = 100
const BOTS_SHOWN = 20
/** A fake bot's suspicious event: `claims googlebot: 203.0.113.7 is not in Googlebot's published ranges`. */
const FAKE_DETAIL = /^claims ([\w-]{1,40}): /

/**
 * What the dashboard and the event stream show, fed by the engine's events. Bounded in memory (120 s of history,
 * 160 pending decisions, 100 rule names) and in time: its timers run only while a stream is open, and are unref'd.
 */
export function createFeed(options: {
  engine: Bulwark
  storeName?: string | undefined
  notifier?: NotifierStatsSource | undefined
  clock?: () => number
}): Feed {
  const { engine, notifier } = options
  const clock = options.clock ?? Date.now
  const storeName = options.storeName ?? 'memory'
  const seconds: Second[] = []
  const rules: Record<string, Record<Conclusion, number>> = {}
  let ruleCount = 0
  const totals = { allow: 0, limit: 0, block: 0, authFailures: 0, bans: 0 }
  const denied: Record<string, number> = {}
  let deniedNames = 0
  /** `${status} ${bot} ${ip}` -> sighting; re-inserted on each sighting, so the oldest goes first. */
  const bots = new Map<string, BotSighting>()
  let pending: FeedItem[] = []
  let dropped = 0
  const clients = new Map<Send, { topics: Set<string>; end: () => void }>()
  let flushTimer: NodeJS.Timeout | undefined
  let statsTimer: NodeJS.Timeout | undefined
  let soon: NodeJS.Timeout | undefined
  let closed = false

  function bucket(at: number): Second {
    const t = Math.floor(at / 1000)
    let last = seconds[seconds.length - 1]
    if (last === undefined || last.t < t) {
      last = { t, allow: 0, limit: 0, block: 0 }
      seconds.push(last)
      while (seconds.length > HISTORY_S) seconds.shift()
      return last
    }
    // An event for an earlier second (clocks of a shared store): count it where it belongs if still kept.
    for (let i = seconds.length - 1; i >= 0; i--) {
      const s = seconds[i]
      if (s?.t === t) return s
    }
    return last
  }

  function ruleRow(rule: string): Record<Conclusion, number> {
    let row = rules[rule]
    if (row === undefined) {
      const name = ruleCount >= MAX_RULES ? 'other' : rule
      row = rules[name] ??= { allow: 0, limit: 0, block: 0 }
      if (name === rule) ruleCount++
    }
    return row
  }

  function sighted(bot: string, ip: string, status: BotSighting['status'], detail: string, at: number): void {
    const key = `${status} ${bot} ${ip}`
    const seen = bots.get(key)
    bots.delete(key)
    bots.set(key, { bot, ip, status, detail, count: (seen?.count ?? 0) + 1, last: at })
    if (bots.size > MAX_BOTS) bots.delete(bots.keys().next().value as string)
  }

  function onDecision(e: DecisionEvent): void {
    const d = e.decision
    const source = d.evidence.source
    const bot = d.rule === 'good-bots' ? d.evidence.bot : undefined
    if (d.rule === 'deny' && source !== undefined && e.source !== 'auth-failure') {
      if (denied[source] !== undefined) denied[source]++
      else if (deniedNames < MAX_RULES) {
        denied[source] = 1
        deniedNames++
      }
    }
    if (bot !== undefined) sighted(bot, d.subject.ip, 'verified', d.evidence.matched ?? '', e.at)
    if (e.source === 'auth-failure') {
      // Not a request: a failed authentication reported for one (its request was counted already).
      totals.authFailures++
    } else {
      const c = d.conclusion
      totals[c]++
      bucket(e.at)[c]++
      ruleRow(d.rule ?? 'none')[c]++
    }
    if (clients.size === 0) return
    if (pending.length >= MAX_PER_FLUSH * 4) {
      dropped++
      return
    }
    pending.push({
      at: e.at,
      conclusion: d.conclusion,
      rule: e.source === 'auth-failure' ? 'auth-failure' : d.rule,
      status: d.status,
      ip: d.subject.ip,
      method: e.method,
      path: e.path.slice(0, 200),
      reason: d.reason,
      enforced: d.enforced,
      ...(source !== undefined && d.conclusion === 'block' ? { source } : {}),
      ...(bot !== undefined ? { bot } : {}),
    })
  }

  const onSuspicious = (e: SuspiciousEvent): void => {
    if (e.kind !== 'fake-bot') return
    const m = FAKE_DETAIL.exec(e.detail)
    if (m !== null)
      sighted(m[1] as string, e.ip, 'fake', e.detail.slice(m[0].length, m[0].length + 300), e.at)
  }

  function broadcast(topic: Topic, data: unknown): void {
    for (const [send, c] of [...clients]) if (c.topics.has(topic)) send(topic, data)
  }

  const onBan = (e: BanEvent): void => {
    totals.bans++
    broadcast('ban', e)
    statsSoon()
  }
  const onUnban = (e: UnbanEvent): void => {
    broadcast('unban', e)
    statsSoon()
  }
  const onStore = (e: StoreEvent): void => broadcast('store', e)

  function flush(): void {
    if (pending.length === 0 && dropped === 0) return
    // Newest last; under a flood, the newest are kept and the rest are counted.
    const items = pending.length > MAX_PER_FLUSH ? pending.slice(-MAX_PER_FLUSH) : pending
    const skipped = dropped + pending.length - items.length
    pending = []
    dropped = 0
    broadcast('decisions', { items, skipped })
  }

  function counters(): Counters {
    const now = clock()
    const t = Math.floor(now / 1000)
    const series: Second[] = []
    const byT = new Map(seconds.map((s) => [s.t, s]))
    for (let i = 59; i >= 0; i--) series.push(byT.get(t - i) ?? { t: t - i, allow: 0, limit: 0, block: 0 })
    return {
      now,
      totals: { ...totals },
      rules: structuredClone(rules),
      series,
      denied: { ...denied },
      bots: [...bots.values()].reverse().slice(0, BOTS_SHOWN),
      store: { name: storeName, state: engine.storeState },
      mode: engine.options.mode,
      notifier: notifier ? notifier.stats() : null,
    }
  }

  async function snapshot(): Promise<Snapshot> {
    const base = counters()
    let bans: BanInfo[] = []
    let banError: string | undefined
    try {
      bans = await engine.listBans()
    } catch (error) {
      banError = error instanceof Error ? error.message : String(error)
    }
    bans.sort((a, b) => b.since - a.since)
    const denyEntries: Record<string, number> = {}
    for (const b of bans) if (b.rule === 'deny') denyEntries[b.source] = (denyEntries[b.source] ?? 0) + 1
    const out: Snapshot = {
      ...base,
      banCount: bans.length,
      denyEntries,
      bans: bans.slice(0, MAX_BANS_SHOWN),
    }
    if (banError !== undefined) out.banError = banError
    return out
  }

  let sending = false
  async function sendStats(): Promise<void> {
    if (sending || closed || ![...clients.values()].some((c) => c.topics.has('stats'))) return
    sending = true
    try {
      broadcast('stats', await snapshot())
    } catch {
      // the next tick tries again
    } finally {
      sending = false
    }
  }

  function statsSoon(): void {
    if (soon !== undefined || clients.size === 0) return
    soon = setTimeout(() => {
      soon = undefined
      void sendStats()
    }, 100)
    soon.unref()
  }

  function start(): void {
    if (flushTimer !== undefined) return
    flushTimer = setInterval(flush, FLUSH_MS)
    flushTimer.unref()
    statsTimer = setInterval(() => void sendStats(), STATS_MS)
    statsTimer.unref()
  }

  function stop(): void {
    clearInterval(flushTimer)
    clearInterval(statsTimer)
    clearTimeout(soon)
    flushTimer = statsTimer = soon = undefined
    pending = []
    dropped = 0
  }

  engine.on('decision', onDecision)
  engine.on('ban', onBan)
  engine.on('unban', onUnban)
  engine.on('store', onStore)
  engine.on('suspicious', onSuspicious)

  return {
    counters,
    snapshot,
    subscribe(send, topics = TOPICS, end = () => {}) {
      if (closed) {
        end()
        return () => {}
      }
      clients.set(send, { topics: new Set(topics), end })
      start()
      if (topics.includes('stats')) statsSoon()
      return () => {
        clients.delete(send)
        if (clients.size === 0) stop()
      }
    },
    get listeners() {
      return clients.size
    },
    close() {
      if (closed) return
      closed = true
      const ends = [...clients.values()].map((c) => c.end)
      clients.clear()
      for (const end of ends) end()
      stop()
      engine.off('decision', onDecision)
      engine.off('ban', onBan)
      engine.off('unban', onUnban)
      engine.off('store', onStore)
      engine.off('suspicious', onSuspicious)
    },
  }
}
