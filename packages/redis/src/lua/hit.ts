import { createHash } from 'node:crypto'
import { MANAGED_COUNTER_KEYS } from '../keys.js'
import { COUNT_SECTIONS, type CountSection, LUA_COUNT_HELPERS } from './counts/index.js'
import { LUA_SHARED } from './shared.js'

const sections: readonly CountSection[] = Object.values(COUNT_SECTIONS)
const byte = (s: CountSection) => s.code.charCodeAt(0)

/** Each section as one function: its parse, then its count (see CountSection). */
const functions = sections
  .map(
    (s) =>
      `-- ${s.code}: ${s.kind}\nlocal function count_${s.kind}(c, key, a, now)${s.parse}${s.count}\nend\n`,
  )
  .join('\n')

/**
 * Lua: apply the count whose spec `c` is at ARGV[a], setting `measure` and `t`. An if chain rather than a table: no
 * table to build on every call, and the common kind comes first.
 */
const dispatch = `${sections
  .map(
    (s, i) =>
      `${i === 0 ? 'if' : 'elseif'} code == ${byte(s)} then
      measure, t = count_${s.kind}(c, key, a, now)`,
  )
  .join('\n    ')}
    end`

/** Lua expression: the ARGV entries of a count with upper-case `code`, spec included (nil for an unknown code). */
const width = `(${sections.map((s) => `code == ${byte(s)} and ${1 + s.fields}`).join(' or ')})`

/** Lua expression: an enforced ban clears the counter of a count with upper-case `code`. */
const clears = sections
  .filter((s) => s.clearedByBan)
  .map((s) => `code == ${byte(s)}`)
  .join(' or ')

/**
 * The definitions of the hit script: helpers, the count sections and `main()`, which reads `KEYS` and `ARGV`. Run
 * as EVALSHA (`defs` then `return main()`: Redis runs the whole chunk, so builds every function, on each call) or
 * as a function library (`defs` run once when the library loads; each FCALL only sets `KEYS` and `ARGV` and calls
 * `main()`; the spec and header caches live from call to call).
 */
const HIT_DEFS = `${LUA_SHARED}${LUA_COUNT_HELPERS}
-- The suspicious refusals of the current subject's window counts so far (read by an events count with addRefused).
local refused = 0
-- Parsed count specs and op headers, by their ARGV string (bounded: cleared when full).
local specs, nspecs = {}, 0
local headers, nheaders = {}, 0

-- A count's spec \`<code><limit>,<windowMs>,<flag>,<key>[}<rule>]\` as a table, parsed once per distinct spec.
local function spec_of(arg)
  local c = specs[arg]
  if c then return c end
  local head, l, w, f, key, rule = string.match(arg, '^(.)([^,]*),([^,]*),([^,]*),([^}]*)}?(.*)$')
  if not head then error('invalid count spec ' .. arg) end
  local code = string.byte(head)
  local monitor = code >= 97
  if monitor then code = code - 32 end
  local wd = ${width}
  if not wd then error('unknown count code ' .. head) end
  c = { code = code, monitor = monitor, limit = tonumber(l), window = tonumber(w), flag = f == '1', suffix = key,
    rule = rule, width = wd }
  if nspecs >= 256 then specs, nspecs = {}, 0 end
  specs[arg] = c
  nspecs = nspecs + 1
  return c
end

-- An op's header \`<now>|<counts of subject 1>,<counts of subject 2>…|<ban policy>\` as a table (h.n subjects, h[j]
-- counts of subject j, h.policy, h.now unless on the Redis clock). Headers on the Redis clock repeat: parsed once.
local function header_of(arg)
  local h = headers[arg]
  if h then return h end
  local at, list, policy = string.match(arg, '^([^|]*)|([^|]*)|(.*)$')
  if not at then error('invalid op header ' .. arg) end
  h = { n = 0, policy = policy }
  for x in string.gmatch(list, '%d+') do
    h.n = h.n + 1
    h[h.n] = tonumber(x)
  end
  if at == '' then
    if nheaders >= 256 then headers, nheaders = {}, 0 end
    headers[arg] = h
    nheaders = nheaders + 1
  else
    h.now = tonumber(at)
  end
  return h
end

-- The subject of a ban key \`<prefix>{<tag>}:ban\` (the tag unescaped, see subjectTag in keys.ts).
local function subject_of(kban)
  local tag = string.match(kban, '{([^{}]*)}:ban$')
  if tag == '%' then return '' end
  return (string.gsub(tag, '%%(%x%x)', function(x) return string.char(tonumber(x, 16)) end))
end

${functions}
local index, server_now = nil, nil

-- Count one subject (its ban key, its first count at ARGV[a], nc counts), its counts in order. Returns the trip (the
-- first count that tripped), the measures (nil when nothing was measured) and the ARGV index after the subject.
local function count(kban, a, nc, now)
  local base = string.sub(kban, 1, -4)
  local trip, m = nil, nil
  refused = 0
  for j = 1, nc do
    local c = spec_of(ARGV[a])
    local code, key = c.code, base .. c.suffix
    local measure, t
    ${dispatch}
    a = a + c.width
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
local function ban_for(policy, kban, a, nc, trip, now)
  local existing = read_ban(kban, now)
  if existing and (trip.monitor or existing.enforced) then return nil end
  local ttl_ms, factor, max_ttl, history, jitter, w, cap = string.match(policy, '^([^:]+):([^:]+):([^:]+):([^:]+):([^:]+):?(w?)(%d*)$')
  ttl_ms, factor, max_ttl = tonumber(ttl_ms), tonumber(factor), tonumber(max_ttl)
  history, jitter = tonumber(history), tonumber(jitter)
  local base = string.sub(kban, 1, -4)
  -- A suspected proxy's short limit lands on its address only: a key or a user it also counted is banned as usual.
  if w == 'w' and string.sub(string.match(kban, '{([^{}]*)}:ban$') or '', 1, 3) ~= 'ip:' then w = '' end
  cap = tonumber(cap)
  local offense = 1
  local koff = base .. 'off'
  -- A suspected proxy's short limit (policy suffix w) is no offense: it never escalates a later ban.
  if not trip.monitor and w ~= 'w' then
    local past = redis.call('GET', koff)
    if past then
      local pc, pl = string.match(past, '^(%d+):(-?%d+)$')
      if now - tonumber(pl) < history then offense = tonumber(pc) + 1 end
    end
    if history > 0 then redis.call('SET', koff, offense .. ':' .. now, 'PX', history) end
  end
  local ttl
  if w == 'w' then
    -- A suspected proxy: no longer than the window of the rule that tripped, nor than its cap (60 s).
    ttl = math.max(1, math.min(trip.window or cap, cap))
  else
    local ttl_base = math.min(ttl_ms * factor ^ math.max(0, offense - 1), max_ttl)
    ttl = math.max(1, math.floor(ttl_base * (1 + jitter) + 0.5))
  end
  local b = { rule = trip.rule, createdAt = now, expiresAt = now + ttl, offense = offense, enforced = not trip.monitor,
    note = trip.note, count = trip.count, limit = trip.limit, limited = w == 'w' }
  write_ban(kban, b, ttl)
  if b.enforced then
    -- An enforced ban starts the subject clean when it ends: the built-in counters and the op's own (not windows).
    local keys = { ${MANAGED_COUNTER_KEYS.map((k) => `base .. '${k}'`).join(', ')} }
    for _ = 1, nc do
      local c = spec_of(ARGV[a])
      local code = c.code
      if ${clears} then keys[#keys + 1] = base .. c.suffix end
      -- A spread count's sources live beside its log.
      if code == ${byte(COUNT_SECTIONS.spread)} then
        keys[#keys + 1] = base .. c.suffix .. '.s'
        keys[#keys + 1] = base .. c.suffix .. '.n'
      end
      a = a + c.width
    end
    redis.call('DEL', unpack(keys))
  end
  if index then index_add(index, subject_of(kban), b.expiresAt, now) end
  return b
end

-- One op: its header h (at ARGV[a]), its subjects' ban keys from KEYS[k]. Returns its reply and, when it went
-- through all of its counts, the ARGV index of the next op.
local function hit(a, k, h)
  local now = h.now
  if not now then
    if not server_now then server_now = clock('') end
    now = server_now
  end
  local n = h.n
  a = a + 1
  -- 1. An enforced ban on any subject answers the request; nothing is counted. Most subjects have none: one HGET.
  local observed = nil
  for j = 1, n do
    local kban = KEYS[k + j - 1]
    if redis.call('HGET', kban, 'x') then
      local b = read_ban(kban, now)
      if b then
        if b.enforced then return { now, encode_ban(subject_of(kban), b, false), {} } end
        if not observed then observed = { subject_of(kban), b } end
      end
    end
  end
  -- 2. Count every subject; 3. write the bans the trips ask for.
  local result, result_subject, counts = nil, nil, nil
  for j = 1, n do
    local kban = KEYS[k + j - 1]
    local first = a
    local trip, m
    trip, m, a = count(kban, a, h[j], now)
    if m then
      counts = counts or {}
      counts[j] = m
    end
    if trip then
      local b = ban_for(h.policy, kban, first, h[j], trip, now)
      if b and (not result or (not result.enforced and b.enforced)) then result, result_subject = b, subject_of(kban) end
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
-- next op is found by walking past its counts.
local function main()
  index, server_now = nil, nil
  local ki = 1
  if ARGV[1] == '1' then index = KEYS[1]; ki = 2 end
  local replies = {}
  local ai, nargs = 2, #ARGV
  while ai <= nargs do
    local h = header_of(ARGV[ai])
    local ok, r, after = pcall(hit, ai, ki, h)
    if ok then
      replies[#replies + 1] = r
    elseif type(r) == 'table' and r.err then
      replies[#replies + 1] = r.err
    else
      replies[#replies + 1] = tostring(r)
    end
    if not after then
      after = ai + 1
      for j = 1, h.n do
        for _ = 1, h[j] do after = after + spec_of(ARGV[after]).width end
      end
    end
    ki = ki + h.n
    ai = after
  end
  return replies
end
`

/**
 * Everything inspected requests need, in one atomic call. A call carries one op or a batch of ops (requests that
 * waited for the same round trip); each op is applied in order, exactly as if it had its own call. Per op: the ban
 * check for every subject, then per subject its counts in order (each by its kind's section, see `counts/`), and the
 * ban the first count that trips writes (with escalation, counter reset and the ban index on a single node).
 *
 * KEYS: [ban index, when ARGV[1] = '1'] then per op, per subject its ban key `<base>ban`. A subject's other keys
 *       (`<base>off` and the counters `<base><key>`) are derived from it: they share its hash tag, so they live in
 *       the same cluster slot; so is the subject's name, when a ban needs it.
 * ARGV: 1 indexed ('1'/'0'), then per op: its header `<now>|<counts per subject, comma-separated>|<ban policy>`
 *       (now '' = Redis TIME, read once per call; the policy `ttlMs:factor:maxTtlMs:historyMs:jitter` is read only
 *       when a ban is written), then per subject, per count its spec and its fields. The spec is the kind's code (R
 *       requests, E events, D distinct, W window, B ban; lower case for a monitored count), three numbers, the
 *       counter key and, for kinds that trip, `}` and the rule: `R50,1000,0,b}burst`, `e10,60000,0,a}auth-failures`,
 *       `W5,60000,1,e:GET /login`, `B0,0,0,}scanner`. Numbers, then fields:
 *       R: limit, windowMs, 0 — no field       E: limit, windowMs, addRefused — add
 *       D: limit, windowMs, 0 — value          W: limit, windowMs, suspicious — cost
 *       B: 0, 0, 0 — note ('' = none, else '=' .. note)
 *       An unknown code or a malformed spec or header fails the whole call (the client never sends one).
 * Reply: one entry per op:
 *        - an error message: that op failed (the others are unaffected);
 *        - now (an integer): no ban, and nothing measured (the common request);
 *        - { now, ban or nil, counts } where counts is empty when an enforced ban already existed, else one list
 *          per subject of its counts' measures (-1 = not measured; may stop at the last measured count): a number,
 *          or { allowed (1/0), remaining, resetMs } for a window.
 *
 * The common request (no ban, one requests count) is two ARGV entries and one key, and runs HGET, LPUSHX and
 * PTTL (PEXPIRE too once a window; a new client: HGET, LPUSHX, SET), plus one TIME per call, with no Lua table of its own: every ARGV entry,
 * `redis.call` and table costs the server's single thread, and a batch shares the call's fixed cost.
 */
export const HIT_LUA = `${HIT_DEFS}
return main()
`

/** Version of the function library: the first 12 hex digits of the SHA1 of the hit script. */
const HIT_VERSION = createHash('sha1').update(HIT_LUA).digest('hex').slice(0, 12)

/** The function the library registers (named for its version, so versions never replace each other). */
export const HIT_FUNCTION = `bulwark_hit_${HIT_VERSION}`

/**
 * The hit script as a Redis ≥ 7 function library (`FUNCTION LOAD`, then `FCALL <HIT_FUNCTION>` with the same KEYS
 * and ARGV): the definitions run once, when the library loads, instead of on every call.
 */
export const HIT_LIBRARY = `#!lua name=bulwark_${HIT_VERSION}
local KEYS, ARGV
${HIT_DEFS}
redis.register_function('${HIT_FUNCTION}', function(keys, args)
  KEYS, ARGV = keys, args
  return main()
end)
`
