import type { SpreadCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `spread` (auth failures on an API key or a user): the exact sliding log of `events` in `<key>`, plus the sources of
 * those events: a sorted set `<key>.s` of sources by last event time, trimmed to the `max(4 × sources, 16)` most
 * recent, and a hash `<key>.n` of each source's unrefunded events. Numbers: limit, windowMs. Fields: add, source,
 * sources. Trips when more than `limit` events are in the window and at least `sources` sources have an event in it.
 * A negative `add` takes back the newest events and that many of the source's (at none, the source is dropped) and
 * never trips. Measures the events in the window.
 */
export const spreadSection: CountSection<SpreadCount> = {
  kind: 'spread',
  code: 'P',
  fields: 3,
  trips: true,
  clearedByBan: true,
  numbers: (c) => [c.limit, c.windowMs, 0],
  encode(args, c) {
    args.push(c.add, c.source, c.sources)
  },
  parse: `
  local limit, window, add, source, sources = c.limit, c.window, tonumber(ARGV[a + 1]), ARGV[a + 2], tonumber(ARGV[a + 3])`,
  count: `
  local ks, kn = key .. '.s', key .. '.n'
  local n = trim(key, now - window)
  if add > 0 then
    add = math.min(add, limit + 1)
    for _ = 1, add do redis.call('LPUSH', key, now) end
    redis.call('LTRIM', key, 0, limit)
    n = redis.call('LLEN', key)
    redis.call('ZADD', ks, now, source)
    redis.call('HINCRBY', kn, source, add)
    local extra = redis.call('ZCARD', ks) - math.max(4 * sources, 16)
    if extra > 0 then
      local gone = redis.call('ZRANGE', ks, 0, extra - 1)
      redis.call('ZREMRANGEBYRANK', ks, 0, extra - 1)
      redis.call('HDEL', kn, unpack(gone))
    end
    redis.call('PEXPIRE', key, px(window))
    redis.call('PEXPIRE', ks, px(window))
    redis.call('PEXPIRE', kn, px(window))
  elseif add < 0 then
    -- A refunded reservation: take back the newest events and the source's; never trips.
    for _ = 1, math.min(-add, n) do redis.call('LPOP', key) end
    if redis.call('HINCRBY', kn, source, add) <= 0 then
      redis.call('HDEL', kn, source)
      redis.call('ZREM', ks, source)
    end
    return math.max(0, n + add), nil
  end
  if n > limit and redis.call('ZCOUNT', ks, '(' .. (now - window), '+inf') >= sources then
    return n, { rule = c.rule, monitor = c.monitor, count = n, limit = limit, window = window }
  end
  return n, nil`,
}
