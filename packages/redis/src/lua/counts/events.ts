import type { EventsCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `events` (auth failures, suspicion, your own): an exact sliding log of event times, capped at `limit + 1` entries.
 * Numbers: limit, windowMs, addRefused (`1`/`0`). Field: add. Adds `add` events, plus the suspicious refusals of the
 * subject's earlier window counts (`refused`) when addRefused is set; a negative `add` takes back the newest events
 * (LPOP) and never trips. Measures the events in the window.
 */
export const eventsSection: CountSection<EventsCount> = {
  kind: 'events',
  code: 'E',
  fields: 1,
  trips: true,
  clearedByBan: true,
  numbers: (c) => [c.limit, c.windowMs, c.addRefused === true ? 1 : 0],
  encode(args, c) {
    args.push(c.add)
  },
  parse: `
  local limit, window, add = c.limit, c.window, tonumber(ARGV[a + 1])
  if c.flag then add = add + refused end`,
  count: `
  local n = trim(key, now - window)
  if add > 0 then
    -- More than limit + 1 never matters: the count has tripped by then.
    add = math.min(add, limit + 1)
    if add == 1 then
      redis.call('LPUSH', key, now)
    else
      while add > 0 do
        local times = {}
        for i = 1, math.min(add, 100) do times[i] = now end
        redis.call('LPUSH', key, unpack(times))
        add = add - #times
      end
    end
    redis.call('LTRIM', key, 0, limit)
    redis.call('PEXPIRE', key, px(window))
    n = redis.call('LLEN', key)
  elseif add < 0 then
    -- A refunded reservation: take back the newest events; never trips.
    for _ = 1, math.min(-add, n) do redis.call('LPOP', key) end
    return math.max(0, n + add), nil
  end
  if n > limit then return n, { rule = c.rule, monitor = c.monitor, count = n, limit = limit, window = window } end
  return n, nil`,
}
