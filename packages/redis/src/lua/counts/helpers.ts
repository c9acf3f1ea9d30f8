/** Lua helpers the count sections share (defined before them in `hit.lua`). */
export const LUA_COUNT_HELPERS = `
-- A key TTL: at least 1 ms.
local function px(ms) return math.max(1, ms) end

-- Drop log entries (newest first) that left the window; amortised O(1) per call. Returns the entries left.
local function trim(key, since)
  local n = redis.call('LLEN', key)
  while n > 0 do
    local oldest = tonumber(redis.call('LINDEX', key, -1))
    if oldest > since then break end
    redis.call('RPOP', key)
    n = n - 1
  end
  return n
end
`
