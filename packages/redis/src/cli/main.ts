import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
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
import { AdminApiError, adminBackend, type Backend, redisBackend } from './backend.js'
import { formatDuration } from './duration.js'
import { type ExportPlan, planExport, renderExport, writeAtomic } from './export.js'
import { bansTable, EVENTS_HEADER, eventLines, infoTable, rulesTable, statsText } from './format.js'
import { HELP } from './help.js'
import { createProgress, type ProgressSink, SILENT } from './progress.js'

/** Commands that only a running app can answer (through its admin API), with what they show. */
const APP_ONLY: Partial<Record<Command['name'], string>> = {
  rules: 'counts per rule',
  stats: 'counts since start',
  info: "the app's settings",
  events: 'the live decision feed and its events',
}

export interface CliIo {
  env: Record<string, string | undefined>
  out(text: string): void
  err(text: string): void
  /** Where long commands (export, watch, whitelist import) report counts as they go. Default: nowhere. */
  progress?: ProgressSink
  /** Aborted when the user asks to stop (Ctrl-C): `export --watch` and `events` then exit 0. */
  stop?: AbortSignal
  /** Reads a file for `whitelist import` (`-`: standard input). Default: the file system and process.stdin. */
  readFile?(path: string): Promise<string>
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
  if (APP_ONLY[cmd.name] !== undefined && cmd.via.kind === 'redis') {
    io.err(
      `bulwark: ${APP_ONLY[cmd.name]} live in each app's memory, not in Redis: ask a running app with --admin-url <its admin mount> --token <token>\nRun 'bulwark --help' for usage.`,
    )
    return 2
  }
  if (cmd.via.kind === 'admin') {
    const backend = adminBackend(cmd.via.url, cmd.via.token, cmd.timeoutMs)
    return report(io, () => run(cmd, backend, io))
  }

  let env: ReturnType<typeof configFromEnv>
  try {
    env = configFromEnv(io.env)
  } catch (error) {
    io.err(`bulwark: ${oneLine(error)}`)
    return 1
  }
  if (
    cmd.name === 'whitelist' &&
    (cmd.action === 'add' || cmd.action === 'remove') &&
    isRawApiKey(cmd.entry) &&
    !env.apiKeySecret
  ) {
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
    return await report(io, async () => {
      const backend = await Promise.race([
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
          return redisBackend(engine, store, clock, `Redis at ${redact(cmd.url)}`)
        })(),
      ])
      // A watch runs until stopped (each check has the store's own deadline); everything else within --timeout.
      if (cmd.name === 'export' && cmd.watch) {
        clearTimeout(timer)
        return run(cmd, backend, io)
      }
      return Promise.race([timeout, run(cmd, backend, io)])
    })
  } finally {
    clearTimeout(timer)
    await (engine ?? store).close().catch(() => {})
  }
}

/** Runs a command, turning its errors into a message and an exit status. */
async function report(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body()
  } catch (error) {
    if (
      (error instanceof BulwarkError &&
        (error.code === 'ERR_BULWARK_TARGET' || error.code === 'ERR_BULWARK_OPTIONS')) ||
      (error instanceof AdminApiError && error.status === 400)
    ) {
      io.err(`bulwark: ${oneLine(error)}\nRun 'bulwark --help' for usage.`)
      return 2
    }
    io.err(`bulwark: ${oneLine(error)}`)
    return 1
  }
}

async function run(cmd: Exclude<Command, { name: 'help' }>, backend: Backend, io: CliIo): Promise<number> {
  switch (cmd.name) {
    case 'bans': {
      const bans = await backend.listBans()
      io.out(cmd.json ? JSON.stringify(bans, null, 2) : bansTable(bans, backend.now()))
      return 0
    }
    case 'ban': {
      const options: { ttlMs?: number; reason?: string } = {}
      if (cmd.ttlMs !== undefined) options.ttlMs = cmd.ttlMs
      if (cmd.reason !== undefined) options.reason = cmd.reason
      const info = await backend.ban(cmd.target, options)
      io.out(
        cmd.json
          ? JSON.stringify(info, null, 2)
          : `Banned ${info.target} for ${formatDuration(info.expiresAt - info.since)} (until ${new Date(info.expiresAt).toISOString()}): ${info.reason}`,
      )
      return 0
    }
    case 'unban': {
      const existed = await backend.unban(cmd.target)
      if (cmd.json) io.out(JSON.stringify({ target: cmd.target, unbanned: existed }))
      else io.out(existed ? `Unbanned ${cmd.target}` : `${cmd.target} was not banned (counters reset anyway)`)
      return 0
    }
    case 'rules': {
      const rules = (await backend.rules()) ?? {}
      io.out(cmd.json ? JSON.stringify(rules, null, 2) : rulesTable(rules))
      return 0
    }
    case 'stats': {
      const stats = await backend.stats()
      if (stats === null) throw new Error(`${backend.where} has no counts`)
      io.out(cmd.json ? JSON.stringify(stats, null, 2) : statsText(stats))
      return 0
    }
    case 'info': {
      const info = await backend.info()
      if (info === null) throw new Error(`${backend.where} has no settings to show`)
      io.out(cmd.json ? JSON.stringify(info, null, 2) : infoTable(info))
      return 0
    }
    case 'events':
      return followEvents(cmd, backend, io)
    case 'export':
      return cmd.watch ? watchExport(cmd, backend, io) : exportOnce(cmd, backend, io)
    case 'whitelist': {
      if (cmd.action === 'list') {
        const entries = await backend.whitelistList()
        if (cmd.json) io.out(JSON.stringify(entries))
        else io.out(entries.length === 0 ? 'The whitelist is empty.' : entries.join('\n'))
        return 0
      }
      if (cmd.action === 'import') return importWhitelist(cmd, backend, io)
      if (cmd.action === 'add') {
        await backend.whitelistAdd(cmd.entry)
        io.out(cmd.json ? JSON.stringify({ entry: cmd.entry, added: true }) : `Whitelisted ${cmd.entry}`)
        return 0
      }
      const removed = await backend.whitelistRemove(cmd.entry)
      if (cmd.json) io.out(JSON.stringify({ entry: cmd.entry, removed }))
      else io.out(removed ? `Removed ${cmd.entry} from the whitelist` : `${cmd.entry} was not whitelisted`)
      return 0
    }
  }
}

type ExportCommand = Extract<Command, { name: 'export' }>

/** `--json`: one JSON object a line, `{ event, data }`; each decision of a batch is its own `decision` line. */
function jsonRecords(event: string, data: unknown): string[] {
  if (event !== 'decisions') return [JSON.stringify({ event, data })]
  const batch = data as { items?: unknown[]; skipped?: number } | null
  const lines = (batch?.items ?? []).map((item) => JSON.stringify({ event: 'decision', data: item }))
  if (typeof batch?.skipped === 'number' && batch.skipped > 0)
    lines.push(JSON.stringify({ event: 'skipped', data: { count: batch.skipped } }))
  return lines
}

/** `bulwark events`: the app's live feed, a line per event, until Ctrl-C, `--count` lines, or the app ends it. */
async function followEvents(
  cmd: Extract<Command, { name: 'events' }>,
  backend: Backend,
  io: CliIo,
): Promise<number> {
  const progress = createProgress(io.progress ?? SILENT)
  let printed = 0
  const full = () => cmd.count !== null && printed >= cmd.count
  if (!cmd.json) io.out(EVENTS_HEADER)
  const how = await backend.events(
    cmd.topics,
    (event, data) => {
      if (event === 'hello') {
        progress.line(`following ${cmd.topics.join(', ')} from ${backend.where}; Ctrl-C stops`)
        return false
      }
      for (const line of cmd.json ? jsonRecords(event, data) : eventLines(event, data)) {
        if (full()) break
        io.out(line)
        printed++
      }
      return full()
    },
    io.stop,
  )
  if (how === 'ended') {
    io.err(`bulwark: ${backend.where} ended the event stream (after ${printed} lines)`)
    return 1
  }
  return 0
}

function summary(plan: ExportPlan): string {
  const n = plan.v4.length + plan.v6.length
  const skipped = plan.skipped > 0 ? ` (${plan.skipped} skipped: API keys, users or monitor mode)` : ''
  return `${n} ${n === 1 ? 'address' : 'addresses and ranges'}${skipped}`
}

async function exportOnce(cmd: ExportCommand, backend: Backend, io: CliIo): Promise<number> {
  const progress = createProgress(io.progress ?? SILENT)
  progress.update(`export: reading bans from ${backend.where}`)
  const bans = await backend.listBans()
  const plan = planExport(bans)
  const text = renderExport(plan, cmd.format, cmd.setName)
  progress.end()
  if (cmd.out === null) {
    io.out(text.trimEnd())
    // The counts go to stderr, so what is redirected to a file is the file alone.
    progress.line(`export: ${summary(plan)} from ${backend.where}`)
    return 0
  }
  await writeAtomic(cmd.out, text)
  const n = plan.v4.length + plan.v6.length
  if (cmd.json)
    io.out(JSON.stringify({ file: cmd.out, format: cmd.format, addresses: n, skipped: plan.skipped }))
  else io.out(`Wrote ${cmd.out}: ${summary(plan)}`)
  return 0
}

async function watchExport(cmd: ExportCommand, backend: Backend, io: CliIo): Promise<number> {
  const out = cmd.out as string
  const progress = createProgress(io.progress ?? SILENT)
  const time = () => new Date(backend.now()).toISOString().slice(11, 19)
  let last: string | null = null
  let lastSet = new Set<string>()
  let checks = 0
  const stop = io.stop
  while (stop?.aborted !== true) {
    checks++
    try {
      const plan = planExport(await backend.listBans())
      const text = renderExport(plan, cmd.format, cmd.setName)
      const set = new Set([...plan.v4, ...plan.v6])
      if (text !== last) {
        await writeAtomic(out, text)
        const added = [...set].filter((a) => !lastSet.has(a)).length
        const removed = [...lastSet].filter((a) => !set.has(a)).length
        last = text
        lastSet = set
        const line = `${time()} wrote ${out}: ${summary(plan)}, +${added} −${removed}`
        if (cmd.reload === null) progress.line(line)
        else progress.line(`${line}; reload: ${await runReload(cmd.reload)}`)
      }
      if (io.progress?.isTTY === true)
        progress.update(
          `watching ${backend.where}: ${set.size} in ${out}, checked ${time()} (${checks} checks)`,
        )
    } catch (error) {
      // Keep the last good file; try again at the next interval.
      progress.line(`${time()} error: ${oneLine(error)} (kept the last file)`)
    }
    await sleep(cmd.intervalMs, stop)
  }
  progress.end()
  progress.line(`stopped after ${checks} checks`)
  return 0
}

/** Run the reload command through the shell; `ok`, or what went wrong in a few words. */
function runReload(command: string): Promise<string> {
  return new Promise((resolve) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 })
    let stderr = ''
    child.stderr?.on('data', (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString('utf8')
    })
    child.on('error', (error) => resolve(`failed (${error.message})`))
    child.on('close', (code, signal) => {
      if (code === 0) resolve('ok')
      else {
        const why = stderr.trim().split('\n')[0]?.slice(0, 200)
        resolve(`exit ${code ?? signal}${why ? ` (${why})` : ''}`)
      }
    })
  })
}

function sleep(ms: number, stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (stop?.aborted === true) return resolve()
    const timer = setTimeout(done, ms)
    function done() {
      clearTimeout(timer)
      stop?.removeEventListener('abort', done)
      resolve()
    }
    stop?.addEventListener('abort', done)
  })
}

async function importWhitelist(
  cmd: Extract<Command, { name: 'whitelist'; action: 'import' }>,
  backend: Backend,
  io: CliIo,
): Promise<number> {
  const text = await (io.readFile ?? readInput)(cmd.file)
  const entries = parseEntries(text)
  const progress = createProgress(io.progress ?? SILENT)
  progress.update(`whitelist import: 0 of ${entries.length} entries to ${backend.where}`)
  const refused = await backend.whitelistImport(entries, (done) =>
    progress.update(`whitelist import: ${done} of ${entries.length} entries`),
  )
  progress.end()
  const imported = entries.length - refused.length
  if (cmd.json) io.out(JSON.stringify({ imported, refused }))
  else {
    for (const r of refused) io.err(`bulwark: refused "${r.entry.slice(0, 80)}": ${r.error}`)
    io.out(
      `Imported ${imported} of ${entries.length} entries${refused.length > 0 ? ` (${refused.length} refused)` : ''}`,
    )
  }
  return refused.length > 0 ? 2 : 0
}

/** One entry a line; `#` starts a comment; blank lines and duplicates are skipped. */
export function parseEntries(text: string): string[] {
  const seen = new Set<string>()
  for (const raw of text.split(/\r?\n/)) {
    const entry = raw.replace(/#.*$/, '').trim()
    if (entry !== '') seen.add(entry)
  }
  return [...seen]
}

async function readInput(path: string): Promise<string> {
  if (path !== '-') return readFile(path, 'utf8')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
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
