import { createHash } from 'node:crypto'
import type { CommandArg, RedisClient } from './client.js'
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

export type ScriptName = 'hit' | 'setBan' | 'deleteBan' | 'getBan' | 'listBans' | 'indexBan' | 'whitelist'

/** Every Lua script, by the name the store calls it (to review them, or to SCRIPT LOAD them ahead of time). */
export const LUA_SCRIPTS: Readonly<Record<ScriptName, string>> = Object.freeze({
  hit: HIT_LUA,
  setBan: SET_BAN_LUA,
  deleteBan: DELETE_BAN_LUA,
  getBan: GET_BAN_LUA,
  listBans: LIST_BANS_LUA,
  indexBan: INDEX_BAN_LUA,
  whitelist: WHITELIST_LUA,
})

/**
 * Runs the scripts as EVALSHA and, when Redis answers NOSCRIPT (first use on a server, after a restart or SCRIPT
 * FLUSH), once more as EVAL, which also loads the script for the next calls. On a Cluster each call is routed by its
 * first key.
 */
export class Scripts {
  private readonly sha: Record<ScriptName, string>

  constructor(private readonly client: RedisClient) {
    this.sha = {} as Record<ScriptName, string>
    for (const [name, lua] of Object.entries(LUA_SCRIPTS) as [ScriptName, string][]) {
      this.sha[name] = createHash('sha1').update(lua).digest('hex')
    }
  }

  /** EVALSHA, joining the client's automatic pipeline (ioredis) and routed by the first key on a Cluster. */
  run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.reloading(name, keys, args, false)
  }

  /** Like `run`, but written to the connection at once: for calls that are already batches. */
  send(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.reloading(name, keys, args, true)
  }

  /** EVALSHA, then once EVAL if Redis does not know the script. */
  private reloading(
    name: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArg[],
    now: boolean,
  ): Promise<unknown> {
    const call = (script: string): CommandArg[] => [script, keys.length, ...keys, ...args]
    return this.client.command('evalsha', call(this.sha[name]), keys[0], now).catch((err: unknown) => {
      if (!isNoScript(err)) throw err
      return this.client.command('eval', call(LUA_SCRIPTS[name]), keys[0], now)
    })
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT')
}
