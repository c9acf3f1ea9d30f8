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

export type ScriptName = keyof typeof LUA_SCRIPTS

type CommandFn = (...args: ScriptArg[]) => Promise<unknown>

/** Key counts seen per script are few (an op has one or two subjects); this bounds the command table anyway. */
const MAX_VARIANTS = 64

/**
 * Runs the scripts through ioredis `defineCommand`: calls go out as EVALSHA and are resent as EVAL on NOSCRIPT (after
 * a restart or SCRIPT FLUSH). Each script is defined once per number of keys, with that fixed `numberOfKeys`, so the
 * first argument ioredis sees is a key: auto-pipelining on a Cluster groups commands by that key's slot. Command names
 * carry the script's hash, so two versions of this package can share one client.
 */
export class Scripts {
  private readonly sha: Record<ScriptName, string>
  private readonly commands = new Map<string, CommandFn>()

  constructor(private readonly client: Redis | Cluster) {
    this.sha = {} as Record<ScriptName, string>
    for (const [name, lua] of Object.entries(LUA_SCRIPTS) as [ScriptName, string][]) {
      this.sha[name] = createHash('sha1').update(lua).digest('hex').slice(0, 12)
    }
  }

  run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const command = `bulwark_${name}_${this.sha[name]}_${keys.length}`
    let fn = this.commands.get(command)
    if (fn === undefined) fn = this.define(name, command, keys.length)
    return fn(...keys, ...args)
  }

  private define(name: ScriptName, command: string, numberOfKeys: number): CommandFn {
    const table = this.client as unknown as Record<string, CommandFn | undefined>
    if (typeof table[command] !== 'function') {
      this.client.defineCommand(command, { lua: LUA_SCRIPTS[name], numberOfKeys })
    }
    const fn = (table[command] as CommandFn).bind(this.client)
    if (this.commands.size < MAX_VARIANTS) this.commands.set(command, fn)
    return fn
  }
}
