import { LUA_SHARED } from './shared.js'

/**
 * Write or replace a ban (manual bans) and publish it.
 * KEYS: ban, off, the built-in counters (b, a, i, s) [, ban index when ARGV[13] = '1']
 * ARGV: 1 now ('' = Redis TIME, else the client's now), 2 subject, 3 rule, 4 createdAt, 5 expiresAt, 6 offense,
 *       7 enforced, 8 note ('' = none, else '=' .. note), 9 count ('' = none), 10 limit ('' = none), 11 channel,
 *       12 message prefix (the JSON message up to `"expiresAt":`), 13 indexed ('1'/'0')
 * On the Redis clock the ban keeps its duration and is anchored at TIME. An enforced ban clears the counters.
 * Reply: the stored ban.
 */
export const SET_BAN_LUA = `${LUA_SHARED}
local last, index = #KEYS, nil
if ARGV[13] == '1' then index = KEYS[last]; last = last - 1 end
local created, expires = tonumber(ARGV[4]), tonumber(ARGV[5])
local now
if ARGV[1] == '' then
  now = clock('')
  expires = now + (expires - created)
  created = now
else
  now = tonumber(ARGV[1])
end
local note = ARGV[8]
local b = { rule = ARGV[3], createdAt = created, expiresAt = expires, offense = tonumber(ARGV[6]),
  enforced = ARGV[7] == '1', note = (note ~= '') and string.sub(note, 2) or nil,
  count = tonumber(ARGV[9]), limit = tonumber(ARGV[10]) }
if expires > now then
  write_ban(KEYS[1], b, expires - now)
  if index then index_add(index, ARGV[2], expires, now) end
else
  redis.call('DEL', KEYS[1])
  if index then index_remove(index, ARGV[2]) end
end
if b.enforced and last >= 3 then redis.call('DEL', unpack(KEYS, 3, last)) end
redis.call('PUBLISH', ARGV[11], ARGV[12] .. string.format('%d', expires) .. '}')
return encode_ban(ARGV[2], b, true)
`

/**
 * Remove a ban and forget the subject's counters and offense history, then publish the unban.
 * KEYS: ban, off, the built-in counters (b, a, i, s) [, ban index when ARGV[4] = '1']
 * ARGV: 1 subject, 2 channel, 3 message, 4 indexed ('1'/'0')
 * Reply: 1 when a ban existed, else 0.
 */
export const DELETE_BAN_LUA = `${LUA_SHARED}
local last, index = #KEYS, nil
if ARGV[4] == '1' then index = KEYS[last]; last = last - 1 end
local existed = redis.call('DEL', KEYS[1])
if last >= 2 then redis.call('DEL', unpack(KEYS, 2, last)) end
if index then index_remove(index, ARGV[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return existed
`

/**
 * Read one ban. KEYS: ban   ARGV: 1 now ('' = Redis TIME), 2 subject
 * Reply: { now, ban or nil }
 */
export const GET_BAN_LUA = `${LUA_SHARED}
local now = clock(ARGV[1])
local b = read_ban(KEYS[1], now)
if b then return { now, encode_ban(ARGV[2], b, false) } end
return { now, false }
`

/**
 * The subjects of the bans in force, soonest to end first, after dropping ended ones from the index.
 * KEYS: ban index   ARGV: 1 now ('' = Redis TIME)   Reply: { now, subject... }
 */
export const LIST_BANS_LUA = `${LUA_SHARED}
local now = clock(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local out = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', now), '+inf')
table.insert(out, 1, now)
return out
`

/**
 * Index a ban written by a hit on a Redis Cluster, where the index lives in another slot than the ban.
 * KEYS: ban index   ARGV: 1 subject, 2 expiresAt, 3 now
 */
export const INDEX_BAN_LUA = `${LUA_SHARED}
index_add(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]))
return 1
`

/**
 * Change the whitelist and publish the change. KEYS: whitelist   ARGV: 1 'add' | 'remove', 2 entry, 3 channel, 4 message
 * Reply: 1 when the set changed, else 0.
 */
export const WHITELIST_LUA = `
local changed
if ARGV[1] == 'add' then changed = redis.call('SADD', KEYS[1], ARGV[2]) else changed = redis.call('SREM', KEYS[1], ARGV[2]) end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return changed
`
