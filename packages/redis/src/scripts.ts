import { createHash } from 'node:crypto'
import { type Cluster, Command, type Redis } from 'ioredis'
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
 * FLUSH), once more as EVAL, which also loads the script for the next calls. Plain EVALSHA/EVAL commands (rather
 * than ioredis `defineCommand`) are routed by their first key on a Cluster and auto-pipelined like any command.
 */
export class Scripts {
  private readonly sha: Record<ScriptName, string>

  constructor(private readonly client: Redis | Cluster) {
    this.sha = {} as Record<ScriptName, string>
    for (const [name, lua] of Object.entries(LUA_SCRIPTS) as [ScriptName, string][]) {
      this.sha[name] = createHash('sha1').update(lua).digest('hex')
    }
  }

  /** EVALSHA through ioredis (auto-pipelined; routed by the first key on a Cluster). */
  run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.reloading(name, (command, script) =>
      command === 'evalsha'
        ? this.client.evalsha(script, keys.length, ...keys, ...args)
        : this.client.eval(script, keys.length, ...keys, ...args),
    )
  }

  /**
   * Like `run`, but written to the connection at once instead of joining ioredis' auto-pipeline (which waits for the
   * next event-loop turn): for calls that are already batches. Single servers only.
   */
  send(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    const client = this.client as Redis
    return this.reloading(name, (command, script) => {
      const cmd = new Command(command, [script, keys.length, ...keys, ...args], {
        replyEncoding: 'utf8',
        keyPrefix: client.options.keyPrefix,
      })
      client.sendCommand(cmd)
      return cmd.promise
    })
  }

  /** `call('evalsha', sha)`, then once `call('eval', source)` if Redis does not know the script. */
  private reloading(
    name: ScriptName,
    call: (command: 'evalsha' | 'eval', script: string) => Promise<unknown>,
  ): Promise<unknown> {
    return call('evalsha', this.sha[name]).catch((err: unknown) => {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return call('eval', LUA_SCRIPTS[name])
    })
  }
}
