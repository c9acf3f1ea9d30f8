import type { Decision, RateLimitInfo } from './types.js'

/** How a decision becomes an HTTP response, the same in every adapter. */

export interface HttpResponse {
  status: number
  headers: Record<string, string>
  body: { error: string; status: number; detail?: string }
}

export interface ResponseOptions {
  /** Put the decision's reason in the body's `detail`. Default true. */
  exposeReason?: boolean
  /** Also send `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset`. Default false. */
  legacyHeaders?: boolean
}

const ERRORS: Record<number, string> = {
  400: 'Bad Request',
  403: 'Rate Limit Exceeded - Security Block',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  503: 'Service Unavailable',
}

/** An RFC 8941 sf-string for a policy name (printable ASCII, `"` and `\` escaped). */
function sfString(name: string): string {
  const printable = name.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)
  return `"${printable.replace(/["\\]/g, (c) => `\\${c}`)}"`
}

/**
 * The headers of the IETF httpapi RateLimit draft (`RateLimit-Policy: "name";q=5;w=60` and
 * `RateLimit: "name";r=4;t=60`), plus the legacy `X-RateLimit-*` trio when asked.
 */
export function rateLimitHeaders(info: RateLimitInfo, legacy = false): Record<string, string> {
  const name = sfString(info.policy)
  const headers: Record<string, string> = {
    'RateLimit-Policy': `${name};q=${info.limit};w=${info.windowS}`,
    RateLimit: `${name};r=${info.remaining};t=${info.resetS}`,
  }
  if (legacy) {
    headers['X-RateLimit-Limit'] = String(info.limit)
    headers['X-RateLimit-Remaining'] = String(info.remaining)
    headers['X-RateLimit-Reset'] = String(info.resetS)
  }
  return headers
}

/**
 * The response for a decision, or null when the request goes on (an allow, or any decision in monitor mode). The
 * rate-limit headers of an allowed request are in `passHeaders`.
 */
export function responseFor(decision: Decision, options: ResponseOptions = {}): HttpResponse | null {
  if (decision.conclusion === 'allow' || !decision.enforced) return null
  const status = decision.status
  const headers: Record<string, string> = decision.rateLimit
    ? rateLimitHeaders(decision.rateLimit, options.legacyHeaders)
    : {}
  // A refusal is never cached and never sniffed, whatever the app sets app-wide.
  headers['Cache-Control'] = 'no-store'
  headers['X-Content-Type-Options'] = 'nosniff'
  headers['Content-Type'] = 'application/json; charset=utf-8'
  if (decision.retryAfterS !== undefined) headers['Retry-After'] = String(decision.retryAfterS)
  const body: HttpResponse['body'] = { error: ERRORS[status] ?? 'Request Refused', status }
  if (options.exposeReason !== false) body.detail = decision.reason
  return { status, headers, body }
}

/** Headers to add to a request that goes on: the rate-limit headers when an enforced limit applies. */
export function passHeaders(
  decision: Decision,
  options: ResponseOptions = {},
): Record<string, string> | null {
  return decision.conclusion === 'allow' && decision.rateLimit
    ? rateLimitHeaders(decision.rateLimit, options.legacyHeaders)
    : null
}
