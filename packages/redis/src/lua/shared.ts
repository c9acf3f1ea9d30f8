/**
 * Lua helpers shared by the scripts. Times are integer milliseconds; Redis turns Lua numbers into integer replies
 * and formats them with 14 significant digits when passed to commands, so every time and TTL here stays integral.
 */
export const LUA_SHARED = `
local function clock(arg)
  if arg == '' then
    local t = redis.call('TIME')
    return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return tonumber(arg)
end

-- The ban at key if it is still in force at now, else nil (a ban past its end is deleted).
local function read_ban(key, now)
  local v = redis.call('HMGET', key, 'r', 'c', 'x', 'o', 'e', 'n', 'k', 'l', 'p')
  if not v[1] then return nil end
  local x = tonumber(v[3])
  if x <= now then
    redis.call('DEL', key)
    return nil
  end
  return { rule = v[1], createdAt = tonumber(v[2]), expiresAt = x, offense = tonumber(v[4]),
    enforced = v[5] == '1', note = v[6], count = tonumber(v[7]), limit = tonumber(v[8]), limited = v[9] == '1' }
end

-- The reply shape of a ban, decoded by decodeBan() in replies.ts.
local function encode_ban(subject, b, created)
  return { subject, b.rule, b.createdAt, b.expiresAt, b.offense, b.enforced and 1 or 0, created and 1 or 0,
    b.note or false, b.count or -1, b.limit or -1, b.limited and 1 or 0 }
end

-- Replace the ban at key; the key lives exactly as long as the ban.
local function write_ban(key, b, ttl)
  redis.call('DEL', key)
  local f = { 'r', b.rule, 'c', b.createdAt, 'x', b.expiresAt, 'o', b.offense, 'e', b.enforced and 1 or 0 }
  if b.note then f[#f + 1] = 'n'; f[#f + 1] = b.note end
  if b.count then f[#f + 1] = 'k'; f[#f + 1] = b.count end
  if b.limit then f[#f + 1] = 'l'; f[#f + 1] = b.limit end
  if b.limited then f[#f + 1] = 'p'; f[#f + 1] = 1 end
  redis.call('HSET', key, unpack(f))
  redis.call('PEXPIRE', key, math.max(1, ttl))
end

-- Keep the ban index: add or move one entry, drop ended bans, expire the index with its last ban.
local function index_add(index, subject, expiresAt, now)
  redis.call('ZADD', index, expiresAt, subject)
  redis.call('ZREMRANGEBYSCORE', index, '-inf', now)
  local top = redis.call('ZRANGE', index, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIRE', index, math.max(1, tonumber(top[2]) - now)) end
end

local function index_remove(index, subject)
  redis.call('ZREM', index, subject)
end
`
