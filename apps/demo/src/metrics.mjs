// GET /metrics: Prometheus text from prom-client, on a registry of its own (no global state).
import { Counter, Gauge, Registry } from 'prom-client'

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   storeName: string,
 *   notifier: { stats(): import('@bulwark/notify').NotifierStats },
 * }} options
 */
export function createMetrics({ engine, storeName, notifier }) {
  const registry = new Registry()

  const requests = new Counter({
    name: 'bulwark_requests_total',
    help: 'Requests inspected by Bulwark, by conclusion (allow, limit, block) and rule ("none" for a plain allow)',
    labelNames: ['conclusion', 'rule'],
    registers: [registry],
  })
  const authFailures = new Counter({
    name: 'bulwark_auth_failures_total',
    help: 'Failed authentications reported to Bulwark (401 answers and reportAuthFailure calls)',
    registers: [registry],
  })
  const bans = new Counter({
    name: 'bulwark_bans_total',
    help: 'Bans created, by rule',
    labelNames: ['rule'],
    registers: [registry],
  })

  engine.on('decision', (e) => {
    if (e.source === 'auth-failure') authFailures.inc()
    else requests.inc({ conclusion: e.decision.conclusion, rule: e.decision.rule ?? 'none' })
  })
  engine.on('ban', (e) => bans.inc({ rule: e.rule }))

  new Gauge({
    name: 'bulwark_active_bans',
    help: 'Bans in force now, by rule',
    labelNames: ['rule'],
    registers: [registry],
    async collect() {
      this.reset()
      let list
      try {
        list = await engine.listBans()
      } catch {
        return // store unavailable: leave the gauge empty rather than failing the scrape
      }
      /** @type {Record<string, number>} */
      const byRule = {}
      for (const b of list) byRule[b.rule] = (byRule[b.rule] ?? 0) + 1
      for (const [rule, n] of Object.entries(byRule)) this.set({ rule }, n)
    },
  })

  new Gauge({
    name: 'bulwark_store_state',
    help: 'Where decisions come from: 1 for the current state (primary = the configured store, fallback = local memory while it is unavailable)',
    labelNames: ['store', 'state'],
    registers: [registry],
    collect() {
      const state = engine.storeState
      this.set({ store: storeName, state: 'primary' }, state === 'primary' ? 1 : 0)
      this.set({ store: storeName, state: 'fallback' }, state === 'fallback' ? 1 : 0)
    },
  })

  // The notifier keeps its own counters; these report them as they are at each scrape.
  new Counter({
    name: 'bulwark_notifier_events_total',
    help: 'Ban events handed to the notifier, by outcome (received, skipped, deduped, folded into a digest, digests)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const s = notifier.stats()
      this.reset()
      for (const outcome of /** @type {const} */ (['received', 'skipped', 'deduped', 'folded', 'digests'])) {
        this.inc({ outcome }, s[outcome])
      }
    },
  })
  new Counter({
    name: 'bulwark_notifier_deliveries_total',
    help: 'Notifications per channel by outcome: sent, failed, retried (extra attempts), dropped',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [channel, c] of Object.entries(notifier.stats().channels)) {
        for (const outcome of /** @type {const} */ (['sent', 'failed', 'retried', 'dropped'])) {
          this.inc({ channel, outcome }, c[outcome])
        }
      }
    },
  })
  new Gauge({
    name: 'bulwark_notifier_queue',
    help: 'Notifications waiting (queued) or being sent (in_flight), per channel',
    labelNames: ['channel', 'state'],
    registers: [registry],
    collect() {
      this.reset()
      for (const [channel, c] of Object.entries(notifier.stats().channels)) {
        this.set({ channel, state: 'queued' }, c.queued)
        this.set({ channel, state: 'in_flight' }, c.inFlight)
      }
    },
  })

  return {
    registry,
    contentType: registry.contentType,
    /** The exposition text. */
    text: () => registry.metrics(),
  }
}
