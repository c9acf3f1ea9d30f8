/** How long to wait between attempts: exponential from `baseMs`, capped at `maxMs`, with jitter. */
export interface BackoffOptions {
  /** The first wait, in ms. */
  baseMs: number
  /** The longest wait, in ms. */
  maxMs: number
}

/**
 * The wait before retry number `retry` (1 for the first): `min(maxMs, baseMs * 2^(retry-1))`, of which the upper half
 * is random ("equal jitter"), so many instances restarting together do not hit the Local API in step.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const step = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, Math.min(retry - 1, 40)))
  const drawn = random()
  const r = Number.isFinite(drawn) ? Math.min(Math.max(drawn, 0), 1) : 0.5
  return Math.round(step / 2 + (r * step) / 2)
}
