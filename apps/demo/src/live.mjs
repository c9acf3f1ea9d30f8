// What the dashboard and the server-sent-events stream show: per-second counts, counts per rule, recent decisions
// and the active bans, fed by the engine's events. Bounded in memory and time: timers run only while someone listens.

/** @typedef {import('@bulwark/core').DecisionEvent} DecisionEvent */
/** @typedef {'allow' | 'limit' | 'block'} Conclusion */
/** @typedef {{ t: number, allow: number, limit: number, block: number }} Second */
/**
 * @typedef {object} FeedItem
 * @property {number} at
 * @property {Conclusion} conclusion
 * @property {string | null} rule
 * @property {number} status
 * @property {string} ip
 * @property {string} method
 * @property {string} path
 * @property {string} reason
 * @property {boolean} enforced
 */
/** @typedef {(event: string, data: unknown) => void} Send */

/** Topics a stream can ask for with `?topics=`. */
export const TOPICS = ['decisions', 'stats', 'ban', 'unban', 'store']

const HISTORY_S = 120
const FLUSH_MS = 250
const STATS_MS = 1000
const MAX_PER_FLUSH = 40
const MAX_BANS_SHOWN = 200

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   storeName: string,
 *   notifier?: { stats(): import('@bulwark/notify').NotifierStats },
 *   clock?: () => number,
 * }} options
 */
export function createLive({ engine, storeName, notifier, clock = Date.now }) {
  /** @type {Second[]} */
  const seconds = []
  /** @type {Record<string, Record<Conclusion, number>>} */
  const rules = {}
  const totals = { allow: 0, limit: 0, block: 0, authFailures: 0, bans: 0 }
  /** @type {FeedItem[]} */
  let pending = []
  let dropped = 0
  /** @type {Map<Send, { topics: Set<string>, end: () => void }>} */
  const clients = new Map()
  /** @type {NodeJS.Timeout | undefined} */
  let flushTimer
  /** @type {NodeJS.Timeout | undefined} */
  let statsTimer
  /** @type {NodeJS.Timeout | undefined} */
  let soon
  let closed = false

  /** @param {number} at */
  function bucket(at) {
    const t = Math.floor(at / 1000)
    let last = seconds[seconds.length - 1]
    if (last === undefined || last.t < t) {
      last = { t, allow: 0, limit: 0, block: 0 }
      seconds.push(last)
      while (seconds.length > HISTORY_S) seconds.shift()
      return last
    }
    // An event for an earlier second (clocks of a shared store): count it where it belongs if still kept.
    for (let i = seconds.length - 1; i >= 0; i--)
      if (seconds[i]?.t === t) return /** @type {Second} */ (seconds[i])
    return last
  }

  /** @param {DecisionEvent} e */
  function onDecision(e) {
    const d = e.decision
    if (e.source === 'auth-failure') {
      // Not a request: a failed authentication reported for one (its request was counted already).
      totals.authFailures++
    } else {
      const c = d.conclusion
      totals[c]++
      bucket(e.at)[c]++
      const rule = d.rule ?? 'none'
      rules[rule] ??= { allow: 0, limit: 0, block: 0 }
      rules[rule][c]++
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
    })
  }

  /** @param {string} topic @param {unknown} data */
  function broadcast(topic, data) {
    for (const [send, c] of clients) if (c.topics.has(topic)) send(topic, data)
  }

  /** @param {import('@bulwark/core').BanEvent} e */
  function onBan(e) {
    totals.bans++
    broadcast('ban', e)
    statsSoon()
  }
  /** @param {import('@bulwark/core').UnbanEvent} e */
  function onUnban(e) {
    broadcast('unban', e)
    statsSoon()
  }
  /** @param {import('@bulwark/core').StoreEvent} e */
  function onStore(e) {
    broadcast('store', e)
  }

  function flush() {
    if (pending.length === 0 && dropped === 0) return
    // Newest last; under a flood, the newest are kept and the rest are counted.
    const items = pending.length > MAX_PER_FLUSH ? pending.slice(-MAX_PER_FLUSH) : pending
    const skipped = dropped + pending.length - items.length
    pending = []
    dropped = 0
    broadcast('decisions', { items, skipped })
  }

  /** The numbers behind the dashboard, without the bans. */
  function counters() {
    const now = clock()
    const t = Math.floor(now / 1000)
    /** @type {Second[]} */
    const series = []
    const byT = new Map(seconds.map((s) => [s.t, s]))
    for (let i = 59; i >= 0; i--) series.push(byT.get(t - i) ?? { t: t - i, allow: 0, limit: 0, block: 0 })
    return {
      now,
      totals: { ...totals },
      rules: structuredClone(rules),
      series,
      store: { name: storeName, state: engine.storeState },
      mode: engine.options.mode,
      notifier: notifier ? notifier.stats() : null,
    }
  }

  /** Everything the dashboard shows, with up to 200 active bans (newest first). */
  async function snapshot() {
    const base = counters()
    let bans = /** @type {import('@bulwark/core').BanInfo[]} */ ([])
    let banError
    try {
      bans = await engine.listBans()
    } catch (error) {
      banError = error instanceof Error ? error.message : String(error)
    }
    bans.sort((a, b) => b.since - a.since)
    return {
      ...base,
      banCount: bans.length,
      bans: bans.slice(0, MAX_BANS_SHOWN),
      ...(banError ? { banError } : {}),
    }
  }

  let sending = false
  async function sendStats() {
    if (sending || closed || ![...clients.values()].some((c) => c.topics.has('stats'))) return
    sending = true
    try {
      broadcast('stats', await snapshot())
    } finally {
      sending = false
    }
  }

  function statsSoon() {
    if (soon !== undefined || clients.size === 0) return
    soon = setTimeout(() => {
      soon = undefined
      void sendStats()
    }, 100)
    soon.unref()
  }

  function start() {
    if (flushTimer !== undefined) return
    flushTimer = setInterval(flush, FLUSH_MS)
    flushTimer.unref()
    statsTimer = setInterval(() => void sendStats(), STATS_MS)
    statsTimer.unref()
  }

  function stop() {
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

  return {
    counters,
    snapshot,
    /**
     * Receive events until the returned function is called. `send` must not throw; `end` is called if the feed
     * closes first.
     * @param {Send} send
     * @param {readonly string[]} [topics]
     * @param {() => void} [end]
     */
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
    /** How many streams are open. */
    get listeners() {
      return clients.size
    },
    close() {
      closed = true
      const ends = [...clients.values()].map((c) => c.end)
      clients.clear()
      for (const end of ends) end()
      stop()
      engine.off('decision', onDecision)
      engine.off('ban', onBan)
      engine.off('unban', onUnban)
      engine.off('store', onStore)
    },
  }
}

/** @typedef {ReturnType<typeof createLive>} Live */
