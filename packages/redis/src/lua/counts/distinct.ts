import type { DistinctCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `distinct` (scraping): a sorted set of values scored by last sighting, trimmed to the window and to `limit + 1`
 * members. Fields: limit, windowMs, value. Measures the distinct values in the window.
 */
export const distinctSection: CountSection<DistinctCount> = {
  kind: 'distinct',
  code: 'D',
  fields: 3,
  trips: true,
  clearedByBan: true,
  encode(args, c) {
    args.push(c.limit, c.windowMs, c.value)
  },
  parse: `
  local limit, window, value = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), ARGV[a + 3]`,
  count: `
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  redis.call('ZADD', key, now, value)
  local n = redis.call('ZCARD', key)
  -- More than limit + 1 never matters: the count has tripped by then.
  if n > limit + 1 then
    redis.call('ZREMRANGEBYRANK', key, 0, n - limit - 2)
    n = limit + 1
  end
  redis.call('PEXPIRE', key, px(window))
  if n > limit then return n, { rule = string.sub(ARGV[a], sep + 1), monitor = monitor, count = n, limit = limit } end
  return n, nil`,
}
