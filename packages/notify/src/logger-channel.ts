import { NotifyError } from './errors.js'
import { formatText } from './text.js'
import type { Channel, WarnLogger } from './types.js'

export interface LoggerChannelOptions {
  /** Name in `stats()` and errors. Default `logger`. */
  name?: string
}

/**
 * Writes one line per notification through `target.warn()` (console, pino, winston …):
 * `Security Block activated | IP: 203.0.113.7 | Reason: … | Duration: 3600s`. Not retried.
 */
export function logger(target: WarnLogger = console, options: LoggerChannelOptions = {}): Channel {
  if (!target || typeof target.warn !== 'function') {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', 'logger(target): target must have a warn() method')
  }
  return {
    name: options.name ?? 'logger',
    delivery: { maxAttempts: 1 },
    send(notification) {
      // called as a method: pino and winston need their `this`
      target.warn(formatText(notification))
    },
  }
}
