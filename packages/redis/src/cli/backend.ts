import type { BanInfo, Bulwark } from '@bulwark/core'
import type { RedisStore } from '../redis-store.js'

/** Decisions per rule and conclusion, as `GET /api/rules` of `@bulwark/admin` answers. */
export type RuleCounts = Record<string, { allow: number; limit: number; block: number }>

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
      const cause = (error as { cause?: { code?: string; message?: string } }).cause
      const why =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${timeoutMs} ms`
          : (cause?.code ?? cause?.message ?? (error as Error).message)
      throw new Error(`cannot reach ${where} (${why})`)
    }
    const date = Date.parse(res.headers.get('date') ?? '')
    if (Number.isFinite(date)) offset = date - Date.now()
    let data: unknown = null
    try {
      data = await res.json()
    } catch {
      // not JSON: reported below by status
    }
    if (res.status === 401)
      throw new AdminApiError(401, `${where} refused the token (401): check --token or BULWARK_ADMIN_TOKEN`)
    if (res.status === 403)
      throw new AdminApiError(
        403,
        `${where} refused this client (403): ${detailOf(data) ?? 'banned, or not allowed'}`,
      )
    if (res.status === 400) throw new AdminApiError(400, detailOf(data) ?? 'bad request')
    if (res.status >= 500 || (res.status >= 300 && res.status !== 404))
      throw new AdminApiError(
        res.status,
        `${where} answered ${res.status}${detailOf(data) ? `: ${detailOf(data)}` : ''}`,
      )
    return { status: res.status, data: data as T }
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
    close: async () => {},
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
