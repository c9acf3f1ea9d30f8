import { CrowdSecError } from './errors.js'

/** What the package needs of `fetch` (the global one by default; pass your own for a proxy or a custom agent). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>

export interface LapiRequest {
  method: 'GET' | 'POST' | 'DELETE'
  /** Path and query, e.g. `/v1/decisions/stream?startup=true`. */
  path: string
  headers?: Record<string, string>
  body?: unknown
}

export interface LapiConnection {
  /** The Local API's base URL, without a trailing slash. */
  url: string
  timeoutMs: number
  maxResponseBytes: number
  userAgent: string
  fetch: FetchLike
}

/** Checks and normalises a Local API URL (http or https, no credentials, no query). */
export function lapiUrl(value: unknown, option: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      `${option} must be the Local API's URL, e.g. http://127.0.0.1:8080`,
    )
  }
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      `${option} is not a URL: "${value.slice(0, 100)}"`,
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      `${option} must be http: or https:, not ${url.protocol}`,
    )
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      `${option} must be a plain base URL (credentials go in apiKey or machineId/password)`,
    )
  }
  return url.href.replace(/\/+$/, '')
}

/** Reads at most `limit` bytes of a body; more is an error (a startup stream is big, but not unbounded). */
async function readBounded(res: Response, limit: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {})
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_RESPONSE',
      `the Local API's answer is ${declared} bytes, over maxResponseBytes (${limit})`,
    )
  }
  if (res.body === null) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel().catch(() => {})
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_RESPONSE',
        `the Local API's answer is over maxResponseBytes (${limit} bytes)`,
      )
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/** One request to the Local API: a deadline, a bounded body, JSON in and out, errors with codes. */
export async function lapiRequest(conn: LapiConnection, req: LapiRequest): Promise<unknown> {
  const headers: Record<string, string> = {
    'user-agent': conn.userAgent,
    accept: 'application/json',
    ...req.headers,
  }
  let body: string | undefined
  if (req.body !== undefined) {
    body = JSON.stringify(req.body)
    headers['content-type'] = 'application/json'
  }
  const signal = AbortSignal.timeout(conn.timeoutMs)
  const where = `${req.method} ${req.path.replace(/\?.*$/, '')}`
  let res: Response
  try {
    res = await conn.fetch(`${conn.url}${req.path}`, {
      method: req.method,
      headers,
      body,
      signal,
      redirect: 'error',
    })
  } catch (cause) {
    if (signal.aborted) {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_TIMEOUT',
        `${where}: no answer within ${conn.timeoutMs} ms`,
        {
          cause,
        },
      )
    }
    const detail =
      cause instanceof Error ? ((cause.cause as Error | undefined)?.message ?? cause.message) : String(cause)
    throw new CrowdSecError('ERR_BULWARK_CROWDSEC_NETWORK', `${where}: ${detail}`, { cause })
  }
  let text: string
  try {
    text = await readBounded(res, conn.maxResponseBytes)
  } catch (cause) {
    if (cause instanceof CrowdSecError) throw cause
    if (signal.aborted) {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_TIMEOUT',
        `${where}: the answer did not end within ${conn.timeoutMs} ms`,
        {
          cause,
        },
      )
    }
    throw new CrowdSecError('ERR_BULWARK_CROWDSEC_NETWORK', `${where}: the answer was cut`, { cause })
  }
  if (res.status < 200 || res.status > 299) {
    const message = lapiMessage(text)
    const code =
      res.status === 401 || res.status === 403 ? 'ERR_BULWARK_CROWDSEC_AUTH' : 'ERR_BULWARK_CROWDSEC_HTTP'
    throw new CrowdSecError(code, `${where}: ${res.status}${message ? ` ${message}` : ''}`, {
      status: res.status,
    })
  }
  if (text.trim() === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new CrowdSecError('ERR_BULWARK_CROWDSEC_RESPONSE', `${where}: the answer is not JSON`, { cause })
  }
}

/** The `message` of a Local API error body, shortened; never the body itself. */
function lapiMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { message?: unknown }
    if (typeof parsed?.message === 'string') return `(${parsed.message.slice(0, 200)})`
  } catch {
    // not JSON
  }
  return ''
}
