import type { DistinctCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `distinct` (scraping): a sorted set of values scored by last sighting, trimmed to the window and to `limit + 1`
 * members. Numbers: limit, windowMs. Field: value. Measures the distinct values in the window.
 */
export const distinctSection: CountSection<DistinctCount> = {
  kind: 'distinct',
  code: 'D',
  fields: 1,
  trips: true,
  clearedByBan: true,
  numbers: (c) => [c.limit, c.windowMs, 0],
  encode(args, c) {
    args.push(c.value)
  },
  parse: `
  local limit, window, value = c.limit, c.window, ARGV[a + 1]`,
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
  if n > limit then return n, { rule = c.rule, monitor = c.monitor, count = n, limit = limit } end
  return n, nil`,
}
