import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'
import type { ScriptArg } from './hit-args.js'
import { HIT_LUA } from './lua/hit.js'
import {
  DELETE_BAN_LUA,
  GET_BAN_LUA,
  INDEX_BAN_LUA,
  LIST_BANS_LUA,
  SET_BAN_LUA,
  WHITELIST_LUA,
} from './lua/manage.js'

/** Every script, by the name the store calls it. */
export const LUA_SCRIPTS = {
  hit: HIT_LUA,
  setBan: SET_BAN_LUA,
  deleteBan: DELETE_BAN_LUA,
  getBan: GET_BAN_LUA,
  listBans: LIST_BANS_LUA,
  indexBan: INDEX_BAN_LUA,
  whitelist: WHITELIST_LUA,
} as const

/** Call a script: the first argument is the number of keys, then the keys, then ARGV. */
export type ScriptCall = (...args: ScriptArg[]) => Promise<unknown>
export type Scripts = Record<keyof typeof LUA_SCRIPTS, ScriptCall>

/**
 * Register the scripts on a client with ioredis `defineCommand`: calls go out as EVALSHA and are resent as EVAL on
 * NOSCRIPT (after a restart or SCRIPT FLUSH). Command names carry the script's hash, so two versions of this package
 * can share one client.
 */
export function defineScripts(client: Redis | Cluster): Scripts {
  const commands = client as unknown as Record<string, ScriptCall | undefined>
  const out = {} as Scripts
  for (const [name, lua] of Object.entries(LUA_SCRIPTS) as [keyof typeof LUA_SCRIPTS, string][]) {
    const command = `bulwark_${name}_${createHash('sha1').update(lua).digest('hex').slice(0, 12)}`
    if (typeof commands[command] !== 'function') client.defineCommand(command, { lua })
    out[name] = (commands[command] as ScriptCall).bind(client)
  }
  return out
}
