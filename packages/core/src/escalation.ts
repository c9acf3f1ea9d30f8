import type { BanPolicy } from './store.js'

/**
 * The TTL of a ban: `ttlMs * factor^(offense - 1)`, capped at `maxTtlMs`, then scaled by `1 + jitter`, in whole
 * milliseconds. Shared by every store so they agree to the millisecond.
 */
export function escalatedTtl(policy: BanPolicy, offense: number): number {
  const base = Math.min(policy.ttlMs * policy.factor ** Math.max(0, offense - 1), policy.maxTtlMs)
  return Math.max(1, Math.round(base * (1 + policy.jitter)))
}
