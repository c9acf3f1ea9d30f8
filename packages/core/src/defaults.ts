const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/** The defaults, in one place. */
export const DEFAULTS = {
  burst: { limit: 50, windowMs: SECOND },
  authFailures: { limit: 10, windowMs: MINUTE, minClients: 3 },
  scraping: { limit: 500, windowMs: 5 * MINUTE },
  bodySize: { maxBytes: 10 * 1024 * 1024 },
  suspicion: { events: 5, windowMs: 24 * HOUR },
  ban: { ttlMs: HOUR, factor: 2, maxTtlMs: 24 * HOUR, historyMs: 7 * 24 * HOUR, jitter: 0 },
  ipv6Prefix: 64,
  banCacheSize: 10_000,
  storeTimeoutMs: 200,
  breaker: { failureThreshold: 3, cooldownMs: 5_000 },
} as const
