import { BulwarkError } from '@bulwark/core'

/** Wrap a Redis or ioredis failure in a `BulwarkError` with a stable code. */
export function storeError(operation: string, err: unknown): BulwarkError {
  if (err instanceof BulwarkError) return err
  const message = err instanceof Error ? err.message : String(err)
  const code = /timed out/i.test(message) ? 'ERR_BULWARK_STORE_TIMEOUT' : 'ERR_BULWARK_STORE'
  return new BulwarkError(code, `Redis store ${operation} failed: ${message}`, { cause: err })
}

export function closedError(): BulwarkError {
  return new BulwarkError('ERR_BULWARK_CLOSED', 'The Redis store is closed')
}

export function optionsError(message: string): BulwarkError {
  return new BulwarkError('ERR_BULWARK_OPTIONS', message)
}
