import { BUILTIN_KEYS } from '../keys.js'
import { COUNT_SECTIONS, type CountSection, LUA_COUNT_HELPERS } from './counts/index.js'
import { LUA_SHARED } from './shared.js'

const sections: readonly CountSection[] = Object.values(COUNT_SECTIONS)
const byte = (s: CountSection) => s.code.charCodeAt(0)

/** Each section as one function: its parse, then its count (see CountSection). */
const functions = sections
  .map(
    (s) =>
      `-- ${s.code}: ${s.kind}\nlocal function count_${s.kind}(s, a, now, monitor, key, sep)${s.parse}${s.count}\nend\n`,
  )
  .join('\n')

/**
 * Lua: apply the count whose head is ARGV[a] (its upper-case code in `code`, its counter key in `key`, the `}` before
 * its rule at `sep`), setting `measure`, `t` and the next `a`. An if chain rather than a table: no table to build on
 * every call, and the common kind comes first.
 */
const dispatch = `${sections
  .map(
    (s, i) =>
      `${i === 0 ? 'if' : 'elseif'} code == ${byte(s)} then
      measure, t = count_${s.kind}(s, a, now, monitor, key, sep)
      a = a + ${1 + s.fields}`,
  )
  .join('\n    ')}
    else
      error('unknown count code ' .. code)
    end`

/** Lua expression: the ARGV entries of the count with upper-case `code`, head included (false for an unknown code). */
const width = `(${sections.map((s) => `code == ${byte(s)} and ${1 + s.fields}`).join(' or ')})`

/**
 * Lua statements: move `at` from the first of `n` subjects (ARGV[at] = its name) past the last one's counts. Walks
 * only what an op's answer needs (the name of a banned subject, or the next op when this one ended early).
 */
const walk = (at: string, n: string) => `for _ = 1, ${n} do
      local nc = tonumber(ARGV[${at} + 1])
      ${at} = ${at} + 2
      for _ = 1, nc do
        local code = string.byte(ARGV[${at}])
        if code >= 97 then code = code - 32 end
        ${at} = ${at} + ${width}
      end
    end`

/** Lua expression: an enforced ban clears the counter of a count with upper-case `code`. */
const clears = sections
  .filter((s) => s.clearedByBan)
  .map((s) => `code == ${byte(s)}`)
  .join(' or ')

/**
 * Everything inspected requests need, in one atomic call. A call carries one op or a batch of ops (requests that
 * waited for the same round trip); each op is applied in order, exactly as if it had its own call. Per op: the ban
 * check for every subject, then per subject its counts in order (each by its kind's section, see `counts/`), and the
 * ban the first count that trips writes (with escalation, counter reset and the ban index on a single node).
 *
 * KEYS: [ban index, when ARGV[1] = '1'] then per op, per subject its ban key `<base>ban`. A subject's other keys
 *       (`<base>off` and the counters `<base><key>`) are derived from it: they share its hash tag, so they live in
 *       the same cluster slot.
 * ARGV: 1 indexed ('1'/'0'), then per op:
 *       now ('' = Redis TIME, read once per call), the ban policy `ttlMs:factor:maxTtlMs:historyMs:jitter` (read only
 *       when a ban is written), number of subjects, then per subject: subject, number of counts, then per count its
 *       head and its fields. The head is the kind's code (R requests, E events, D distinct, W window, B ban; lower
 *       case for a monitored count), the counter key and, for kinds that trip, `}` and the rule: `Rb}burst`,
 *       `ea}auth-failures`, `We:GET /login`, `B}scanner`. Fields:
 *       R: limit, windowMs     E: limit, windowMs, add, addRefused ('1'/'0')     D: limit, windowMs, value
 *       W: limit, windowMs, cost, suspicious ('1'/'0')     B: note ('' = none, else '=' .. note)
 *       The client sends only codes the script knows (an unknown one fails the whole call).
 * Reply: one entry per op:
 *        - an error message: that op failed (the others are unaffected);
 *        - now (an integer): no ban, and nothing measured (the common request);
 *        - { now, ban or nil, counts } where counts is empty when an enforced ban already existed, else one list
 *          per subject of its counts' measures (-1 = not measured; may stop at the last measured count): a number,
 *          or { allowed (1/0), remaining, resetMs } for a window.
 *
 * The common request (no ban, one requests count) runs HGET, LPUSHX and PEXPIRE (a new client: HGET, LPUSHX, SET),
 * plus one TIME per call, and allocates little: each `redis.call` and each table costs the server's single thread,
 * and a batch shares the call's fixed cost.
 */
export const HIT_LUA = `${LUA_SHARED}${LUA_COUNT_HELPERS}
${functions}
local index = nil
local ki = 1
if ARGV[1] == '1' then index = KEYS[1]; ki = 2 end

-- Count one subject, its counts in order. Returns the trip (the first count that tripped), the measures (nil when
-- nothing was measured) and the ARGV index after the subject.
local function count(s, now)
  local trip, m = nil, nil
  local a = s.a
  for j = 1, s.n do
    local head = ARGV[a]
    local code = string.byte(head)
    local monitor = code >= 97
    if monitor then code = code - 32 end
    local sep = string.find(head, '}', 2, true)
    local key = s.base .. string.sub(head, 2, (sep or 0) - 1)
    local measure, t
    ${dispatch}
    if measure ~= nil then
      m = m or {}
      for u = #m + 1, j - 1 do m[u] = -1 end
      m[j] = measure
    end
    if t and not trip then trip = t end
  end
  return trip, m, a
end

-- Write the ban a trip asks for. A monitored trip never replaces a ban; an enforced one replaces a monitored ban.
local function ban_for(policy, s, trip, now)
  local existing = read_ban(s.kban, now)
  if existing and (trip.monitor or existing.enforced) then return nil end
  local ttl_ms, factor, max_ttl, history, jitter = string.match(policy, '^([^:]+):([^:]+):([^:]+):([^:]+):([^:]+)$')
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
  if b.enforced then
    -- An enforced ban starts the subject clean when it ends: the built-in counters and the op's own (not windows).
    local keys = { ${BUILTIN_KEYS.map((k) => `s.base .. '${k}'`).join(', ')} }
    local a = s.a
    for _ = 1, s.n do
      local head = ARGV[a]
      local code = string.byte(head)
      if code >= 97 then code = code - 32 end
      if ${clears} then keys[#keys + 1] = s.base .. string.sub(head, 2, (string.find(head, '}', 2, true) or 0) - 1) end
      a = a + ${width}
    end
    redis.call('DEL', unpack(keys))
  end
  if index then index_add(index, s.subject, b.expiresAt, now) end
  return b
end

local server_now = nil
-- One op: its arguments start at ARGV[a], its subjects' ban keys at KEYS[k]. Returns its reply and, when it went
-- through all of its counts, the ARGV index of the next op.
local function hit(a, k)
  local policy, n = ARGV[a + 1], tonumber(ARGV[a + 2])
  local now
  if ARGV[a] == '' then
    if not server_now then server_now = clock('') end
    now = server_now
  else
    now = tonumber(ARGV[a])
  end
  a = a + 3
  -- 1. An enforced ban on any subject answers the request; nothing is counted. Most subjects have none: one HGET.
  local observed = nil
  for j = 1, n do
    local kban = KEYS[k + j - 1]
    if redis.call('HGET', kban, 'x') then
      local b = read_ban(kban, now)
      if b then
        -- The subject's name: walk past the subjects before it.
        local at = a
        ${walk('at', 'j - 1')}
        if b.enforced then return { now, encode_ban(ARGV[at], b, false), {} } end
        if not observed then observed = { ARGV[at], b } end
      end
    end
  end
  -- 2. Count every subject; 3. write the bans the trips ask for.
  local result, result_subject, counts = nil, nil, nil
  for j = 1, n do
    local kban = KEYS[k + j - 1]
    local s = { subject = ARGV[a], kban = kban, base = string.sub(kban, 1, -4), a = a + 2, n = tonumber(ARGV[a + 1]) }
    local trip, m
    trip, m, a = count(s, now)
    if m then
      counts = counts or {}
      counts[j] = m
    end
    if trip then
      local b = ban_for(policy, s, trip, now)
      if b and (not result or (not result.enforced and b.enforced)) then result, result_subject = b, s.subject end
    end
  end
  local ban = false
  if result then ban = encode_ban(result_subject, result, true)
  elseif observed then ban = encode_ban(observed[1], observed[2], false) end
  if not ban and not counts then return now, a end
  counts = counts or {}
  for j = 1, n do counts[j] = counts[j] or {} end
  return { now, ban, counts }, a
end

-- Each op in its own protected call: an op that fails (a key of the wrong type, a bad argument) fails alone, and the
-- next op is found by walking past its subjects.
local replies = {}
local ai, nargs = 2, #ARGV
while ai <= nargs do
  local n = tonumber(ARGV[ai + 2])
  local ok, r, after = pcall(hit, ai, ki)
  if ok then
    replies[#replies + 1] = r
  elseif type(r) == 'table' and r.err then
    replies[#replies + 1] = r.err
  else
    replies[#replies + 1] = tostring(r)
  end
  if not after then
    after = ai + 3
    ${walk('after', 'n')}
  end
  ki = ki + n
  ai = after
end
return replies
`
