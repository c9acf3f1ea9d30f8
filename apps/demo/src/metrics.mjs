// GET /metrics: Prometheus text from @bulwark/metrics, on a registry of its own (no global state).
import { bulwarkMetrics } from '@bulwark/metrics'
import { Registry } from 'prom-client'

/**
 * @param {{
 *   engine: import('@bulwark/core').Bulwark,
 *   notifier?: import('@bulwark/metrics').NotifierStatsSource,
 *   store?: import('@bulwark/core').Store,
 * }} options
 */
export function createMetrics({ engine, notifier, store }) {
  const registry = new Registry()
  /** @type {Parameters<typeof bulwarkMetrics>[1]} */
  const options = { registry }
  if (notifier) options.notifier = notifier
  if (store) options.store = store
  const collector = bulwarkMetrics(engine, options)
  return {
    registry,
    contentType: registry.contentType,
    /** The exposition text. */
    text: () => registry.metrics(),
    close: () => collector.close(),
  }
}
