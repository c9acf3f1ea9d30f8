import { parseArgs } from 'node:util'
import { REDIS_STORE_DEFAULTS } from '../options.js'
import { parseDuration } from './duration.js'

/** A mistake on the command line: exit status 2. */
export class UsageError extends Error {
  readonly code = 'ERR_BULWARK_USAGE'
  override readonly name = 'UsageError'
}

interface Common {
  url: string
  cluster: boolean
  prefix: string
  timeoutMs: number
  json: boolean
  /** The deprecated name the command was given by (`block` for `ban`), to say so. */
  deprecatedName?: DeprecatedCommand
}

export type Command =
  | { name: 'help' }
  | (Common & { name: 'bans' })
  | (Common & { name: 'ban'; target: string; ttlMs?: number; reason?: string })
  | (Common & { name: 'unban'; target: string })
  | (Common & { name: 'whitelist'; action: 'list' })
  | (Common & { name: 'whitelist'; action: 'add' | 'remove'; entry: string })

/** The old command names, still accepted (for one release) as synonyms of the new ones. */
export const DEPRECATED_COMMANDS = { blocks: 'bans', block: 'ban', unblock: 'unban' } as const
export type DeprecatedCommand = keyof typeof DEPRECATED_COMMANDS

function isDeprecated(name: string): name is DeprecatedCommand {
  return Object.hasOwn(DEPRECATED_COMMANDS, name)
}

const OPTIONS = {
  url: { type: 'string' },
  cluster: { type: 'boolean' },
  prefix: { type: 'string' },
  ttl: { type: 'string' },
  reason: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export function parseCommand(argv: readonly string[], env: Record<string, string | undefined>): Command {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  const { values: v, positionals: p } = parsed
  if (v.help === true) return { name: 'help' }
  const [name, ...rest] = p
  if (name === undefined) throw new UsageError('a command is required: bans, ban, unban or whitelist')

  const timeoutMs = v.timeout === undefined ? 10_000 : Number(v.timeout)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, got "${v.timeout}"`)
  }
  const prefix = v.prefix ?? env.BULWARK_REDIS_PREFIX ?? REDIS_STORE_DEFAULTS.prefix
  if (/[{}]/.test(prefix)) throw new UsageError('--prefix must not contain { or }')
  const common: Common = {
    url: v.url ?? env.REDIS_URL ?? REDIS_STORE_DEFAULTS.url,
    cluster: v.cluster === true,
    prefix,
    timeoutMs,
    json: v.json === true,
  }
  if (isDeprecated(name)) common.deprecatedName = name
  const only = (allowed: readonly string[]) => {
    for (const opt of ['ttl', 'reason'] as const) {
      if (v[opt] !== undefined && !allowed.includes(opt))
        throw new UsageError(`--${opt} does not apply to '${name}'`)
    }
  }
  const arity = (n: number, what: string) => {
    if (rest.length < n) throw new UsageError(`'${name}' needs ${what}`)
    if (rest.length > n) throw new UsageError(`unexpected argument "${rest[n]}" for '${name}'`)
  }

  switch (isDeprecated(name) ? DEPRECATED_COMMANDS[name] : name) {
    case 'bans':
      only([])
      arity(0, 'no arguments')
      return { ...common, name: 'bans' }
    case 'ban': {
      only(['ttl', 'reason'])
      arity(1, 'a target: an IP address or a key: hash')
      const cmd: Command = { ...common, name: 'ban', target: rest[0] as string }
      if (v.ttl !== undefined) {
        const ms = parseDuration(v.ttl)
        if (ms === null)
          throw new UsageError(`--ttl "${v.ttl}" is not a duration (examples: 90, 30s, 15m, 1h, 2d)`)
        cmd.ttlMs = ms
      }
      if (v.reason !== undefined) cmd.reason = v.reason
      return cmd
    }
    case 'unban':
      only([])
      arity(1, 'a target: an IP address or a key: hash')
      return { ...common, name: 'unban', target: rest[0] as string }
    case 'whitelist': {
      only([])
      const [action, ...entries] = rest
      if (action === 'list') {
        if (entries.length > 0)
          throw new UsageError(`unexpected argument "${entries[0]}" for 'whitelist list'`)
        return { ...common, name: 'whitelist', action }
      }
      if (action === 'add' || action === 'remove') {
        if (entries.length !== 1)
          throw new UsageError(`'whitelist ${action}' needs exactly one IP, CIDR or API key`)
        return { ...common, name: 'whitelist', action, entry: entries[0] as string }
      }
      throw new UsageError(
        `'whitelist' needs add, remove or list${action === undefined ? '' : `, not "${action}"`}`,
      )
    }
    default:
      throw new UsageError(`unknown command "${name}"`)
  }
}
