import type { IncomingMessage, ServerResponse } from 'node:http'
import { BulwarkError, responseFor } from '@bulwark/core'
import { ASSETS, type AssetPath, DASHBOARD_CSP, isAsset, readAsset } from './assets.js'
import { createFeed, type Feed, TOPICS, type Topic } from './feed.js'
import { type AdminOptions, type ResolvedAdminOptions, resolveAdminOptions } from './options.js'
import { bearerToken, isLoopback, tokenDigest, tokenMatches } from './token.js'

/** What `handle()` may be given besides the request: where it is mounted, and a body a framework already read. */
export interface HandleOptions {
  /** The request's path below the mount point (`/api/bans`). Default: the path of `req.url`. */
  path?: string
  /** The JSON body, when the framework has parsed it already (express.json(), koa bodyparser). */
  body?: unknown
}

export interface Admin {
  /**
   * Answer one request if it is the admin's (`/`, the dashboard's files, `/api/…`). Resolves to true when it
   * answered, false when the path is not the admin's (pass the request on). Never rejects.
   */
  handle(req: IncomingMessage, res: ServerResponse, options?: HandleOptions): Promise<boolean>
  /** The counts and live feed behind the dashboard. */
  readonly feed: Feed
  /** Ends every event stream and detaches from the engine. Idempotent. */
  close(): void
}

/** Largest JSON body accepted (a whitelist import sends batches of entries). */
export const MAX_BODY_BYTES = 64 * 1024
/** Most whitelist entries in one `POST /api/whitelist` call. */
export const MAX_BATCH = 1000
const MAX_TTL_S = 30 * 86_400

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/**
 * The admin API and dashboard as one framework-free handler over Node's request and response. Mount it with
 * `expressAdmin`, `fastifyAdmin` or `koaAdmin`, or call `handle()` from any Node server. Throws `AdminError`
 * when it has no token and is not `loopbackOnly`.
 */
export function createAdmin(options: AdminOptions): Admin {
  const o = resolveAdminOptions(options)
  const expected = o.token === null ? null : tokenDigest(o.token)
  const feed = createFeed({ engine: o.engine, storeName: o.storeName, notifier: o.notifier, clock: o.clock })
  const streams = new Set<ServerResponse>()
  let closed = false

  async function handle(req: IncomingMessage, res: ServerResponse, h: HandleOptions = {}): Promise<boolean> {
    const path = normalise(h.path ?? pathOf(req.url))
    if (path === null) return false
    try {
      if (path === '' || isAsset(path)) {
        if (!o.dashboard) return false
        if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET only')
        const full = pathOf((req as { originalUrl?: string }).originalUrl ?? req.url)
        if ((path === '' || path === '/') && !full.endsWith('/')) {
          // `/admin` → `/admin/`, so the page's relative links resolve under the mount point.
          const last = full.split('/').pop() || '.'
          res.writeHead(308, { Location: `${last}/`, 'Cache-Control': 'no-store' }).end()
          return true
        }
        serveAsset(req, res, path === '' ? '/' : path, expected === null ? 'loopback' : 'bearer')
        return true
      }
      if (path !== '/api' && !path.startsWith('/api/')) return false
      if (!(await authorised(req, res))) return true
      await api(req, res, path.slice(4), h)
    } catch (error) {
      fail(res, error)
    }
    return true
  }

  /** True when the request may use the API; otherwise the refusal has been written. */
  async function authorised(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (expected === null) {
      const proxied = ['x-forwarded-for', 'forwarded', 'x-real-ip'].some((h) => req.headers[h] !== undefined)
      if (isLoopback(req.socket?.remoteAddress) && !proxied) return true
      send(res, 403, {
        error: 'Forbidden',
        detail: 'This admin API has no token and answers loopback clients only (not through a proxy)',
      })
      return false
    }
    if (tokenMatches(bearerToken(req.headers.authorization), expected)) return true
    if (o.reportAuthFailures) {
      try {
        const decision = await o.engine.reportAuthFailure({
          ip: req.socket?.remoteAddress,
          headers: req.headers,
        })
        const refusal = responseFor(decision)
        if (refusal !== null) {
          res.writeHead(refusal.status, { ...refusal.headers, ...SECURITY_HEADERS })
          res.end(JSON.stringify(refusal.body))
          return false
        }
      } catch {
        // the engine reports its own errors; the answer is 401 anyway
      }
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="bulwark-admin"')
    send(res, 401, { error: 'Unauthorized', detail: 'Send Authorization: Bearer <admin token>' })
    return false
  }

  async function api(
    req: IncomingMessage,
    res: ServerResponse,
    route: string,
    h: HandleOptions,
  ): Promise<void> {
    const method = req.method ?? 'GET'
    const engine = o.engine
    if (route === '/info' && method === 'GET') return send(res, 200, info(o))
    if (route === '/stats' && method === 'GET') return send(res, 200, await feed.snapshot())
    if (route === '/rules' && method === 'GET') return send(res, 200, { rules: feed.counters().rules })
    if (route === '/events' && method === 'GET') return events(req, res)
    if (route === '/bans') {
      if (method === 'GET') {
        const bans = await engine.listBans()
        return send(res, 200, { count: bans.length, bans })
      }
      if (method === 'POST') {
        // { "target": "203.0.113.7", "ttlS": 600, "reason": "…" }
        const body = await bodyOf(req, h)
        const { target, ttlS, reason } = body
        if (typeof target !== 'string' || target.length > 200)
          throw new HttpError(400, 'target must be an IP address, a CIDR or a key: hash')
        if (
          ttlS !== undefined &&
          (!Number.isSafeInteger(ttlS) || (ttlS as number) < 1 || (ttlS as number) > MAX_TTL_S)
        )
          throw new HttpError(400, `ttlS must be a whole number of seconds from 1 to ${MAX_TTL_S}`)
        const ban: { ttlMs?: number; reason?: string } = {}
        if (typeof ttlS === 'number') ban.ttlMs = ttlS * 1000
        if (typeof reason === 'string') ban.reason = reason.slice(0, 200)
        return send(res, 201, await engine.ban(target, ban))
      }
    }
    if (route.startsWith('/bans/') && method === 'DELETE') {
      // Targets are URL-encoded: /api/bans/2001%3Adb8%3A1%3A2%3A%3A%2F64, /api/bans/key%3A…
      const unbanned = await engine.unban(decode(route.slice(6)))
      return send(res, unbanned ? 200 : 404, { unbanned })
    }
    if (route === '/whitelist') {
      if (method === 'GET') return send(res, 200, { entries: await engine.whitelist.list() })
      if (method === 'POST') {
        // { "entry": "198.51.100.0/24" }, or { "entries": [...] } (up to 1000) for an import
        const body = await bodyOf(req, h)
        if (Array.isArray(body.entries)) {
          const entries = body.entries
          if (entries.length > MAX_BATCH || !entries.every((e) => typeof e === 'string' && e.length <= 200))
            throw new HttpError(400, `entries must be at most ${MAX_BATCH} IPs, CIDRs or API keys`)
          for (const entry of entries as string[]) await engine.whitelist.add(entry)
          return send(res, 201, { added: entries.length })
        }
        if (typeof body.entry !== 'string' || body.entry.length > 200)
          throw new HttpError(400, 'entry must be an IP, a CIDR or an API key')
        await engine.whitelist.add(body.entry)
        return send(res, 201, { entries: await engine.whitelist.list() })
      }
    }
    if (route.startsWith('/whitelist/') && method === 'DELETE') {
      const removed = await engine.whitelist.remove(decode(route.slice(11)))
      return send(res, removed ? 200 : 404, { removed, entries: await engine.whitelist.list() })
    }
    const known = ['/info', '/stats', '/rules', '/events', '/bans', '/whitelist']
    if (known.includes(route) || route.startsWith('/bans/') || route.startsWith('/whitelist/'))
      throw new HttpError(405, `${method} is not allowed here`)
    throw new HttpError(404, `No admin route ${route || '/'}`)
  }

  /**
   * Server-sent events: `decisions` (batches, 4 a second), `stats` (every second and on each ban change), `ban`,
   * `unban`, `store`. Pick with `?topics=ban,unban`. A client more than `maxStreamBufferBytes` behind is dropped.
   */
  function events(req: IncomingMessage, res: ServerResponse): void {
    if (closed || streams.size >= o.maxStreams) throw new HttpError(503, 'Too many open event streams')
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '')
    const asked = query.get('topics')?.split(',') ?? TOPICS
    const topics = asked.filter((t): t is Topic => (TOPICS as readonly string[]).includes(t))
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    })
    streams.add(res)
    let ping: NodeJS.Timeout | undefined
    let unsubscribe = () => {}
    const end = () => {
      clearInterval(ping)
      unsubscribe()
      streams.delete(res)
    }
    const write = (text: string) => {
      if (res.destroyed || res.writableEnded) return
      if (res.writableLength > o.maxStreamBufferBytes) {
        // A reader that stopped reading: drop it rather than buffer without bound. It reconnects when it can.
        end()
        res.destroy()
        return
      }
      res.write(text)
    }
    write(`retry: 2000\nevent: hello\ndata: ${JSON.stringify({ now: o.clock(), topics })}\n\n`)
    unsubscribe = feed.subscribe(
      (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
      topics,
      () => {
        end()
        res.end()
      },
    )
    ping = setInterval(() => write(': ping\n\n'), 15_000)
    ping.unref()
    res.on('close', end)
  }

  return {
    handle,
    feed,
    close() {
      if (closed) return
      closed = true
      feed.close()
      for (const res of streams) res.end()
      streams.clear()
    },
  }
}

const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const

/**
 * `auth` tells the page whether to ask for a token (`bearer`) or not (`loopback`: no token, loopback clients only),
 * in the `X-Bulwark-Admin-Auth` header.
 */
function serveAsset(
  req: IncomingMessage,
  res: ServerResponse,
  path: AssetPath,
  auth: 'bearer' | 'loopback',
): void {
  const bytes = readAsset(path)
  res.writeHead(200, {
    'Content-Type': ASSETS[path].type,
    'Content-Length': bytes.length,
    'Content-Security-Policy': DASHBOARD_CSP,
    ...SECURITY_HEADERS,
    'X-Frame-Options': 'DENY',
    'X-Bulwark-Admin-Auth': auth,
  })
  res.end(req.method === 'HEAD' ? undefined : bytes)
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end()
    return
  }
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...SECURITY_HEADERS,
  })
  res.end(text)
}

function fail(res: ServerResponse, error: unknown): void {
  let status = 500
  let detail: string | undefined
  if (error instanceof HttpError) {
    status = error.status
    detail = error.message
  } else if (error instanceof BulwarkError && error.code === 'ERR_BULWARK_TARGET') {
    status = 400
    detail = error.message
  } else if (error instanceof BulwarkError && error.code.includes('STORE')) status = 503
  const body: Record<string, unknown> = { error: STATUS_TEXT[status] ?? 'Error' }
  if (detail !== undefined) body.detail = detail
  try {
    send(res, status, body)
  } catch {
    res.destroy()
  }
}

function info(o: ResolvedAdminOptions): Record<string, unknown> {
  const e = o.engine.options
  return {
    service: 'bulwark',
    store: { name: o.storeName ?? 'memory', state: o.engine.storeState },
    mode: e.mode,
    endpoints: (e.endpoints?.limits ?? []).map((x) => ({ ...x, match: String(x.match) })),
    rules: {
      burst: e.burst,
      authFailures: e.authFailures,
      scraping: e.scraping,
      suspicion: e.suspicion,
      bodySize: e.bodySize,
      ban: e.ban,
    },
    ...o.info(),
  }
}

/** The path of a request URL, without the query. */
function pathOf(url: string | undefined): string {
  const raw = url ?? '/'
  const q = raw.indexOf('?')
  return q < 0 ? raw : raw.slice(0, q)
}

/** `/` and `` are the page; a trailing slash elsewhere is ignored; null for what is not a path. */
function normalise(path: string): string | null {
  if (!path.startsWith('/') && path !== '') return null
  if (path === '/') return '/'
  return path.endsWith('/') ? path.slice(0, -1) : path
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new HttpError(400, 'The target is not a valid URL-encoded string')
  }
}

async function bodyOf(req: IncomingMessage, h: HandleOptions): Promise<Record<string, unknown>> {
  let value: unknown = h.body
  if (
    value === undefined ||
    (typeof value === 'object' &&
      value !== null &&
      Object.keys(value).length === 0 &&
      !req.readableEnded &&
      req.readable)
  ) {
    value = await readJson(req)
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HttpError(400, 'The body must be a JSON object')
  return value as Record<string, unknown>
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > MAX_BODY_BYTES) {
      req.resume()
      reject(new HttpError(413, `The body must be JSON, at most ${MAX_BODY_BYTES / 1024} kB`))
      return
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_BODY_BYTES) {
        req.removeAllListeners('data')
        req.resume()
        reject(new HttpError(413, `The body must be JSON, at most ${MAX_BODY_BYTES / 1024} kB`))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      try {
        resolve(text === '' ? {} : JSON.parse(text))
      } catch {
        reject(new HttpError(400, 'The body must be JSON'))
      }
    })
    req.on('error', () => reject(new HttpError(400, 'The request body could not be read')))
  })
}
