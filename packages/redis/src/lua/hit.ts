import { LUA_SHARED } from './shared.js'

/**
 * Everything inspected requests need, in one atomic call. A call carries one op or a batch of ops (requests that
 * waited for the same round trip); each op is applied in order, exactly as if it had its own call. Per op: the ban
 * check for every subject, then per subject the burst log, auth-failure log, distinct items, endpoint window and
 * suspicion log (only the sections the op carries), and the ban a trip writes (with escalation, counter reset and
 * the ban index on a single node).
 *
 * KEYS: [ban index, when ARGV[1] = '1'] then per op, per subject its ban key `<base>ban`, and its endpoint key when
 *       section e is present. The subject's other keys (`<base>off`, `b`, `a`, `i`, `s`) are derived from the ban
 *       key: they share its hash tag, so they live in the same cluster slot.
 * ARGV: 1 indexed ('1'/'0'), then per op: now ('' = Redis TIME, read once per call), the ban policy
 *       `ttlMs:factor:maxTtlMs:historyMs:jitter` (read only when a ban is written), number of subjects, then per
 *       subject: subject, sections (letters of f b a i e s in that order), then the fields of each present section
 *       in that order:
 *       f: rule, monitor, note ('' = none, else '=' .. note)   b: limit, windowMs, monitor
 *       a: limit, windowMs, monitor    i: limit, windowMs, monitor, value    e: limit, windowMs
 *       s: limit, windowMs, monitor, add
 * Reply: one entry per op:
 *        - an error message: that op failed (the others are unaffected);
 *        - now (an integer): no ban, and nothing measured that the engine reads (the common request);
 *        - { now, ban or nil, counts } where counts is empty when an enforced ban already existed, else one
 *          { burst, authFailures, items, suspicion, endpointAllowed, endpointRemaining, endpointResetMs } per
 *          subject (-1 = not measured).
 *
 * The common request (no ban, burst section only) runs HGET, LPUSHX and PEXPIRE (a new client: HGET, LPUSHX, SET),
 * plus one TIME per call, and allocates little: each `redis.call` and each table costs the server's single thread,
 * and a batch shares the call's fixed cost.
 */
export const HIT_LUA = `${LUA_SHARED}
local ki, ai = 1, 2
local index = nil
if ARGV[1] == '1' then index = KEYS[1]; ki = 2 end

local function px(ms) return math.max(1, ms) end
local function unmeasured() return { -1, -1, -1, -1, -1, -1, -1 } end

-- Parse every op first, so the cursors stay right even if an op fails below. An op keeps its subjects at 1..n; the
-- burst fields sit on the subject itself (the hot path), the rarer sections in small tables.
local ops = {}
local nargs = #ARGV
while ai <= nargs do
  local o = { now = ARGV[ai], policy = ARGV[ai + 1], n = tonumber(ARGV[ai + 2]) }
  ai = ai + 3
  for j = 1, o.n do
    local kban = KEYS[ki]
    local s = { subject = ARGV[ai], kban = kban, base = string.sub(kban, 1, -4) }
    local sec = ARGV[ai + 1]
    ki, ai = ki + 1, ai + 2
    for p = 1, #sec do
      local l = string.byte(sec, p)
      if l == 98 then -- b
        s.bl, s.bw, s.bm = tonumber(ARGV[ai]), tonumber(ARGV[ai + 1]), ARGV[ai + 2] == '1'
        ai = ai + 3
      elseif l == 101 then -- e
        s.ep = { limit = tonumber(ARGV[ai]), window = tonumber(ARGV[ai + 1]) }
        s.ke = KEYS[ki]; ki = ki + 1
        ai = ai + 2
      elseif l == 102 then -- f
        local note = ARGV[ai + 2]
        s.force = { rule = ARGV[ai], monitor = ARGV[ai + 1] == '1', note = (note ~= '') and string.sub(note, 2) or nil }
        ai = ai + 3
      elseif l == 97 then -- a
        s.auth = { limit = tonumber(ARGV[ai]), window = tonumber(ARGV[ai + 1]), monitor = ARGV[ai + 2] == '1' }
        ai = ai + 3
      elseif l == 105 then -- i
        s.item = { limit = tonumber(ARGV[ai]), window = tonumber(ARGV[ai + 1]), monitor = ARGV[ai + 2] == '1',
          value = ARGV[ai + 3] }
        ai = ai + 4
      elseif l == 115 then -- s
        s.sus = { limit = tonumber(ARGV[ai]), window = tonumber(ARGV[ai + 1]), monitor = ARGV[ai + 2] == '1',
          add = tonumber(ARGV[ai + 3]) }
        ai = ai + 4
      end
    end
    o[j] = s
  end
  ops[#ops + 1] = o
end

-- Drop log entries (newest first) that left the window; amortised O(1) per request.
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

-- A burst request that trips: count requests in the window, counting it; it is not recorded.
local function burst_tripped(s, trip, count)
  local c = unmeasured()
  c[1] = count
  return trip or { rule = 'burst', monitor = s.bm, count = count, limit = s.bl }, c
end

-- Count one subject. Returns the trip (the first rule that tripped, in the order force, burst, auth, item,
-- suspicion) and the counts, or nil when nothing was measured that the engine reads.
local function count(s, now)
  local trip, c = nil, nil
  if s.force then trip = { rule = s.force.rule, monitor = s.force.monitor, note = s.force.note } end
  if s.bl then
    local limit, window, kb = s.bl, s.bw, s.base .. 'b'
    -- The burst log: a client's first request time is a plain string key (a third of a list's memory, and most
    -- clients of a flood send one request); from the second one in the window it is a list of times, newest first,
    -- holding at most limit entries. This request trips exactly when, counting it, more than limit times fall in
    -- the window. A tripped request is not recorded.
    local n = redis.pcall('LPUSHX', kb, now)
    if type(n) == 'table' then
      if not string.find(n.err or '', 'WRONGTYPE', 1, true) then error(n) end
      -- One earlier time, kept as a string.
      local t1 = tonumber(redis.call('GET', kb))
      local inside = t1 > now - window
      if (inside and 2 or 1) > limit then
        trip, c = burst_tripped(s, trip, limit + 1)
      elseif inside then
        redis.call('DEL', kb)
        redis.call('LPUSH', kb, t1, now)
        redis.call('PEXPIRE', kb, px(window))
      else
        redis.call('SET', kb, now, 'PX', px(window))
      end
    elseif n == 0 then
      -- No log yet.
      if limit < 1 then
        trip, c = burst_tripped(s, trip, 1)
      else
        redis.call('SET', kb, now, 'PX', px(window))
      end
    elseif n > limit and tonumber(redis.call('LINDEX', kb, limit)) > now - window then
      -- The entry limit places back (the oldest kept) is still inside the window.
      redis.call('LPOP', kb)
      trip, c = burst_tripped(s, trip, limit + 1)
    else
      if n > limit then redis.call('LTRIM', kb, 0, limit - 1) end
      redis.call('PEXPIRE', kb, px(window))
    end
  end
  if s.auth then
    local a, ka = s.auth, s.base .. 'a'
    c = c or unmeasured()
    trim(ka, now - a.window)
    redis.call('LPUSH', ka, now)
    redis.call('LTRIM', ka, 0, a.limit)
    redis.call('PEXPIRE', ka, px(a.window))
    local n = redis.call('LLEN', ka)
    c[2] = n
    if n > a.limit and not trip then trip = { rule = 'auth-failures', monitor = a.monitor, count = n, limit = a.limit } end
  end
  if s.item then
    local it, kitems = s.item, s.base .. 'i'
    c = c or unmeasured()
    redis.call('ZREMRANGEBYSCORE', kitems, '-inf', now - it.window)
    redis.call('ZADD', kitems, now, it.value)
    local n = redis.call('ZCARD', kitems)
    -- More than limit + 1 never matters: the rule has tripped by then.
    if n > it.limit + 1 then
      redis.call('ZREMRANGEBYRANK', kitems, 0, n - it.limit - 2)
      n = it.limit + 1
    end
    redis.call('PEXPIRE', kitems, px(it.window))
    c[3] = n
    if n > it.limit and not trip then trip = { rule = 'scraping', monitor = it.monitor, count = n, limit = it.limit } end
  end
  local signals = s.sus and s.sus.add or 0
  if s.ep then
    local e = s.ep
    c = c or unmeasured()
    local w = math.floor(now / e.window)
    local elapsed = now - w * e.window
    local curr, prev = 0, 0
    local st = redis.call('GET', s.ke)
    if st then
      local sw, sc, sp = string.match(st, '^(-?%d+):(%d+):(%d+)$')
      sw = tonumber(sw)
      if sw == w then curr, prev = tonumber(sc), tonumber(sp)
      elseif sw == w - 1 then prev = tonumber(sc) end
    end
    local estimate = prev * (e.window - elapsed) / e.window + curr
    local reset = e.window - elapsed
    if estimate + 1 > e.limit then
      c[5], c[6], c[7] = 0, 0, reset
      signals = signals + 1
    else
      redis.call('SET', s.ke, w .. ':' .. (curr + 1) .. ':' .. prev, 'PX', px(e.window + reset))
      c[5], c[6], c[7] = 1, math.max(0, math.floor(e.limit - estimate - 1)), reset
    end
  end
  if s.sus then
    local u, ks = s.sus, s.base .. 's'
    c = c or unmeasured()
    local n = trim(ks, now - u.window)
    if signals > 0 then
      local add = math.min(signals, u.limit + 1)
      for _ = 1, add do redis.call('LPUSH', ks, now) end
      redis.call('LTRIM', ks, 0, u.limit)
      redis.call('PEXPIRE', ks, px(u.window))
      n = redis.call('LLEN', ks)
    end
    c[4] = n
    if n > u.limit and not trip then trip = { rule = 'suspicion', monitor = u.monitor, count = n, limit = u.limit } end
  end
  return trip, c
end

-- Write the ban a trip asks for. A monitored trip never replaces a ban; an enforced one replaces a monitored ban.
local function ban_for(o, s, trip, now)
  local existing = read_ban(s.kban, now)
  if existing and (trip.monitor or existing.enforced) then return nil end
  local ttl_ms, factor, max_ttl, history, jitter = string.match(o.policy, '^([^:]+):([^:]+):([^:]+):([^:]+):([^:]+)$')
  ttl_ms, factor, max_ttl = tonumber(ttl_ms), tonumber(factor), tonumber(max_ttl)
  history, jitter = tonumber(history), tonumber(jitter)
  local offense = 1
  local koff = s.base .. 'off'
  if not trip.monitor then
    local past = redis.call('GET', koff)
    if past then
      local pc, pl = string.match(past, '^(%d+):(-?%d+)$')
      if now - tonumber(pl) < history then offense = tonumber(pc) + 1 end
    end
    if history > 0 then redis.call('SET', koff, offense .. ':' .. now, 'PX', history) end
  end
  local base = math.min(ttl_ms * factor ^ math.max(0, offense - 1), max_ttl)
  local ttl = math.max(1, math.floor(base * (1 + jitter) + 0.5))
  local b = { rule = trip.rule, createdAt = now, expiresAt = now + ttl, offense = offense, enforced = not trip.monitor,
    note = trip.note, count = trip.count, limit = trip.limit }
  write_ban(s.kban, b, ttl)
  -- An enforced ban starts the subject clean when it ends.
  if b.enforced then redis.call('DEL', s.base .. 'b', s.base .. 'a', s.base .. 'i', s.base .. 's') end
  if index then index_add(index, s.subject, b.expiresAt, now) end
  return b
end

local server_now = nil
local function hit(o)
  local now
  if o.now == '' then
    if not server_now then server_now = clock('') end
    now = server_now
  else
    now = tonumber(o.now)
  end
  -- 1. An enforced ban on any subject answers the request; nothing is counted. Most subjects have none: one HGET.
  local observed = nil
  for j = 1, o.n do
    local s = o[j]
    if redis.call('HGET', s.kban, 'x') then
      local b = read_ban(s.kban, now)
      if b then
        if b.enforced then return { now, encode_ban(s.subject, b, false), {} } end
        if not observed then observed = { s.subject, b } end
      end
    end
  end
  -- 2. Count every subject; 3. write the bans the trips ask for.
  local result, result_subject, counts = nil, nil, nil
  for j = 1, o.n do
    local s = o[j]
    local trip, c = count(s, now)
    if c then
      counts = counts or {}
      counts[j] = c
    end
    if trip then
      local b = ban_for(o, s, trip, now)
      if b and (not result or (not result.enforced and b.enforced)) then result, result_subject = b, s.subject end
    end
  end
  local ban = false
  if result then ban = encode_ban(result_subject, result, true)
  elseif observed then ban = encode_ban(observed[1], observed[2], false) end
  if not ban and not counts then return now end
  counts = counts or {}
  for j = 1, o.n do counts[j] = counts[j] or unmeasured() end
  return { now, ban, counts }
end

local replies = {}
for i, o in ipairs(ops) do
  local ok, r = pcall(hit, o)
  if ok then
    replies[i] = r
  elseif type(r) == 'table' and r.err then
    replies[i] = r.err
  else
    replies[i] = tostring(r)
  end
end
return replies
`
