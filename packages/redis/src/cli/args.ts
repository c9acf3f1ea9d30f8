import { parseArgs } from 'node:util'
import { REDIS_STORE_DEFAULTS } from '../options.js'
import { parseDuration } from './duration.js'

/** A mistake on the command line: exit status 2. */
export class UsageError extends Error {
  readonly code = 'ERR_BULWARK_USAGE'
  override readonly name = 'UsageError'
}

/** Where the commands go: Redis (the shared store), or a running app's admin API (`@bulwark/admin`). */
export type Target = { kind: 'redis' } | { kind: 'admin'; url: string; token: string }

/** The formats of `bulwark export`. */
export const EXPORT_FORMATS = ['nginx', 'nginx-geo', 'ipset', 'json'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

/** The topics `bulwark events` can follow: those of the admin API's event stream. */
export const EVENT_TOPICS = ['decisions', 'ban', 'unban', 'store', 'stats'] as const
export type EventTopic = (typeof EVENT_TOPICS)[number]
/** What `bulwark events` follows when `--topics` is not given: everything but the once-a-second stats. */
export const DEFAULT_EVENT_TOPICS: readonly EventTopic[] = ['decisions', 'ban', 'unban', 'store']

interface Common {
  /** Where the command goes. */
  via: Target
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
  | (Common & { name: 'whitelist'; action: 'import'; file: string })
  | (Common & { name: 'rules' })
  | (Common & { name: 'stats' })
  | (Common & { name: 'info' })
  | (Common & {
      name: 'events'
      topics: readonly EventTopic[]
      /** Stop after this many lines (events; each decision of a batch is one); null: until stopped. */
      count: number | null
    })
  | (Common & {
      name: 'export'
      format: ExportFormat
      /** The file to write; null: stdout. */
      out: string | null
      watch: boolean
      intervalMs: number
      reload: string | null
      /** The ipset set name (its IPv6 twin gets `6`), or the nginx-geo variable. */
      setName: string
    })

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
  'admin-url': { type: 'string' },
  token: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string', short: 'o' },
  watch: { type: 'boolean' },
  interval: { type: 'string' },
  reload: { type: 'string' },
  name: { type: 'string' },
  topics: { type: 'string' },
  count: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Options that belong to one command only. */
const COMMAND_OPTIONS = [
  'ttl',
  'reason',
  'format',
  'out',
  'watch',
  'interval',
  'reload',
  'name',
  'topics',
  'count',
] as const

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
  if (name === undefined)
    throw new UsageError(
      'a command is required: bans, ban, unban, whitelist, rules, stats, info, events or export',
    )

  const timeoutMs = v.timeout === undefined ? 10_000 : Number(v.timeout)
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
    throw new UsageError(`--timeout must be a positive number of milliseconds, got "${v.timeout}"`)
  }
  const prefix = v.prefix ?? env.BULWARK_REDIS_PREFIX ?? REDIS_STORE_DEFAULTS.prefix
  if (/[{}]/.test(prefix)) throw new UsageError('--prefix must not contain { or }')
  let via: Target = { kind: 'redis' }
  const adminUrl = v['admin-url'] ?? env.BULWARK_ADMIN_URL
  if (adminUrl !== undefined && adminUrl !== '') {
    if (v.url !== undefined || v.cluster === true)
      throw new UsageError('--admin-url and --url/--cluster are two different targets: give one')
    let parsed: URL
    try {
      parsed = new URL(adminUrl)
    } catch {
      throw new UsageError(`--admin-url "${adminUrl}" is not a URL (example: https://app.example.com/admin)`)
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new UsageError('--admin-url must be an http:// or https:// URL')
    const token = v.token ?? env.BULWARK_ADMIN_TOKEN
    if (token === undefined || token === '')
      throw new UsageError('--admin-url needs the admin token: --token <token> or BULWARK_ADMIN_TOKEN')
    via = { kind: 'admin', url: adminUrl.replace(/\/+$/, '').replace(/\/api$/, ''), token }
  } else if (v.token !== undefined) throw new UsageError('--token goes with --admin-url')
  const common: Common = {
    via,
    url: v.url ?? env.REDIS_URL ?? REDIS_STORE_DEFAULTS.url,
    cluster: v.cluster === true,
    prefix,
    timeoutMs,
    json: v.json === true,
  }
  if (isDeprecated(name)) common.deprecatedName = name
  const only = (allowed: readonly string[]) => {
    for (const opt of COMMAND_OPTIONS) {
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
    case 'rules':
      only([])
      arity(0, 'no arguments')
      return { ...common, name: 'rules' }
    case 'stats':
      only([])
      arity(0, 'no arguments')
      return { ...common, name: 'stats' }
    case 'info':
      only([])
      arity(0, 'no arguments')
      return { ...common, name: 'info' }
    case 'events': {
      only(['topics', 'count'])
      arity(0, 'no arguments (pick topics with --topics)')
      let topics: readonly EventTopic[] = DEFAULT_EVENT_TOPICS
      if (v.topics !== undefined) {
        const asked = v.topics.split(',').map((t) => t.trim())
        const unknown = asked.find((t) => !(EVENT_TOPICS as readonly string[]).includes(t))
        if (unknown !== undefined || asked.length === 0)
          throw new UsageError(
            `--topics takes a comma-separated list of ${EVENT_TOPICS.join(', ')}; got "${unknown ?? ''}"`,
          )
        topics = [...new Set(asked as EventTopic[])]
      }
      let count: number | null = null
      if (v.count !== undefined) {
        count = Number(v.count)
        if (!Number.isSafeInteger(count) || count < 1)
          throw new UsageError(`--count must be a positive whole number, got "${v.count}"`)
      }
      return { ...common, name: 'events', topics, count }
    }
    case 'export': {
      only(['format', 'out', 'watch', 'interval', 'reload', 'name'])
      arity(0, 'no arguments (the format is --format)')
      const format = v.format ?? 'nginx'
      if (!(EXPORT_FORMATS as readonly string[]).includes(format))
        throw new UsageError(`--format must be ${EXPORT_FORMATS.join(', ')}; got "${format}"`)
      const out = v.out === undefined || v.out === '-' ? null : v.out
      const watch = v.watch === true
      if (watch && out === null) throw new UsageError('--watch needs --out <file> (the file it rewrites)')
      if (!watch && (v.interval !== undefined || v.reload !== undefined))
        throw new UsageError('--interval and --reload go with --watch')
      let intervalMs = 10_000
      if (v.interval !== undefined) {
        const ms = parseDuration(v.interval)
        if (ms === null || ms < 100)
          throw new UsageError(
            `--interval "${v.interval}" is not a duration of 100ms or more (examples: 5s, 1m)`,
          )
        intervalMs = ms
      }
      const setName = v.name ?? (format === 'nginx-geo' ? 'bulwark_banned' : 'bulwark')
      if (!/^[A-Za-z_][A-Za-z0-9_-]{0,30}$/.test(setName))
        throw new UsageError('--name must be letters, digits, _ and -, at most 31 characters')
      return {
        ...common,
        name: 'export',
        format: format as ExportFormat,
        out,
        watch,
        intervalMs,
        reload: v.reload ?? null,
        setName,
      }
    }
    case 'whitelist': {
      only([])
      const [action, ...entries] = rest
      if (action === 'import') {
        if (entries.length !== 1)
          throw new UsageError(
            "'whitelist import' needs one file (one entry a line, # comments; - for stdin)",
          )
        return { ...common, name: 'whitelist', action, file: entries[0] as string }
      }
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
        `'whitelist' needs add, remove, list or import${action === undefined ? '' : `, not "${action}"`}`,
      )
    }
    default:
      throw new UsageError(`unknown command "${name}"`)
  }
}
