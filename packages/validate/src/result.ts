/**
 * Result objects returned by every `check*` function, and the error thrown by every `assert*` function.
 */

/** A successful check: `value` is the canonical form of the input, the one to use from here on. */
export interface Ok<T> {
  readonly ok: true
  readonly value: T
}

/** A failed check: `code` is a stable string constant (see `codes.ts`); `message` is for humans and may change. */
export interface Fail<C extends string = string> {
  readonly ok: false
  readonly code: C
  readonly message: string
}

/** What every `check*` function returns. It never throws for bad input. */
export type Result<T, C extends string = string> = Ok<T> | Fail<C>

/** Builds a successful result. */
export function ok<T>(value: T): Ok<T> {
  return { ok: true, value }
}

/** Builds a failed result. */
export function fail<C extends string>(code: C, message: string): Fail<C> {
  return { ok: false, code, message }
}

/** Thrown by the `assert*` functions and the safe dispatcher/agent. `code` is one of the stable codes. */
export class ValidationError extends Error {
  readonly code: string

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ValidationError'
    this.code = code
  }

  /** Turns a failed result into an error carrying the same code and message. */
  static from(failure: Fail): ValidationError {
    return new ValidationError(failure.code, failure.message)
  }
}
