import type { BackoffOptions } from './types.js'

/**
 * The wait before retry number `retry` (1 for the first retry): exponential, capped, with "equal jitter":
 * half of the exponential step is fixed, the other half random. So retry n waits between
 * `min(maxMs, baseMs * 2^(n-1)) / 2` and `min(maxMs, baseMs * 2^(n-1))`.
 */
export function backoffDelay(retry: number, options: BackoffOptions, random: () => number): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, retry - 1))
  const drawn = random()
  const r = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 0.5
  return Math.round(step / 2 + (r * step) / 2)
}

/**
 * Parses a `Retry-After` header: delay-seconds (decimals accepted) or an HTTP date.
 * Returns milliseconds (at least 0), or undefined when absent or unreadable.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined
  const text = value.trim()
  if (text === '') return undefined
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000)
  // an HTTP date names its day and month ("Wed, 21 Oct 2015 07:28:00 GMT")
  if (!/[a-z]{3}/i.test(text)) return undefined
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  return Math.max(0, date - now)
}

/** Discord answers 429 with a JSON body whose `retry_after` is in seconds (a float). Returns ms. */
export function parseDiscordRetryAfter(body: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(body)
    if (parsed && typeof parsed === 'object' && 'retry_after' in parsed) {
      const value = (parsed as { retry_after: unknown }).retry_after
      if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.ceil(value * 1000)
    }
  } catch {
    // not JSON: fall back to the header
  }
  return undefined
}
