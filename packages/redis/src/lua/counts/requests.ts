import type { RequestsCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `requests` (burst): an exact sliding log of request times. Numbers: limit, windowMs. No field. Measures the count only
 * when this request trips.
 *
 * A client's first request time is a plain string key (a third of a list's memory, and most clients of a flood send
 * one request); from the second one in the window it is a list of times, newest first, holding at most `limit`
 * entries. This request trips exactly when, counting it, more than `limit` times fall in the window. A tripped
 * request is not recorded. The common request runs LPUSHX and PTTL, and PEXPIRE (two windows) once less than a
 * window is left (a new client: LPUSHX and SET).
 */
export const requestsSection: CountSection<RequestsCount> = {
  kind: 'requests',
  code: 'R',
  fields: 0,
  trips: true,
  clearedByBan: true,
  numbers: (c) => [c.limit, c.windowMs, 0],
  encode() {},
  parse: `
  local limit, window = c.limit, c.window`,
  count: `
  local tripped = nil
  local n = redis.pcall('LPUSHX', key, now)
  if type(n) == 'table' then
    if not string.find(n.err or '', 'WRONGTYPE', 1, true) then error(n) end
    -- One earlier time, kept as a string.
    local t1 = tonumber(redis.call('GET', key))
    local inside = t1 > now - window
    if (inside and 2 or 1) > limit then
      tripped = limit + 1
    elseif inside then
      redis.call('DEL', key)
      redis.call('LPUSH', key, t1, now)
      redis.call('PEXPIRE', key, px(2 * window))
    else
      redis.call('SET', key, now, 'PX', px(window))
    end
  elseif n == 0 then
    -- No log yet.
    if limit < 1 then tripped = 1 else redis.call('SET', key, now, 'PX', px(window)) end
  elseif n > limit and tonumber(redis.call('LINDEX', key, limit)) > now - window then
    -- The entry limit places back (the oldest kept) is still inside the window: take this request back out.
    redis.call('LPOP', key)
    tripped = limit + 1
  else
    if n > limit then redis.call('LTRIM', key, 0, limit - 1) end
    -- The log must outlive this request by a window. Extending it by two windows whenever less than one is left
    -- keeps that true with a PTTL (a read) on most requests instead of a PEXPIRE (a write, which costs Redis almost
    -- three times as much inside a script).
    if redis.call('PTTL', key) < window then redis.call('PEXPIRE', key, px(2 * window)) end
  end
  if tripped then return tripped, { rule = c.rule, monitor = c.monitor, count = tripped, limit = limit, window = window } end
  return nil, nil`,
}
