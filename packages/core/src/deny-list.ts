import { readFile, stat } from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import { fileURLToPath } from 'node:url'
import { type DenyListFormat, type ParsedList, parseCsv, parseLines } from './deny-list-parse.js'
import type { DenySink, DenySource } from './deny-source.js'
import { BulwarkError } from './errors.js'

export type { DenyListFormat }

export interface DenyListOptions {
  /** The list's name: the source of its bans in decisions and `listBans()`. */
  name: string
  /** Where the list is: an `https:` (or `http:`) URL, a `file:` URL, or a file path. */
  from: string | URL
  /** `'lines'` (default: one address or CIDR per line, `#`/`;` comments) or `{ csv: 'column' }`. */
  format?: DenyListFormat
  /** How often the list is loaded again, in ms. Default 1 h for a URL, 1 min for a file (re-read only when changed). */
  refreshMs?: number
  /** One download's deadline, in ms. Default 30 s. */
  timeoutMs?: number
  /** Largest list read, in bytes; a larger one is a failed load. Default 32 MiB. */
  maxBytes?: number
  /** Most entries taken from the list. Default 500,000. */
  maxEntries?: number
  /** Request headers for a URL (an API token). */
  headers?: Readonly<Record<string, string>>
  /** Extra CA certificates to trust for an `https:` URL (PEM), e.g. a private CA. */
  ca?: string | Buffer | readonly (string | Buffer)[]
  /** Observe instead of refusing: listed clients are decided as bans marked `enforced: false`. Default false. */
  monitor?: boolean
}

/** What a deny list has done so far. */
export interface DenyListStats {
  /** Entries held from the last good load. */
  entries: number
  /** Lines of the last good load that were no address or CIDR. */
  rejected: number
  /** Loads that changed the list. */
  loads: number
  /** Refreshes answered `304 Not Modified` (or a file that had not changed). */
  unchanged: number
  /** Failed loads (the previous list stayed in force). */
  failures: number
  /** When the list last loaded or was confirmed unchanged (ms since the epoch). */
  lastSuccessAt: number | undefined
  /** The last failure's message, cleared by the next success. */
  lastError: string | undefined
}

/** A deny list source, with its numbers and a way to load it now. */
export interface DenyList extends DenySource {
  stats(): DenyListStats
  /** Load now (and restart the refresh timer). Resolves when done; rejects when this load failed. */
  refresh(): Promise<void>
}

const DEFAULTS = {
  urlRefreshMs: 3_600_000,
  fileRefreshMs: 60_000,
  timeoutMs: 30_000,
  maxBytes: 32 << 20,
  maxEntries: 500_000,
  /** After a failure, try again after this (doubling each time) up to `refreshMs`. */
  retryMs: 30_000,
  maxRedirects: 3,
} as const

/** What was learned from the last good load, to ask for changes only. */
interface Validators {
  etag?: string
  lastModified?: string
  /** Files: mtime and size. */
  fileKey?: string
}

type Fetched = { changed: false } | { changed: true; text: string; validators: Validators }

/**
 * A deny list loaded from a file or a URL, refreshed on a schedule. A URL is asked with `If-None-Match` /
 * `If-Modified-Since` from the last good answer, so an unchanged list costs a `304`; a file is re-read only when its
 * modification time or size changed. A failed load (network, status, timeout, size, a body with no address at all)
 * keeps the last good list in force and is retried sooner (30 s, doubling, up to `refreshMs`). Timers are `unref`'d
 * and cleared by `close()` (the engine calls it from its own `close()`).
 */
export function denyList(options: DenyListOptions): DenyList {
  const o = checkOptions(options)
  let sink: DenySink | undefined
  let timer: NodeJS.Timeout | undefined
  let closed = false
  let retry = 0
  let validators: Validators = {}
  let inflight: Promise<void> | undefined
  const stats: DenyListStats = {
    entries: 0,
    rejected: 0,
    loads: 0,
    unchanged: 0,
    failures: 0,
    lastSuccessAt: undefined,
    lastError: undefined,
  }

  const schedule = (ms: number): void => {
    clearTimeout(timer)
    if (closed) return
    timer = setTimeout(() => {
      load().catch((error) => sink?.error(error))
    }, ms)
    timer.unref()
  }

  const loadOnce = async (): Promise<void> => {
    try {
      const got = o.url
        ? await fetchUrl(o.url, o, validators)
        : await readPath(o.path as string, o, validators)
      if (closed) return
      if (!got.changed) {
        stats.unchanged++
      } else {
        const parsed = parse(got.text, o)
        if (parsed.entries.length === 0 && parsed.rejected > 0) {
          throw new Error(
            `no address or CIDR in ${parsed.rejected} lines: not a deny list (is the URL right?)`,
          )
        }
        const result = (sink as DenySink).replace(parsed.entries)
        validators = got.validators
        stats.entries = result.added
        stats.rejected = parsed.rejected + result.rejected
        stats.loads++
      }
      stats.lastSuccessAt = Date.now()
      stats.lastError = undefined
      retry = 0
      schedule(o.refreshMs)
    } catch (cause) {
      if (closed) return
      stats.failures++
      retry++
      const message = cause instanceof Error ? cause.message : String(cause)
      stats.lastError = message
      schedule(Math.min(o.refreshMs, DEFAULTS.retryMs * 2 ** Math.min(retry - 1, 16)))
      throw new BulwarkError(
        'ERR_BULWARK_DENY_LIST',
        `deny list ${o.name}: loading ${o.where} failed (${message}); the previous list stays in force`,
        { cause },
      )
    }
  }

  const load = (): Promise<void> => {
    if (inflight !== undefined) return inflight
    inflight = loadOnce().finally(() => {
      inflight = undefined
    })
    return inflight
  }

  return {
    name: o.name,
    monitor: o.monitor,
    start(s: DenySink): Promise<void> {
      if (sink !== undefined) return Promise.resolve()
      sink = s
      return load()
    },
    async refresh(): Promise<void> {
      if (sink === undefined || closed) return
      if (inflight !== undefined) await inflight.catch(() => {})
      await load()
    },
    stats: () => ({ ...stats }),
    close(): void {
      closed = true
      clearTimeout(timer)
      timer = undefined
    },
  }
}

interface Checked {
  name: string
  url: URL | undefined
  path: string | undefined
  where: string
  format: DenyListFormat
  refreshMs: number
  timeoutMs: number
  maxBytes: number
  maxEntries: number
  headers: Record<string, string>
  ca: DenyListOptions['ca']
  monitor: boolean
}

function fail(message: string): never {
  throw new BulwarkError('ERR_BULWARK_OPTIONS', `denyList(): ${message}`)
}

function positive(value: unknown, fallback: number, what: string): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    fail(`${what} must be a positive integer, got ${String(value)}`)
  }
  return value
}

function checkOptions(options: DenyListOptions): Checked {
  if (options === null || typeof options !== 'object') fail('needs { name, from }')
  const { name, from } = options
  if (typeof name !== 'string' || name === '' || name.length > 100) fail('name must be 1 to 100 characters')
  let url: URL | undefined
  let path: string | undefined
  if (from instanceof URL || (typeof from === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(from))) {
    const u = new URL(String(from))
    if (u.protocol === 'file:') path = fileURLToPath(u)
    else if (u.protocol === 'https:' || u.protocol === 'http:') url = u
    else fail(`from must be an https:, http: or file: URL or a path, got ${u.protocol}`)
  } else if (typeof from === 'string' && from !== '') path = from
  else fail('from must be a URL or a file path')
  const format = options.format ?? 'lines'
  if (format !== 'lines') {
    const csv = (format as { csv?: unknown })?.csv
    if (typeof csv !== 'string' && typeof csv !== 'number') {
      fail("format must be 'lines' or { csv: 'column name' }")
    }
  }
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (typeof v !== 'string') fail(`header ${k} must be a string`)
    headers[k.toLowerCase()] = v
  }
  return {
    name,
    url,
    path,
    where: url !== undefined ? `${url.origin}${url.pathname}` : (path as string),
    format,
    refreshMs: positive(options.refreshMs, url ? DEFAULTS.urlRefreshMs : DEFAULTS.fileRefreshMs, 'refreshMs'),
    timeoutMs: positive(options.timeoutMs, DEFAULTS.timeoutMs, 'timeoutMs'),
    maxBytes: positive(options.maxBytes, DEFAULTS.maxBytes, 'maxBytes'),
    maxEntries: positive(options.maxEntries, DEFAULTS.maxEntries, 'maxEntries'),
    headers,
    ca: options.ca,
    monitor: options.monitor === true,
  }
}

function parse(text: string, o: Checked): ParsedList {
  return o.format === 'lines' ? parseLines(text, o.maxEntries) : parseCsv(text, o.format, o.maxEntries)
}

async function readPath(path: string, o: Checked, last: Validators): Promise<Fetched> {
  const st = await stat(path)
  if (st.size > o.maxBytes) throw new Error(`the file is ${st.size} bytes, over maxBytes (${o.maxBytes})`)
  const fileKey = `${st.mtimeMs}:${st.size}`
  if (fileKey === last.fileKey) return { changed: false }
  const text = await readFile(path, 'utf8')
  return { changed: true, text, validators: { fileKey } }
}

/** GET with the last validators; follows up to 3 redirects; bounded in time and bytes. */
type FetchOptions = Pick<Checked, 'timeoutMs' | 'maxBytes' | 'ca' | 'headers'>

/** GET one document (no validators): for other loaders of public lists (the good bots' published ranges). */
export async function fetchText(url: URL, o: FetchOptions): Promise<string> {
  const got = await fetchUrl(url, o, {})
  if (!got.changed) throw new Error('HTTP 304 without a validator')
  return got.text
}

function fetchUrl(url: URL, o: FetchOptions, last: Validators, redirects = 0): Promise<Fetched> {
  return new Promise<Fetched>((resolveOuter, rejectOuter) => {
    const deadline = setTimeout(() => {
      req.destroy(new Error(`no complete answer within ${o.timeoutMs} ms`))
    }, o.timeoutMs)
    deadline.unref()
    const resolve = (f: Fetched): void => {
      clearTimeout(deadline)
      resolveOuter(f)
    }
    const reject = (e: unknown): void => {
      clearTimeout(deadline)
      rejectOuter(e)
    }
    const headers: Record<string, string> = {
      'user-agent': 'bulwark-deny-list',
      accept: 'text/plain, text/csv, */*',
      ...o.headers,
    }
    if (last.etag !== undefined) headers['if-none-match'] = last.etag
    if (last.lastModified !== undefined) headers['if-modified-since'] = last.lastModified
    const lib = url.protocol === 'https:' ? https : http
    const req = lib.request(
      url,
      {
        method: 'GET',
        headers,
        ...(url.protocol === 'https:' && o.ca !== undefined
          ? { ca: o.ca as string | Buffer | (string | Buffer)[] }
          : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0
        if (status >= 300 && status < 400 && status !== 304 && res.headers.location !== undefined) {
          res.resume()
          if (redirects >= DEFAULTS.maxRedirects) {
            reject(new Error(`more than ${DEFAULTS.maxRedirects} redirects`))
            return
          }
          const next = new URL(res.headers.location, url)
          if (next.protocol !== 'https:' && next.protocol !== 'http:') {
            reject(new Error(`redirected to ${next.protocol}`))
            return
          }
          if (url.protocol === 'https:' && next.protocol === 'http:') {
            reject(new Error('redirected from https: to http:'))
            return
          }
          fetchUrl(next, o, last, redirects + 1).then(resolve, reject)
          return
        }
        if (status === 304) {
          res.resume()
          resolve({ changed: false })
          return
        }
        if (status !== 200) {
          res.resume()
          reject(new Error(`HTTP ${status}`))
          return
        }
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > o.maxBytes) {
          res.destroy()
          reject(new Error(`the list is ${declared} bytes, over maxBytes (${o.maxBytes})`))
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > o.maxBytes) {
            res.destroy()
            reject(new Error(`the list is over maxBytes (${o.maxBytes})`))
            return
          }
          chunks.push(chunk)
        })
        res.on('error', reject)
        res.on('end', () => {
          const validators: Validators = {}
          const etag = res.headers.etag
          const modified = res.headers['last-modified']
          if (typeof etag === 'string' && etag.length <= 200) validators.etag = etag
          if (typeof modified === 'string' && modified.length <= 100) validators.lastModified = modified
          resolve({ changed: true, text: Buffer.concat(chunks).toString('utf8'), validators })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}
