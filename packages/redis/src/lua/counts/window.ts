import type { WindowCount } from '@bulwark/core'
import type { CountSection } from './section.js'

/**
 * `window` (rate limits): the sliding-window counter `prev * (windowMs - elapsed) / windowMs + curr` in one string
 * key `<w>:<curr>:<prev>`, kept to the end of the next fixed window. Numbers (its spec carries no rule): limit,
 * windowMs, suspicious (`1`/`0`). Field: cost. A refused request is not counted; a suspicious refusal is noted on the subject (`refused`) for a later
 * events count with addRefused. Never trips. Measures `{ allowed (1/0), remaining, resetMs }`.
 */
export const windowSection: CountSection<WindowCount> = {
  kind: 'window',
  code: 'W',
  fields: 1,
  trips: false,
  clearedByBan: false,
  numbers: (c) => [c.limit, c.windowMs, c.suspicious === true ? 1 : 0],
  encode(args, c) {
    args.push(c.cost ?? 1)
  },
  parse: `
  local limit, window = c.limit, c.window
  local cost = tonumber(ARGV[a + 1])`,
  count: `
  local w = math.floor(now / window)
  local elapsed = now - w * window
  local curr, prev = 0, 0
  local st = redis.call('GET', key)
  if st then
    local sw, sc, sp = string.match(st, '^(-?%d+):(%d+):(%d+)$')
    sw = tonumber(sw)
    if sw == w then curr, prev = tonumber(sc), tonumber(sp)
    elseif sw == w - 1 then prev = tonumber(sc) end
  end
  local estimate = prev * (window - elapsed) / window + curr
  local reset = window - elapsed
  if estimate + cost > limit then
    if c.flag then refused = refused + 1 end
    return { 0, 0, reset }, nil
  end
  redis.call('SET', key, w .. ':' .. (curr + cost) .. ':' .. prev, 'PX', px(window + reset))
  return { 1, math.max(0, math.floor(limit - estimate - cost)), reset }, nil`,
}
