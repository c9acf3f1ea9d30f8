import { createHash } from 'node:crypto'
import type { CommandArg, RedisClient } from './client.js'
import type { ScriptArg } from './hit-args.js'
import { HIT_FUNCTION, HIT_LIBRARY, HIT_LUA } from './lua/hit.js'
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
 *
 * `hit`, the script of every request, runs as a function (`FCALL`) where Redis offers them (7.0 and later, Valkey):
 * the library is loaded on every master the first time a call finds it missing, and once for good the store falls
 * back to EVALSHA when Redis does not know FCALL (6.x) or refuses FUNCTION LOAD (ACL).
 */
export class Scripts {
  private readonly sha: Record<ScriptName, string>
  /** Whether hits still try FCALL. */
  private functions: boolean
  /** The FUNCTION LOAD under way, shared by the calls that found the library missing. */
  private loading: Promise<void> | null = null

  constructor(
    private readonly client: RedisClient,
    functions = true,
  ) {
    this.functions = functions
    this.sha = {} as Record<ScriptName, string>
    for (const [name, lua] of Object.entries(LUA_SCRIPTS) as [ScriptName, string][]) {
      this.sha[name] = createHash('sha1').update(lua).digest('hex')
    }
  }

  /** Whether hits run as a function now (false once the store fell back to EVALSHA). */
  get usesFunctions(): boolean {
    return this.functions
  }

  /** EVALSHA, joining the client's automatic pipeline (ioredis) and routed by the first key on a Cluster. */
  run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (name === 'hit' && this.functions) return this.fcall(keys, args, false)
    return this.reloading(name, keys, args, false)
  }

  /** Like `run`, but written to the connection at once: for calls that are already batches. */
  send(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    if (name === 'hit' && this.functions) return this.fcall(keys, args, true)
    return this.reloading(name, keys, args, true)
  }

  /** FCALL the hit function; load the library when it is missing; fall back to EVALSHA for good without functions. */
  private fcall(keys: readonly string[], args: readonly ScriptArg[], now: boolean): Promise<unknown> {
    const call = (): Promise<unknown> =>
      this.client.command('fcall', [HIT_FUNCTION, keys.length, ...keys, ...args], keys[0], now)
    return call().catch((err: unknown) => {
      const message = err instanceof Error ? err.message : ''
      if (/function not found/i.test(message)) {
        return this.load().then(call, (loadErr: unknown) => {
          if (!refusesFunctions(loadErr)) throw loadErr
          this.functions = false
          return this.reloading('hit', keys, args, now)
        })
      }
      if (!refusesFunctions(err)) throw err
      this.functions = false
      return this.reloading('hit', keys, args, now)
    })
  }

  /** FUNCTION LOAD REPLACE on every master (replacing a library of this version changes nothing). */
  private load(): Promise<void> {
    this.loading ??= this.client
      .everyMaster('function', ['LOAD', 'REPLACE', HIT_LIBRARY])
      .then(() => {})
      .finally(() => {
        this.loading = null
      })
    return this.loading
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

/** Redis without functions (6.x: unknown command) or a user the ACL keeps from them (NOPERM). */
function refusesFunctions(err: unknown): boolean {
  return err instanceof Error && /unknown command|NOPERM|no permissions/i.test(err.message)
}
