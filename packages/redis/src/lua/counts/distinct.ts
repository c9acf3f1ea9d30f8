import type { DistinctCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `distinct` (scraping, 404 enumeration): a sorted set of values scored by last sighting, trimmed to the window and
 * to `limit + 1` members. Numbers: limit, windowMs, suspicious (`1`/`0`). Field: value. Over the limit, a suspicious
 * count never trips: it is noted on the subject (`refused`) for a later events count with addRefused. Measures the
 * distinct values in the window.
 */
export const distinctSection: CountSection<DistinctCount> = {
  kind: 'distinct',
  code: 'D',
  fields: 1,
  trips: true,
  clearedByBan: true,
  numbers: (c) => [c.limit, c.windowMs, c.suspicious === true ? 1 : 0],
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
  if n > limit then
    if c.flag then
      -- A monitored count reports, and feeds no enforced suspicion ban.
      if not c.monitor then refused = refused + 1 end
      return n, nil
    end
    return n, { rule = c.rule, monitor = c.monitor, count = n, limit = limit, window = window }
  end
  return n, nil`,
}
