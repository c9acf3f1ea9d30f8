import { type Bulwark, createBulwark } from './engine.js'
import { BulwarkError } from './errors.js'
import type { BulwarkOptions } from './options.js'
import type { Decision, RateLimitInfo, RequestFacts } from './types.js'

/**
 * What the framework adapters share: how a decision becomes an HTTP response, how options become an engine, how
 * auth failures are recognised. Adapters only read facts from their request and write this response.
 */

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
  if (decision.retryAfterS !== undefined) headers['Retry-After'] = String(decision.retryAfterS)
  const body: HttpResponse['body'] = { error: ERRORS[status] ?? 'Request Refused', status }
  if (options.exposeReason !== false) body.detail = decision.reason
  return { status, headers, body }
}

/** Headers to add to a request that goes on: the rate-limit headers when an endpoint limit applies. */
export function passHeaders(
  decision: Decision,
  options: ResponseOptions = {},
): Record<string, string> | null {
  return decision.rateLimit ? rateLimitHeaders(decision.rateLimit, options.legacyHeaders) : null
}

/** Options every adapter takes, on top of the engine options. `Req` is the framework's request. */
export interface AdapterOptions<Req> extends BulwarkOptions, ResponseOptions {
  /** Share one engine between apps; engine options are then ignored. */
  engine?: Bulwark
  /** The item this request queries, for the scraping rule (for example `req.query.hash`). */
  item?: (req: Req) => string | undefined
  /** The API key of this request. Default: the `x-api-key` header. */
  apiKey?: (req: Req) => string | undefined
  /** Whether a finished response is a failed authentication. Default: status 401. */
  isAuthFailure?: (status: number, req: Req) => boolean
  /** Requests to leave alone entirely (health checks). */
  skip?: (req: Req) => boolean
}

/** Keys of AdapterOptions that are not engine options. */
const ADAPTER_KEYS = [
  'engine',
  'item',
  'apiKey',
  'isAuthFailure',
  'skip',
  'exposeReason',
  'legacyHeaders',
] as const

export interface AdapterRuntime<Req> {
  engine: Bulwark
  /** True when the adapter created the engine and should close it. */
  ownsEngine: boolean
  response: ResponseOptions
  item(req: Req): string | undefined
  apiKey(req: Req, headers: RequestFacts['headers']): string | undefined
  isAuthFailure(status: number, req: Req): boolean
  skip(req: Req): boolean
  /** Report an engine failure through the engine's `error` event (the request is served: fail-open). */
  failOpen(error: unknown): void
}

function firstHeader(headers: RequestFacts['headers'], name: string): string | undefined {
  const v = headers?.[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined
}

/** Turn adapter options into an engine and the adapter's callbacks, with defaults in one place. */
export function adapterRuntime<Req>(options: AdapterOptions<Req> = {}): AdapterRuntime<Req> {
  const engineOptions: Record<string, unknown> = { ...options }
  for (const k of ADAPTER_KEYS) delete engineOptions[k]
  const engine = options.engine ?? createBulwark(engineOptions as BulwarkOptions)
  const runtime: AdapterRuntime<Req> = {
    engine,
    ownsEngine: options.engine === undefined,
    response: { exposeReason: options.exposeReason, legacyHeaders: options.legacyHeaders },
    // Each callback runs in its own try/catch (no closure per request): a throwing callback fails open.
    item: (req) => {
      if (options.item === undefined) return undefined
      try {
        const v = options.item(req)
        return typeof v === 'string' ? v : v == null ? undefined : String(v)
      } catch (error) {
        runtime.failOpen(error)
        return undefined
      }
    },
    apiKey: (req, headers) => {
      if (options.apiKey === undefined) return firstHeader(headers, 'x-api-key')
      try {
        return options.apiKey(req)
      } catch (error) {
        runtime.failOpen(error)
        return undefined
      }
    },
    isAuthFailure: (status, req) => {
      if (options.isAuthFailure === undefined) return status === 401
      try {
        return options.isAuthFailure(status, req)
      } catch (error) {
        runtime.failOpen(error)
        return false
      }
    },
    skip: (req) => {
      if (options.skip === undefined) return false
      try {
        return options.skip(req)
      } catch (error) {
        runtime.failOpen(error)
        return false
      }
    },
    failOpen: (error) => {
      const e =
        error instanceof BulwarkError
          ? error
          : new BulwarkError(
              'ERR_BULWARK_ADAPTER',
              `Bulwark failed open: ${error instanceof Error ? error.message : String(error)}`,
              {
                cause: error,
              },
            )
      const emitter = engine as unknown as {
        listenerCount?(e: string): number
        emit?(e: string, v: unknown): boolean
      }
      if ((emitter.listenerCount?.('error') ?? 0) > 0) {
        try {
          emitter.emit?.('error', e)
          return
        } catch {
          // fall through to the logger
        }
      }
      engine.options.logger?.error?.(e.message) ?? engine.options.logger?.warn(e.message)
    },
  }
  return runtime
}

/**
 * Warn once when the framework's own proxy trust and Bulwark's `trustProxy` disagree: the app would then see a
 * different client address than the one Bulwark counts and bans.
 */
export function warnTrustMismatch(
  engine: Bulwark,
  framework: string,
  frameworkTrustsProxy: boolean,
): boolean {
  const bulwarkTrusts = engine.options.trustProxy !== false && engine.options.trustProxy !== 0
  if (bulwarkTrusts === frameworkTrustsProxy) return false
  engine.options.logger?.warn(
    `[BULWARK_TRUST_PROXY_MISMATCH] ${framework} ${frameworkTrustsProxy ? 'trusts' : 'does not trust'} proxy headers but Bulwark's trustProxy is ${JSON.stringify(engine.options.trustProxy)}: set both to the same proxies so the app and Bulwark agree on the client address.`,
  )
  return true
}
