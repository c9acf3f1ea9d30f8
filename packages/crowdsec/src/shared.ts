import { CrowdSecError } from './errors.js'

export type ErrorListener = (error: CrowdSecError) => void

/**
 * The `error` listeners of a bouncer or a source. Without one, each kind of error goes once to the fallback (the
 * engine's `error` event for a bouncer, `console.warn` otherwise) until the next success makes it news again
 * (`reset()`), so a LAPI that is down for an hour is one report, not one per retry. A listener that throws never
 * reaches the caller.
 */
export class ErrorListeners {
  readonly #listeners = new Set<ErrorListener>()
  /** Where errors go when nobody listens. */
  fallback: ((error: CrowdSecError) => void) | undefined
  readonly #logged = new Set<string>()
  readonly #label: string
  constructor(label: string) {
    this.#label = label
  }
  add(listener: ErrorListener): void {
    if (typeof listener !== 'function') {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_OPTIONS',
        "on('error', listener): the listener must be a function",
      )
    }
    this.#listeners.add(listener)
  }
  delete(listener: ErrorListener): void {
    this.#listeners.delete(listener)
  }
  emit(error: unknown): void {
    const e =
      error instanceof CrowdSecError
        ? error
        : new CrowdSecError('ERR_BULWARK_CROWDSEC_RESPONSE', String((error as Error)?.message ?? error), {
            cause: error,
          })
    if (this.#listeners.size === 0) {
      if (this.#logged.has(e.code)) return
      this.#logged.add(e.code)
      try {
        if (this.fallback !== undefined) this.fallback(e)
        else console.warn(`[${this.#label}] ${e.message}`)
      } catch {
        // the fallback must not stop the bouncer or the source
      }
      return
    }
    for (const listener of this.#listeners) {
      try {
        listener(e)
      } catch {
        // a failing listener must not stop the bouncer or the source
      }
    }
  }
  /** A success: the next error is logged again. */
  reset(): void {
    this.#logged.clear()
  }
}

/** A positive integer option, or its default when undefined; anything else is an options error. */
export function positiveInt(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      `${name} must be a positive integer, got ${String(value)}`,
    )
  }
  return value
}
