import type { BanInfo, Bulwark } from '@bulwark/core'
import type { RedisStore } from '../redis-store.js'

/** Decisions per rule and conclusion, as `GET /api/rules` of `@bulwark/admin` answers. */
export type RuleCounts = Record<string, { allow: number; limit: number; block: number }>

/** What `GET /api/stats` of `@bulwark/admin` answers (the fields the CLI reads; `--json` prints them all). */
export interface AdminStats {
  totals: { allow: number; limit: number; block: number; authFailures: number; bans: number }
  rules: RuleCounts
  store: { name: string; state: string }
  mode: string
  banCount: number
  /** Requests refused per deny source, since start. */
  denied?: Record<string, number>
  /** Entries held per deny source. */
  denyEntries?: Record<string, number>
  bots?: { bot: string; ip: string; status: string; detail: string; count: number; last: number }[]
  notifier?: unknown
  banError?: string
  [field: string]: unknown
}

/** One event of the admin API's stream, as sent: `hello`, `decisions` (a batch), `ban`, `unban`, `store`, `stats`. */
export type StreamListener = (event: string, data: unknown) => boolean | undefined

/** What every command needs, from Redis or from a running app's admin API. */
export interface Backend {
  /** `redis at redis://…` or `the admin API at https://…`, for messages. */
  readonly where: string
  /** Milliseconds since the epoch on the clock bans are timed by. */
  now(): number
  listBans(): Promise<BanInfo[]>
  ban(target: string, options: { ttlMs?: number; reason?: string }): Promise<BanInfo>
  unban(target: string): Promise<boolean>
  whitelistList(): Promise<string[]>
  whitelistAdd(entry: string): Promise<void>
  /** Add many; resolves to the entries refused, with the reason. `onProgress(done)` after each batch. */
  whitelistImport(
    entries: readonly string[],
    onProgress: (done: number) => void,
  ): Promise<{ entry: string; error: string }[]>
  whitelistRemove(entry: string): Promise<boolean>
  /** Decisions per rule since the app started; null when the target has no such counts (Redis). */
  rules(): Promise<RuleCounts | null>
  /** The app's counts, store state and newest bans (`GET /api/stats`); null for Redis. */
  stats(): Promise<AdminStats | null>
  /** The app's mode, store and limits (`GET /api/info`); null for Redis. */
  info(): Promise<Record<string, unknown> | null>
  /**
   * Follow the app's live event stream (`GET /api/events?topics=…`) until `onEvent` returns true or `stop` is
   * aborted (`'stopped'`), or the app ends the stream (`'ended'`). Redis has no such stream: it rejects.
   */
  events(topics: readonly string[], onEvent: StreamListener, stop?: AbortSignal): Promise<'stopped' | 'ended'>
  close(): Promise<void>
}

/** Commands against Redis, through an engine on the shared store (so targets are normalised as the apps do). */
export function redisBackend(
  engine: Bulwark,
  store: RedisStore,
  clock: () => number,
  where: string,
): Backend {
  return {
    where,
    now: clock,
    listBans: () => engine.listBans(),
    ban: (target, options) => engine.ban(target, options),
    unban: (target) => engine.unban(target),
    whitelistList: () => store.whitelistList(),
    whitelistAdd: (entry) => engine.whitelist.add(entry),
    async whitelistImport(entries, onProgress) {
      const refused: { entry: string; error: string }[] = []
      let done = 0
      for (const entry of entries) {
        try {
          await engine.whitelist.add(entry)
        } catch (error) {
          if ((error as { code?: string }).code !== 'ERR_BULWARK_TARGET') throw error
          refused.push({ entry, error: firstLine(error) })
        }
        done++
        if (done % 100 === 0 || done === entries.length) onProgress(done)
      }
      return refused
    },
    whitelistRemove: (entry) => engine.whitelist.remove(entry),
    rules: async () => null,
    stats: async () => null,
    info: async () => null,
    events: async () => {
      throw new Error("the live feed is each app's, not Redis's: use --admin-url")
    },
    close: () => engine.close(),
  }
}

/** An error answer of the admin API: 400 is the user's input (exit 2), the rest a runtime error. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

/** The admin API's batch size for a whitelist import (it takes up to 1000). */
const BATCH = 500

/** Commands against a running app's admin API (`@bulwark/admin`), with its bearer token. */
export function adminBackend(baseUrl: string, token: string, timeoutMs: number): Backend {
  const where = `the admin API at ${baseUrl}`
  let offset = 0
  async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; data: T }> {
    let res: Response
    try {
      const init: RequestInit = {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        signal: AbortSignal.timeout(timeoutMs),
        redirect: 'error',
      }
      if (body !== undefined) init.body = JSON.stringify(body)
      res = await fetch(`${baseUrl}/api${path}`, init)
    } catch (error) {
      throw unreachable(error)
    }
    const date = Date.parse(res.headers.get('date') ?? '')
    if (Number.isFinite(date)) offset = date - Date.now()
    let data: unknown = null
    try {
      data = await res.json()
    } catch {
      // not JSON: reported below by status
    }
    refuse(res.status, data)
    return { status: res.status, data: data as T }
  }
  /** Throws the error an answer of this status means; returns for 2xx and 404. */
  function refuse(status: number, data: unknown): void {
    if (status === 401)
      throw new AdminApiError(401, `${where} refused the token (401): check --token or BULWARK_ADMIN_TOKEN`)
    if (status === 403)
      throw new AdminApiError(
        403,
        `${where} refused this client (403): ${detailOf(data) ?? 'banned, or not allowed'}`,
      )
    if (status === 400) throw new AdminApiError(400, detailOf(data) ?? 'bad request')
    if (status >= 500 || (status >= 300 && status !== 404))
      throw new AdminApiError(
        status,
        `${where} answered ${status}${detailOf(data) ? `: ${detailOf(data)}` : ''}`,
      )
  }
  function unreachable(error: unknown): Error {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    const why =
      (error as Error).name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (cause?.code ?? cause?.message ?? (error as Error).message)
    return new Error(`cannot reach ${where} (${why})`)
  }
  const enc = encodeURIComponent
  return {
    where,
    // Bans carry the app's times; the Date header keeps "time left" right within a second.
    now: () => Date.now() + offset,
    async listBans() {
      const { status, data } = await call<{ bans: BanInfo[] }>('GET', '/bans')
      if (status === 404 || !Array.isArray(data?.bans))
        throw new Error(`${where} has no /api/bans: is --admin-url the admin's mount point (…/admin)?`)
      return data.bans
    },
    async ban(target, options) {
      const body: Record<string, unknown> = { target }
      if (options.ttlMs !== undefined) body.ttlS = Math.ceil(options.ttlMs / 1000)
      if (options.reason !== undefined) body.reason = options.reason
      return (await call<BanInfo>('POST', '/bans', body)).data
    },
    async unban(target) {
      const { data } = await call<{ unbanned: boolean }>('DELETE', `/bans/${enc(target)}`)
      return data?.unbanned === true
    },
    async whitelistList() {
      const { data } = await call<{ entries: string[] }>('GET', '/whitelist')
      return [...(data?.entries ?? [])].sort()
    },
    async whitelistAdd(entry) {
      await call('POST', '/whitelist', { entry })
    },
    async whitelistImport(entries, onProgress) {
      const refused: { entry: string; error: string }[] = []
      for (let i = 0; i < entries.length; i += BATCH) {
        const batch = entries.slice(i, i + BATCH)
        try {
          await call('POST', '/whitelist', { entries: batch })
        } catch (error) {
          if (!(error instanceof AdminApiError) || error.status !== 400) throw error
          // One bad entry refuses the batch: add them one by one to find it.
          for (const entry of batch) {
            try {
              await call('POST', '/whitelist', { entry })
            } catch (e) {
              if (!(e instanceof AdminApiError) || e.status !== 400) throw e
              refused.push({ entry, error: e.message })
            }
          }
        }
        onProgress(Math.min(i + BATCH, entries.length))
      }
      return refused
    },
    async whitelistRemove(entry) {
      const { data } = await call<{ removed: boolean }>('DELETE', `/whitelist/${enc(entry)}`)
      return data?.removed === true
    },
    async rules() {
      return (await call<{ rules: RuleCounts }>('GET', '/rules')).data?.rules ?? {}
    },
    async stats() {
      const { status, data } = await call<AdminStats>('GET', '/stats')
      if (status === 404 || typeof data?.totals !== 'object')
        throw new Error(`${where} has no /api/stats: is --admin-url the admin's mount point (…/admin)?`)
      return data
    },
    async info() {
      const { status, data } = await call<Record<string, unknown>>('GET', '/info')
      if (status === 404 || data === null || typeof data !== 'object')
        throw new Error(`${where} has no /api/info: is --admin-url the admin's mount point (…/admin)?`)
      return data
    },
    async events(topics, onEvent, stop) {
      const stopped = () => stop?.aborted === true
      if (stopped()) return 'stopped'
      const controller = new AbortController()
      const abort = () => controller.abort()
      stop?.addEventListener('abort', abort)
      // The deadline is for the answer's headers; the stream itself runs until stopped.
      const deadline = setTimeout(
        () => controller.abort(new DOMException('timeout', 'TimeoutError')),
        timeoutMs,
      )
      try {
        let res: Response
        try {
          res = await fetch(`${baseUrl}/api/events?topics=${topics.map(enc).join(',')}`, {
            headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
            signal: controller.signal,
            redirect: 'error',
          })
        } catch (error) {
          if (stopped()) return 'stopped'
          throw unreachable(controller.signal.reason ?? error)
        } finally {
          clearTimeout(deadline)
        }
        if (!res.ok || res.body === null) {
          let data: unknown = null
          try {
            data = await res.json()
          } catch {
            // not JSON
          }
          refuse(res.status, data)
          throw new Error(`${where} has no /api/events: is --admin-url the admin's mount point (…/admin)?`)
        }
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        try {
          for (;;) {
            const { value, done } = await reader.read()
            if (done) return 'ended'
            buffer += value
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const message = parseEvent(buffer.slice(0, end))
              buffer = buffer.slice(end + 2)
              if (message !== null && onEvent(message.event, message.data) === true) return 'stopped'
            }
          }
        } catch (error) {
          if (stopped()) return 'stopped'
          throw new Error(`${where} broke off the event stream (${(error as Error).message})`)
        } finally {
          controller.abort()
        }
      } finally {
        stop?.removeEventListener('abort', abort)
      }
    },
    close: async () => {},
  }
}

/** One server-sent event (`event:` and `data:` lines); null for a comment (`: ping`) or what is not JSON. */
export function parseEvent(block: string): { event: string; data: unknown } | null {
  let event = 'message'
  const data: string[] = []
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(':') || line === '') continue
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
    if (field === 'event') event = value
    else if (field === 'data') data.push(value)
  }
  if (data.length === 0) return null
  try {
    return { event, data: JSON.parse(data.join('\n')) }
  } catch {
    return null
  }
}

function detailOf(data: unknown): string | undefined {
  const d = (data as { detail?: unknown } | null)?.detail
  return typeof d === 'string' ? d : undefined
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('\n')[0]?.replace(/ \((ERR_BULWARK_[A-Z_]+), see [^)]*\)$/, '') ?? message
}
