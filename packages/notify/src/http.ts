import { parseRetryAfter } from './backoff.js'
import { DeliveryError, NotifyError } from './errors.js'
import { redactText, redactUrl } from './redact.js'
import { clamp, oneLine } from './text.js'

const SNIPPET_BYTES = 1024

/** Parses and checks a channel URL. The error message never contains the URL's path or token. */
export function parseChannelUrl(factory: string, url: string | URL | undefined): URL {
  if (url === undefined || url === null || url === '') {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', `${factory}(url): the webhook URL is missing`)
  }
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', `${factory}(url): not a valid URL`)
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new NotifyError(
      'ERR_BULWARK_NOTIFY_OPTIONS',
      `${factory}(url): must be an http(s) URL, got ${redactUrl(parsed)}`,
    )
  }
  return parsed
}

export interface PostJsonOptions {
  channel: string
  url: URL
  body: string
  headers?: Record<string, string>
  signal: AbortSignal
  /** Reads a retry delay (ms) from a 429 body, e.g. Discord's `retry_after`. Falls back to `Retry-After`. */
  retryAfterFromBody?: (body: string) => number | undefined
}

/**
 * POSTs a JSON body. Resolves on 2xx; otherwise throws a `DeliveryError` saying whether to retry:
 * network errors, 5xx and 429 are retryable (429 and 503 carry the wait the receiver asked for),
 * 410 is `ERR_BULWARK_NOTIFY_GONE`, any other status is final. Redirects are not followed.
 */
export async function postJson(options: PostJsonOptions): Promise<void> {
  const { channel, url, signal } = options
  const where = `${channel}: POST ${redactUrl(url)}`
  let res: Response
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'bulwark-notify', ...options.headers },
      body: options.body,
      redirect: 'manual',
      signal,
    })
  } catch (error) {
    throw new DeliveryError('ERR_BULWARK_NOTIFY_NETWORK', `${where} failed: ${describeCause(error, url)}`, {
      channel,
      retryable: true,
      cause: sanitizedCause(error, url),
    })
  }
  if (res.status >= 200 && res.status < 300) {
    await res.body?.cancel().catch(() => {})
    return
  }
  const body = await readSnippet(res)
  const snippet = clamp(oneLine(redactText(body, url)).trim(), 200)
  const message = `${where} answered ${res.status}${snippet ? `: ${snippet}` : ''}`
  if (res.status === 410) {
    throw new DeliveryError('ERR_BULWARK_NOTIFY_GONE', `${message}; the channel is disabled`, {
      channel,
      status: 410,
      retryable: false,
    })
  }
  const retryable = res.status === 429 || res.status >= 500
  let retryAfterMs: number | undefined
  if (res.status === 429 || res.status === 503) {
    retryAfterMs =
      (res.status === 429 ? options.retryAfterFromBody?.(body) : undefined) ??
      parseRetryAfter(res.headers.get('retry-after'), Date.now())
  }
  throw new DeliveryError('ERR_BULWARK_NOTIFY_HTTP', message, {
    channel,
    status: res.status,
    retryable,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  })
}

/** Reads at most SNIPPET_BYTES of a body, then cancels the rest. */
async function readSnippet(res: Response): Promise<string> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    while (size < SNIPPET_BYTES) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(value)
      size += value.byteLength
    }
  } catch {
    // a body cut short is still a status
  } finally {
    await reader.cancel().catch(() => {})
  }
  return Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8')
}

function causeOf(error: unknown): { name: string; code?: string; message: string } {
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error
  if (inner instanceof Error) {
    const code = (inner as { code?: unknown }).code
    return { name: inner.name, message: inner.message, ...(typeof code === 'string' ? { code } : {}) }
  }
  return { name: 'Error', message: String(inner) }
}

function describeCause(error: unknown, url: URL): string {
  const c = causeOf(error)
  return clamp(oneLine(redactText(c.code ? `${c.code} ${c.message}` : c.message, url)), 300)
}

/** A copy of the cause without anything that could hold the URL (request objects, stacks with it). */
function sanitizedCause(error: unknown, url: URL): Error {
  const c = causeOf(error)
  const copy = new Error(redactText(c.message, url))
  copy.name = c.name
  if (c.code) (copy as Error & { code: string }).code = c.code
  return copy
}
