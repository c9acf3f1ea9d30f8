// What the three framework adapters share: options in, one engine, one call per request that returns a typed
// pass/refuse outcome, and the state handlers see as `req.bulwark` / `request.bulwark` / `ctx.state.bulwark`.

import type { ServerResponse } from 'node:http'
import { type BodyStream, hasUndeclaredBody, limitBody } from './body-limit.js'
import { isRefused } from './decisions.js'
import type { DiagnosticCode } from './diagnostics.js'
import { type Bulwark, createBulwark, type RouteRules } from './engine.js'
import { BulwarkError } from './errors.js'
import { type HttpResponse, passHeaders, type ResponseOptions, responseFor } from './http.js'
import type { BulwarkOptions } from './options.js'
import { AUTH_ATTEMPT, AUTH_FAILURE, AUTH_REFUND } from './rules/auth-failures.js'
import { BODY_TOO_LARGE } from './rules/body-size.js'

/** The event adapters report when the app answered 404, for rules that listen to it (`on: 'not-found'`). */
export const NOT_FOUND = 'not-found'

import type { BlockDecision, Decision, LimitDecision, RequestFacts, Routing } from './types.js'

/** Options every adapter takes, on top of the engine options. `Req` is the framework's request. */
export interface AdapterOptions<Req> extends BulwarkOptions, ResponseOptions {
  /** Share one engine between apps; engine options are then ignored. */
  engine?: Bulwark
  /** The item this request queries, for the scraping rule (for example `req.query.hash`). */
  item?: (req: Req) => string | undefined
  /** The API key of this request. Default: the `x-api-key` header. */
  apiKey?: (req: Req) => string | undefined
  /**
   * The user the app authenticated, for rules with `by: 'user'` (e.g. `(req) => req.user?.id`). Runs when Bulwark
   * does: put the middleware after your authentication (in fastify, `hook: 'preHandler'`). No user: counted by IP.
   */
  user?: (req: Req) => string | number | null | undefined
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
  'user',
  'isAuthFailure',
  'skip',
  'exposeReason',
  'legacyHeaders',
] as const

/** What a handler sees as the request's Bulwark state. */
export interface BulwarkRequestState {
  /** The engine's decision for this request; `undefined` when the engine failed and the request was served. */
  readonly decision: Decision | undefined
  /**
   * Count a failed authentication for this request's client (IP, API key, user). Counted once per request: a
   * response that also has an auth-failure status is not counted again.
   */
  reportAuthFailure(): Promise<Decision | undefined>
  /** Report an event your own rules listen to (their `on`), e.g. `report('2fa-failure')`. */
  report(event: string): Promise<Decision | undefined>
}

/**
 * The request as it came over the wire, before any framework interpreted it: Node's `IncomingMessage` fits as it is
 * (`socket.remoteAddress`, `method`, `url`, `headers`); a Fetch API adapter builds one from its runtime.
 */
export interface WireRequest {
  socket?: { remoteAddress?: string | undefined } | undefined
  method?: string | undefined
  /** The request target as sent: a path with its query, or an absolute URL. */
  url?: string | undefined
  /** Lower-case header names. */
  headers: RequestFacts['headers'] & object
}

/** What one request comes to: it goes on (with headers to add), or Bulwark answers it. */
export type Outcome<Req> =
  | { pass: true; state: RequestState<Req>; headers: Record<string, string> | null }
  | {
      pass: false
      state: RequestState<Req>
      decision: LimitDecision | BlockDecision
      response: HttpResponse
    }

export class RequestState<Req> implements BulwarkRequestState {
  /** True once this request was counted as an auth failure, or answered by Bulwark itself. */
  private done = false
  /** An authentication attempt was counted up front (`reserve`): given back unless the answer is a failure. */
  private reserved = false
  /** A failure was reported explicitly while reserved: the reservation stands whatever the status. */
  private failed = false

  constructor(
    readonly decision: Decision | undefined,
    private readonly runtime: AdapterRuntime<Req>,
    private readonly facts: RequestFacts,
    private readonly req: Req,
  ) {}

  reportAuthFailure(): Promise<Decision | undefined> {
    if (this.reserved) {
      // Already counted by the reservation: keep it.
      this.failed = true
      return Promise.resolve(this.decision)
    }
    this.done = true
    return this.report(AUTH_FAILURE)
  }

  /**
   * Count this authentication attempt before its handler runs (a reservation), so concurrent guesses cannot race past
   * the limit; it is given back when the answer is not a failure. Resolves to the decision (a ban when the attempt
   * is over the limit), or undefined when the engine failed (fail-open).
   */
  async reserve(): Promise<Decision | undefined> {
    if (this.reserved || this.done) return undefined
    const d = await this.report(AUTH_ATTEMPT)
    // A refused attempt stays counted (it tripped the ban); an accepted one is given back unless it fails.
    if (d === undefined || !isRefused(d)) this.reserved = true
    return d
  }

  report(event: string): Promise<Decision | undefined> {
    return this.runtime.engine.report(event, this.facts).then(undefined, (error: unknown) => {
      this.runtime.failOpen(error)
      return undefined
    })
  }

  /** Count the response as an auth failure when its status says so, once `res` has finished. */
  track(res: ServerResponse): void {
    // One closure, and `on` rather than `once` (which wraps the listener in two more objects): 'finish' comes once. A
    // property stored on `res` instead (a symbol) cost express ~3 µs per request in server CPU (profiled): adding a
    // property to a ServerResponse changes its shape on every request.
    res.on('finish', () => this.finished(res.statusCode))
  }

  /**
   * The response is finished: learn from the status the app answered. An auth-failure status counts as one (unless
   * already counted); a 404 is reported as `not-found` when a rule counts those (404 enumeration, probes on 404).
   */
  finished(status: number): void {
    if (this.reserved) {
      if (!this.failed && !this.runtime.isAuthFailure(status, this.req)) void this.report(AUTH_REFUND)
    } else if (!this.done && this.runtime.isAuthFailure(status, this.req)) void this.reportAuthFailure()
    if (status === 404 && this.runtime.engine.listens(NOT_FOUND)) void this.report(NOT_FOUND)
  }

  /** @internal Bulwark answered this request itself. */
  answered(): void {
    this.done = true
  }

  /**
   * Enforce `bodySize.maxBytes` on this request's body when its size was not declared (chunked), while the app reads
   * it: past the limit Bulwark reports `body-too-large` (a suspicious event), answers 413 on `res` (403 when that
   * event banned the client) and cuts the upload; the app never sees a byte past the limit. Nothing is read or
   * buffered on the app's behalf, and a request without such a body costs nothing. Call it once the request passed.
   * `answer` sends Bulwark's answer the framework's way (default: written on `res` as it is).
   */
  limitBody(req: BodyStream, res: ServerResponse, answer?: (response: HttpResponse) => void): void {
    if (this.decision?.rule === 'whitelist') return
    watchBody(this.runtime, req, res, () => this.report(BODY_TOO_LARGE), this, answer)
  }
}

/** `limitBody` for one request: a no-op unless the body-size rule is on and the body's size is undeclared. */
function watchBody<Req>(
  runtime: AdapterRuntime<Req>,
  body: BodyStream,
  res: ServerResponse,
  report: () => Promise<Decision | undefined>,
  state: RequestState<Req> | null,
  answer: ((response: HttpResponse) => void) | undefined,
): void {
  const limit = runtime.bodyLimit
  if (limit === null || !hasUndeclaredBody(body)) return
  limitBody(body, res, {
    maxBytes: limit.maxBytes,
    enforced: limit.enforced,
    answer,
    report: () =>
      report().then((d) => {
        if (d === undefined || !isRefused(d)) return null
        state?.answered()
        return responseFor(d, runtime.response) as HttpResponse
      }),
  })
}

export interface AdapterRuntime<Req> {
  engine: Bulwark
  /** True when the adapter created the engine and should close it. */
  ownsEngine: boolean
  response: ResponseOptions
  /** `bodySize.maxBytes` and whether the rule is enforced (not monitor mode); null when the rule is off. */
  readonly bodyLimit: { readonly maxBytes: number; readonly enforced: boolean } | null
  /**
   * `RequestState.limitBody` for a request Bulwark has not decided about yet (fastify's `preHandler` hook runs after
   * the body is read): the facts reported past the limit are read from `req` and `wire` then. A request `skip`
   * leaves alone is not counted.
   */
  limitBody(
    req: Req,
    wire: WireRequest & BodyStream,
    res: ServerResponse,
    answer?: (response: HttpResponse) => void,
  ): void
  isAuthFailure(status: number, req: Req): boolean
  skip(req: Req): boolean
  /**
   * Decide about one request and continue with `then(outcome)` — synchronously when the store is synchronous (the
   * memory store), so an allowed request costs no promise. Never throws or rejects because of the engine: a failure
   * is reported through the engine's `error` event and the request passes (fail-open).
   */
  /**
   * On an authentication route, after `run`: count the attempt before the handler (see `RequestState.reserve`) and
   * continue with the outcome — refused when the attempt is over the limit (the client is banned). `state` is the
   * request's Bulwark state (`req.bulwark`); without one (a skipped request) `then(null)`: nothing to do.
   */
  reserve<R>(
    state: BulwarkRequestState | null | undefined,
    then: (outcome: Outcome<Req> | null) => R,
  ): R | Promise<R>
  run<R>(
    req: Req,
    wire: WireRequest,
    route: RouteRules | undefined,
    then: (outcome: Outcome<Req>) => R,
  ): R | Promise<R>
  /** Warn once (BULWARK_TRUST_PROXY_MISMATCH) when the framework's proxy trust and Bulwark's disagree. */
  checkTrust(framework: string, frameworkTrustsProxy: boolean): boolean
  /** Report an engine failure through the engine's `error` event (the request is served: fail-open). */
  failOpen(error: unknown): void
}

function firstHeader(headers: RequestFacts['headers'], name: string): string | undefined {
  const v = headers?.[name]
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined
}

/** Calls an option callback; a throwing callback fails open with `fallback`. */
function guarded<Req, A extends unknown[], T>(
  runtime: { failOpen(error: unknown): void },
  fn: ((req: Req, ...args: A) => T) | undefined,
  fallback: T,
): (req: Req, ...args: A) => T {
  if (fn === undefined) return () => fallback
  return (req, ...args) => {
    try {
      return fn(req, ...args)
    } catch (error) {
      runtime.failOpen(error)
      return fallback
    }
  }
}

/** The URL's path without its query string. */
function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Turn adapter options into an engine and the per-request call, with defaults in one place. `routing` says how the
 * framework's router matches paths (see `canonicalPath`); a function is read on the first request (after the app
 * is configured).
 */
export function adapterRuntime<Req>(
  options: AdapterOptions<Req> = {},
  routing: Routing | ((req: Req) => Routing),
): AdapterRuntime<Req> {
  const engineOptions: Record<string, unknown> = { ...options }
  for (const k of ADAPTER_KEYS) delete engineOptions[k]
  const engine = options.engine ?? createBulwark(engineOptions as BulwarkOptions)
  const response: ResponseOptions = {
    exposeReason: options.exposeReason,
    legacyHeaders: options.legacyHeaders,
  }
  let routes: Routing | null = typeof routing === 'function' ? null : routing
  const failOpen = (error: unknown): void => {
    const e =
      error instanceof BulwarkError
        ? error
        : new BulwarkError(
            'ERR_BULWARK_ADAPTER',
            `Bulwark failed open: ${error instanceof Error ? error.message : String(error)}`,
            { cause: error },
          )
    engine.reportError(e)
  }
  const sink = { failOpen }
  const item = guarded<Req, [], string | undefined>(
    sink,
    options.item === undefined
      ? undefined
      : (req) => {
          const v: unknown = options.item?.(req)
          return typeof v === 'string' ? v : v == null ? undefined : String(v)
        },
    undefined,
  )
  const apiKey =
    options.apiKey === undefined
      ? (_req: Req, headers: RequestFacts['headers']) => firstHeader(headers, 'x-api-key')
      : guarded<Req, [RequestFacts['headers']], string | undefined>(sink, options.apiKey, undefined)
  const user = guarded<Req, [], string | number | null | undefined>(sink, options.user, undefined)
  const isAuthFailure: (req: Req, status: number) => boolean =
    options.isAuthFailure === undefined
      ? (_req: Req, status: number) => status === 401
      : guarded<Req, [number], boolean>(
          sink,
          (req: Req, status: number) => options.isAuthFailure!(status, req),
          false,
        )
  const skip = guarded<Req, [], boolean>(sink, options.skip, false)
  const factsOf = (req: Req, wire: WireRequest): RequestFacts => {
    if (routes === null) routes = (routing as (req: Req) => Routing)(req)
    const headers = wire.headers
    const facts: RequestFacts = {
      ip: wire.socket?.remoteAddress,
      method: wire.method ?? 'GET',
      path: pathOf(wire.url ?? '/'),
      headers,
      apiKey: apiKey(req, headers),
      item: item(req),
      routing: routes,
    }
    const u = user(req)
    if (u !== undefined && u !== null) facts.user = u
    return facts
  }
  const bodyRule = engine.options.bodySize

  const runtime: AdapterRuntime<Req> = {
    engine,
    ownsEngine: options.engine === undefined,
    response,
    bodyLimit:
      bodyRule === null
        ? null
        : {
            maxBytes: bodyRule.maxBytes,
            enforced: engine.options.mode === 'enforce' && bodyRule.mode === 'enforce',
          },
    isAuthFailure: (status, req) => isAuthFailure(req, status),
    skip,
    failOpen,
    checkTrust(framework, frameworkTrustsProxy) {
      const bulwarkTrusts = engine.options.trustProxy !== false && engine.options.trustProxy !== 0
      if (bulwarkTrusts === frameworkTrustsProxy) return false
      const code: DiagnosticCode = 'BULWARK_TRUST_PROXY_MISMATCH'
      engine.diagnose(
        code,
        `${framework} ${frameworkTrustsProxy ? 'trusts' : 'does not trust'} proxy headers; Bulwark's trustProxy is ${JSON.stringify(engine.options.trustProxy)}`,
      )
      return true
    },
    limitBody(req, wire, res, answer) {
      if (runtime.bodyLimit === null || !hasUndeclaredBody(wire) || skip(req)) return
      const report = () =>
        engine.report(BODY_TOO_LARGE, factsOf(req, wire)).then(undefined, (error: unknown) => {
          failOpen(error)
          return undefined
        })
      watchBody(runtime, wire, res, report, null, answer)
    },
    run(req, wire, route, then) {
      const facts = factsOf(req, wire)
      const outcome = (decision: Decision | undefined): Outcome<Req> => {
        const state = new RequestState<Req>(decision, runtime, facts, req)
        if (decision === undefined || !isRefused(decision)) {
          return {
            pass: true,
            state,
            headers: decision === undefined ? null : passHeaders(decision, response),
          }
        }
        state.answered()
        return { pass: false, state, decision, response: responseFor(decision, response) as HttpResponse }
      }
      const failed = (error: unknown) => {
        failOpen(error)
        return then(outcome(undefined))
      }
      let pending: Decision | Promise<Decision>
      try {
        pending = engine.decide(facts, route)
      } catch (error) {
        return Promise.resolve().then(() => failed(error))
      }
      if (pending instanceof Promise) return pending.then((d) => then(outcome(d)), failed)
      return then(outcome(pending))
    },
    reserve(state, then) {
      if (!(state instanceof RequestState)) return then(null)
      const own = state as RequestState<Req>
      return own.reserve().then((d) => {
        if (d === undefined || !isRefused(d)) return then({ pass: true, state: own, headers: null })
        own.answered()
        return then({
          pass: false,
          state: own,
          decision: d,
          response: responseFor(d, response) as HttpResponse,
        })
      })
    },
  }
  return runtime
}
