import { BulwarkError } from '../errors.js'
import type { Mode } from '../types.js'
import type { By } from './rule.js'

/** Options every counting rule takes. */
export interface CountingRuleOptions {
  /** The rule trips when more than `limit` events fall in `windowMs`. */
  limit?: number
  windowMs?: number
  /** `monitor` reports without enforcing. Default `enforce`. */
  mode?: Mode
  /** Who is counted (see `By`). */
  by?: By | readonly By[]
}

export function fail(message: string): never {
  throw new BulwarkError('ERR_BULWARK_OPTIONS', message)
}

export function positiveInt(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    fail(`Invalid option ${name}: must be a positive integer, got ${String(value)}`)
  }
  return value
}

export function modeOption(value: unknown, name: string): Mode {
  if (value === undefined) return 'enforce'
  if (value !== 'enforce' && value !== 'monitor')
    fail(`Invalid option ${name}.mode: must be 'enforce' or 'monitor'`)
  return value
}

/** Validates `by`: one of the names or a function, or a non-empty list of them. */
export function byOption(value: unknown, name: string, fallback: By | readonly By[]): By | readonly By[] {
  if (value === undefined) return fallback
  const one = (v: unknown): v is By => v === 'ip' || v === 'apiKey' || v === 'user' || typeof v === 'function'
  if (one(value)) return value
  if (Array.isArray(value) && value.length > 0 && value.every(one)) return Object.freeze([...value])
  return fail(
    `Invalid option ${name}.by: must be 'ip', 'apiKey', 'user', a function of the request, or a list of them`,
  )
}

/** The options object of a rule factory: an object or nothing. */
export function objectOption<T extends object>(value: T | undefined, name: string): Partial<T> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object') fail(`Invalid option ${name}: must be an object`)
  return value
}
