import {
  type Bulwark,
  BulwarkError,
  configFromEnv,
  createBulwark,
  parseTarget,
  silentLogger,
} from '@bulwark/core'
import { RedisStore } from '../redis-store.js'
import { type Command, parseCommand, UsageError } from './args.js'
import { formatDuration } from './duration.js'
import { bansTable } from './format.js'
import { HELP } from './help.js'

export interface CliIo {
  env: Record<string, string | undefined>
  out(text: string): void
  err(text: string): void
}

/** Runs one `bulwark` command. Resolves to the exit status: 0 done, 1 runtime error, 2 usage error. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  let cmd: Command
  try {
    cmd = parseCommand(argv, io.env)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    io.err(`bulwark: ${error.message}\nRun 'bulwark --help' for usage.`)
    return 2
  }
  if (cmd.name === 'help') {
    io.out(HELP.trimEnd())
    return 0
  }
  if (cmd.deprecatedName !== undefined) {
    io.err(`bulwark: '${cmd.deprecatedName}' is deprecated; use '${cmd.name}'`)
  }

  let env: ReturnType<typeof configFromEnv>
  try {
    env = configFromEnv(io.env)
  } catch (error) {
    io.err(`bulwark: ${oneLine(error)}`)
    return 1
  }
  if (cmd.name === 'whitelist' && cmd.action !== 'list' && isRawApiKey(cmd.entry) && !env.apiKeySecret) {
    io.err(
      `bulwark: "${cmd.entry.slice(0, 60)}" is not an IP or CIDR, so it would be whitelisted as an API key, which needs BULWARK_KEY_SECRET (the app servers' secret); or pass the key: hash from the logs`,
    )
    return 2
  }

  const store = createStore(cmd)
  let engine: Bulwark | undefined
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer from Redis at ${redact(cmd.url)} within ${cmd.timeoutMs} ms`)),
      cmd.timeoutMs,
    )
    timer.unref()
  })
  try {
    return await Promise.race([
      timeout,
      (async () => {
        try {
          await store.ready()
        } catch {
          throw new Error(
            `cannot reach Redis at ${redact(cmd.url)}${store.lastError ? ` (${store.lastError.message})` : ''}`,
          )
        }
        // Bans are timed on the Redis clock: read it once so times shown here agree with the app servers.
        const offset = (await store.serverTime()) - Date.now()
        const clock = () => Date.now() + offset
        engine = createBulwark({
          ...env,
          whitelist: [],
          store,
          clock,
          logger: silentLogger,
          storeTimeoutMs: cmd.timeoutMs,
        })
        return await run(cmd, engine, store, io, clock)
      })(),
    ])
  } catch (error) {
    if (
      error instanceof BulwarkError &&
      (error.code === 'ERR_BULWARK_TARGET' || error.code === 'ERR_BULWARK_OPTIONS')
    ) {
      io.err(`bulwark: ${oneLine(error)}\nRun 'bulwark --help' for usage.`)
      return 2
    }
    io.err(`bulwark: ${oneLine(error)}`)
    return 1
  } finally {
    clearTimeout(timer)
    await (engine ?? store).close().catch(() => {})
  }
}

async function run(
  cmd: Command,
  engine: Bulwark,
  store: RedisStore,
  io: CliIo,
  clock: () => number,
): Promise<number> {
  switch (cmd.name) {
    case 'help':
      io.out(HELP.trimEnd())
      return 0
    case 'bans': {
      const bans = await engine.listBans()
      io.out(cmd.json ? JSON.stringify(bans, null, 2) : bansTable(bans, clock()))
      return 0
    }
    case 'ban': {
      const options: { ttlMs?: number; reason?: string } = {}
      if (cmd.ttlMs !== undefined) options.ttlMs = cmd.ttlMs
      if (cmd.reason !== undefined) options.reason = cmd.reason
      const info = await engine.ban(cmd.target, options)
      io.out(
        cmd.json
          ? JSON.stringify(info, null, 2)
          : `Banned ${info.target} for ${formatDuration(info.expiresAt - info.since)} (until ${new Date(info.expiresAt).toISOString()}): ${info.reason}`,
      )
      return 0
    }
    case 'unban': {
      const existed = await engine.unban(cmd.target)
      if (cmd.json) io.out(JSON.stringify({ target: cmd.target, unbanned: existed }))
      else io.out(existed ? `Unbanned ${cmd.target}` : `${cmd.target} was not banned (counters reset anyway)`)
      return 0
    }
    case 'whitelist': {
      if (cmd.action === 'list') {
        const entries = await store.whitelistList()
        if (cmd.json) io.out(JSON.stringify(entries))
        else io.out(entries.length === 0 ? 'The whitelist is empty.' : entries.join('\n'))
        return 0
      }
      if (cmd.action === 'add') {
        await engine.whitelist.add(cmd.entry)
        io.out(cmd.json ? JSON.stringify({ entry: cmd.entry, added: true }) : `Whitelisted ${cmd.entry}`)
        return 0
      }
      const removed = await engine.whitelist.remove(cmd.entry)
      if (cmd.json) io.out(JSON.stringify({ entry: cmd.entry, removed }))
      else io.out(removed ? `Removed ${cmd.entry} from the whitelist` : `${cmd.entry} was not whitelisted`)
      return 0
    }
  }
}

function createStore(cmd: Exclude<Command, { name: 'help' }>): RedisStore {
  const base = {
    prefix: cmd.prefix,
    commandTimeoutMs: cmd.timeoutMs,
    connectTimeoutMs: Math.min(cmd.timeoutMs, 5000),
  }
  if (cmd.cluster) {
    return new RedisStore({
      ...base,
      cluster: cmd.url.split(',').map((u) => {
        const url = new URL(u.trim())
        return { host: url.hostname, port: Number(url.port || 6379) }
      }),
      // One attempt: a shell command should fail, not wait for Redis to come back.
      clusterOptions: { clusterRetryStrategy: () => null, enableOfflineQueue: true },
    })
  }
  return new RedisStore({
    ...base,
    url: cmd.url,
    redisOptions: { retryStrategy: () => null, enableOfflineQueue: true },
  })
}

/** Core's own target parsing: what is neither an address, a CIDR nor a `key:` hash is a raw API key, to be hashed. */
function isRawApiKey(entry: string): boolean {
  let raw = false
  try {
    parseTarget(entry, (k) => {
      raw = true
      return k
    })
  } catch {
    return false // an address-like typo: the engine reports it
  }
  return raw
}

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.replace(/ \((ERR_BULWARK_[A-Z_]+), see [^)]*\)$/, ' [$1]').replace(/\s*\n\s*/g, ' ')
}

function redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@')
}
