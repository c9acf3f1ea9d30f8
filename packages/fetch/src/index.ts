import {
  type AdapterOptions,
  adapterRuntime,
  type Bulwark,
  type BulwarkRequestState,
  type Decision,
  type HttpResponse,
  type LimitOptions,
  limit,
  type Outcome,
  type RouteRules,
  type Routing,
} from '@bulwark/core'
import { cutAnswer, limitBody } from './body-limit.js'
import { connectionAddress, isResponse, refusal, wireOf, withHeaders } from './shared.js'

export type { BulwarkRequestState } from '@bulwark/core'
export { BodyTooLargeError } from './body-limit.js'

/**
 * Replaces Bulwark's refusal: return the Response to send, or `undefined` to let the request through to the handler
 * after all.
 */
export type RefusalHandler = (
  request: Request,
  decision: Decision,
  response: HttpResponse,
) => Response | undefined | Promise<Response | undefined>

export interface BulwarkFetchOptions extends AdapterOptions<Request> {
  /** Replaces the 403 (ban), 413/400 (body, no client address) and 503 (store down, `failureMode: 'closed'`) answers. */
  onBlocked?: RefusalHandler
  /** Replaces the 429 answer of a rate limit. */
  onLimited?: RefusalHandler
  /**
   * How your router matches paths, so global `endpoints` match what it routes. Default: case-insensitive, a trailing
   * slash ignored — the broadest matching, so a limit counts every spelling any router might route to the path (it
   * may also count a spelling yours answers 404 to).
   */
  routing?: Routing
}

/**
 * A limit on one handler: `limit`, `windowMs`, the `id` naming its counter (and `RateLimit-Policy`), and optionally
 * `by`, `cost`, `mode`, `suspicious`. A fetch handler has no route pattern to name it after, so the `id` is yours.
 */
export type HandlerLimitOptions = LimitOptions & { id: string }

/** What the runtime knows about a request that the Request itself does not carry. */
export interface RequestInfo {
  /**
   * The address of the connection's peer, as the runtime gives it: `server.requestIP(request)?.address` in Bun,
   * `info.remoteAddr.hostname` in Deno; where the runtime gives none (Next.js), the one your proxy wrote for every
   * request (`X-Real-IP`). Not `X-Forwarded-For`: Bulwark reads that itself, as `trustProxy` says. Without an address
   * the request is refused (400) and never counted.
   */
  ip?: string | null | undefined
  /**
   * A limit for this request's route, decided with the global rules in one store call: `{ id: 'login', limit: 5,
   * windowMs: 60_000 }`. Its `id` names the counter (and `RateLimit-Policy`); every request given the same `id`
   * shares it. Keep the object in a constant: it is resolved once per object.
   */
  limit?: HandlerLimitOptions
  /**
   * An authentication request (a login): the attempt is counted as an auth failure before `next` runs and given back
   * when the answer is not a failure, so concurrent guesses cannot race past `authFailures.limit`.
   */
  auth?: boolean
  /**
   * `false` when the app-wide rules already decided about this request elsewhere (Next.js middleware): only `limit`
   * and bans are checked, so the request is not counted twice; the answer is still learnt from. Default true.
   */
  globalRules?: boolean
}

/** The rest of the request's handling, given the request and its Bulwark state (undefined for skipped requests). */
export type NextHandler = (
  request: Request,
  state: BulwarkRequestState | undefined,
) => Response | Promise<Response>

/**
 * A fetch handler with the request's Bulwark state as a third argument: a Next.js route handler (`ctx` is
 * `{ params }`), a `Bun.serve` fetch handler (`ctx` is the server), a `Deno.serve` handler (`ctx` is the info).
 */
export type BulwarkHandler<Req extends Request = Request, Ctx = unknown> = (
  request: Req,
  ctx: Ctx,
  state: BulwarkRequestState | undefined,
) => Response | Promise<Response>

/** The handler `wrap`/`withBulwark` return: the runtime's fetch handler signature, with the engine it uses. */
export type GuardedHandler<Req extends Request = Request, Ctx = unknown> = ((
  request: Req,
  ctx: Ctx,
) => Promise<Response>) & {
  readonly engine: Bulwark
}

export interface WrapOptions<Req extends Request = Request, Ctx = unknown> {
  /**
   * The client's address from the request and the handler's second argument. Default: the connection's peer when
   * `ctx` is Bun's server, Deno's `ServeHandlerInfo` or `@hono/node-server`'s bindings. Next.js route handlers get
   * no connection: give the address your proxy sets (see the README). Return `undefined` when there is none: the
   * request is refused (400), never counted under a shared `unknown` address.
   */
  ip?: (request: Req, ctx: Ctx) => string | null | undefined
  /** A limit on this handler, decided with the global rules; its `id` names the counter. See `RequestInfo.limit`. */
  limit?: HandlerLimitOptions
  /** An authentication handler (a login): each attempt is counted before it runs. See `RequestInfo.auth`. */
  auth?: boolean
  /** `false` behind a Next.js middleware that already ran Bulwark: see `RequestInfo.globalRules`. */
  globalRules?: boolean
}

/** Engine and adapter options, plus the wrapped handler's `ip`, `limit`, `auth` and `globalRules`. */
export interface WithBulwarkOptions<Req extends Request = Request, Ctx = unknown>
  extends BulwarkFetchOptions,
    WrapOptions<Req, Ctx> {}

/** Bulwark for Fetch API handlers: one engine, one call per request. */
export interface FetchBulwark {
  /** The engine (events, `ban()`, `unban()`, `listBans()`, `whitelist`, `close()`). */
  readonly engine: Bulwark
  /**
   * Decide about `request`: answer it with Bulwark's refusal, or call `next(request, state)` and return its
   * Response with the rate-limit headers added. When the Response is known its status is learnt from (a 401 counts
   * as an auth failure, a 404 feeds rules on `not-found`). Never rejects because of the engine (fail-open); an error
   * thrown by `next` is yours.
   */
  handle(request: Request, info: RequestInfo, next: NextHandler): Promise<Response>
  /**
   * `handler` with Bulwark in front, as the runtime calls it: `Bun.serve({ fetch: guard.wrap(handler) })`,
   * `Deno.serve(guard.wrap(handler))`, `export const POST = guard.wrap(handler, { ip, limit })` in Next.js.
   */
  wrap<Req extends Request = Request, Ctx = unknown>(
    handler: BulwarkHandler<Req, Ctx>,
    options?: WrapOptions<Req, Ctx>,
  ): GuardedHandler<Req, Ctx>
}

/**
 * Routers a Fetch handler may sit behind are not known here: merge case and a trailing slash, so a limit counts
 * every spelling any of them might route.
 */
const ANY_ROUTING: Routing = Object.freeze({ caseSensitive: false, ignoreTrailingSlash: true })

/** A handler behind middleware that ran the global rules, without a limit of its own: bans are still checked. */
const NO_RULES: RouteRules = Object.freeze({ rules: Object.freeze([]), only: true })

const NO_RUNTIME_ADDRESS =
  "no `ip` option, and the handler's second argument is not Bun's server, Deno's info or @hono/node-server's bindings"

/**
 * Bulwark for the Fetch API's `Request`/`Response` (Next.js route handlers, `Bun.serve`, `Deno.serve`, any fetch
 * handler). `options` are engine options (an engine is created) or `{ engine }` to share one engine. For Hono, use
 * `bulwarkHono` from `@bulwark/fetch/hono`.
 */
export function bulwark(options: BulwarkFetchOptions = {}): FetchBulwark {
  const { onBlocked, onLimited, routing, ...rest } = options
  const runtime = adapterRuntime<Request>(rest, routing ?? ANY_ROUTING)
  const { engine } = runtime
  /** Route rules per limit object, resolved once: with the global rules (one call), or alone. */
  const withGlobal = new WeakMap<HandlerLimitOptions, RouteRules>()
  const alone = new WeakMap<HandlerLimitOptions, RouteRules>()
  const routeOf = (o: HandlerLimitOptions | undefined, globalRules: boolean): RouteRules | undefined => {
    if (o === undefined) return globalRules ? undefined : NO_RULES
    const cache = globalRules ? withGlobal : alone
    let route = cache.get(o)
    if (route === undefined) {
      route = { rules: [limit(o)], only: !globalRules }
      cache.set(o, route)
    }
    return route
  }

  /** Bulwark's refusal, or the custom handler's answer (`undefined` from it: the request goes on after all). */
  async function refuse(
    request: Request,
    outcome: Extract<Outcome<Request>, { pass: false }>,
    next: NextHandler,
  ): Promise<Response> {
    const custom = outcome.decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom === undefined) return refusal(outcome.response)
    const replaced = await custom(request, outcome.decision, outcome.response)
    return replaced === undefined ? next(request, outcome.state) : replaced
  }

  async function conclude(
    request: Request,
    outcome: Outcome<Request>,
    auth: boolean,
    next: NextHandler,
  ): Promise<Response> {
    if (!outcome.pass) return refuse(request, outcome, next)
    if (auth) {
      // An authentication route: the attempt is counted before the handler; over the limit, it is refused.
      const reserved = await runtime.reserve(outcome.state, (o) => o)
      if (reserved !== null && !reserved.pass) return refuse(request, reserved, next)
    }
    // A chunked body is cut at bodySize.maxBytes while the handler reads it; Bulwark's answer then replaces the
    // handler's (or the error its body read made it throw).
    const body = limitBody(runtime, outcome.state, request)
    let response: Response
    try {
      response = await next(request, outcome.state)
    } catch (error) {
      if (body?.cut === undefined) throw error
      response = refusal(cutAnswer(body.cut))
    }
    if (body?.cut !== undefined) {
      outcome.state.finished(body.cut.status)
      return refusal(cutAnswer(body.cut))
    }
    if (!isResponse(response)) return response
    outcome.state.finished(response.status)
    return outcome.headers === null ? response : withHeaders(response, outcome.headers)
  }

  function decide(
    request: Request,
    ip: string | undefined,
    route: RouteRules | undefined,
    auth: boolean,
    next: NextHandler,
  ): Promise<Response> {
    try {
      if (runtime.skip(request)) return Promise.resolve(next(request, undefined))
      return Promise.resolve(
        runtime.run(request, wireOf(request, ip), route, (outcome) => conclude(request, outcome, auth, next)),
      )
    } catch (error) {
      return Promise.reject(error)
    }
  }

  function handle(request: Request, info: RequestInfo, next: NextHandler): Promise<Response> {
    const ip = typeof info?.ip === 'string' && info.ip !== '' ? info.ip : undefined
    if (ip === undefined)
      engine.diagnose('BULWARK_NO_CLIENT_ADDRESS', 'handle(request, info) was given no info.ip')
    return decide(request, ip, routeOf(info?.limit, info?.globalRules !== false), info?.auth === true, next)
  }

  function wrap<Req extends Request, Ctx>(
    handler: BulwarkHandler<Req, Ctx>,
    o: WrapOptions<Req, Ctx> = {},
  ): GuardedHandler<Req, Ctx> {
    const ipOf = o.ip
    const route = routeOf(o.limit, o.globalRules !== false) // validates the limit now, not on the first request
    const auth = o.auth === true
    const guarded = function bulwarkHandler(request: Req, ctx: Ctx): Promise<Response> {
      let ip: string | undefined
      if (ipOf === undefined) {
        ip = connectionAddress(ctx, request)
        if (ip === undefined) engine.diagnose('BULWARK_NO_CLIENT_ADDRESS', NO_RUNTIME_ADDRESS)
      } else {
        try {
          const v = ipOf(request, ctx)
          ip = typeof v === 'string' && v !== '' ? v : undefined
        } catch (error) {
          runtime.failOpen(error)
        }
        if (ip === undefined) engine.diagnose('BULWARK_NO_CLIENT_ADDRESS', 'the `ip` option returned none')
      }
      return decide(request, ip, route, auth, (r, state) => handler(r as Req, ctx, state))
    }
    Object.defineProperty(guarded, 'engine', { value: engine, enumerable: true })
    return guarded as GuardedHandler<Req, Ctx>
  }

  return { engine, handle, wrap }
}

/**
 * `handler` with Bulwark in front, in one call: `Bun.serve({ fetch: withBulwark(handler, options) })`,
 * `Deno.serve(withBulwark(handler, options))`, or a Next.js route handler with an `ip` option. Creates an engine from
 * `options` (or uses `options.engine`): give several handlers one engine, with `{ engine }` or `bulwark().wrap`.
 */
export function withBulwark<Req extends Request = Request, Ctx = unknown>(
  handler: BulwarkHandler<Req, Ctx>,
  options: WithBulwarkOptions<Req, Ctx> = {},
): GuardedHandler<Req, Ctx> {
  const { ip, limit: limitOptions, auth, globalRules, ...rest } = options
  return bulwark(rest).wrap(handler, { ip, limit: limitOptions, auth, globalRules })
}
