// How a failed start-up is told: configuration errors as one line naming the variable, anything else in full.
import { BulwarkError } from '@bulwark/core'
import { NotifyError } from '@bulwark/notify'
import { ConfigError } from './config.mjs'

/** @param {unknown} error @returns {string} */
export function describeStartError(error) {
  if (error instanceof ConfigError) return `Configuration error: ${error.message}`
  if (
    error instanceof BulwarkError &&
    (error.code === 'ERR_BULWARK_ENV' || error.code === 'ERR_BULWARK_OPTIONS')
  ) {
    return `Configuration error: ${error.message}`
  }
  if (error instanceof NotifyError && error.code === 'ERR_BULWARK_NOTIFY_ENV') {
    return `Configuration error: ${error.message}`
  }
  return `The demo could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`
}
