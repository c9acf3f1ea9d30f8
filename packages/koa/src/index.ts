import {
  type AdapterOptions,
  adapterRuntime,
  type Bulwark,
  type BulwarkRequestState,
  canonicalMethod,
  type Decision,
  type HttpResponse,
  KOA_ROUTING,
  type Outcome,
  type RouteLimitOptions,
  type Routing,
  routeLimit,
} from '@bulwark/core'
import type { Context, Middleware, Next } from 'koa'

export type { BulwarkRequestState } from '@bulwark/core'

declare module 'koa' {
  interface DefaultState {
    /** Set by the Bulwark middleware; absent for skipped requests. */
    bulwark?: BulwarkRequestState
  }
}

/** Replaces Bulwark's response: set `ctx.status`/`ctx.body`, or `return next()` to let the request through. */
export type BlockedHandler = (
  ctx: Context,
  next: Next,
  decision: Decision,
  response: HttpResponse,
) => unknown | Promise<unknown>

export interface BulwarkKoaOptions extends AdapterOptions<Context> {
  /** Replaces the 403 (ban), 413/400 (body) and 503 (store down, `failureMode: 'closed'`) responses. */
  onBlocked?: BlockedHandler
  /** Replaces the 429 response of a rate limit. */
  onLimited?: BlockedHandler
  /**
   * How your router matches paths, so global `endpoints` match what it matches. Default: @koa/router's defaults
   * (case-insensitive, a trailing slash ignored).
   */
  routing?: Routing
}

export type { RouteLimitOptions } from '@bulwark/core'

/** The middleware, with the engine it uses (to listen to events, `ban()`, `close()`) and route limits. */
export type BulwarkMiddleware = Middleware & {
  readonly engine: Bulwark
  /**
   * A limit on the route it is mounted on, matched by your router, so no spelling of the URL escapes it:
   * `router.post('/login', mw.limit({ limit: 5, windowMs: 60_000 }), handler)`. Each route gets its own counter,
   * named by the method and the route's pattern (`POST /login`, from @koa/router's `ctx._matchedRoute`), unless you
   * give an `id`: one counter then serves every route it is mounted on. Without a router, give it an `id`.
   */
  limit(options: RouteLimitOptions): Middleware
  /**
   * Marks an authentication route: `router.post('/login', mw.auth(), handler)`. Each attempt is counted as an auth
   * failure before the handler runs and given back when the answer is not a failure, so concurrent guesses cannot
   * race past `authFailures.limit`. Needs the app-wide middleware before it.
   */
  auth(): Middleware
}

/**
 * Koa middleware (Koa 2.15+ and 3): `app.use(bulwark(options))`. `options` are engine options (the middleware
 * creates the engine) or `{ engine }` to share one engine between apps.
 */
export function bulwark(options: BulwarkKoaOptions = {}): BulwarkMiddleware {
  const { onBlocked, onLimited, routing, ...rest } = options
  const runtime = adapterRuntime<Context>(rest, routing ?? KOA_ROUTING)
  const { engine } = runtime
  let trustChecked = false

  function conclude(ctx: Context, next: Next, outcome: Outcome<Context>, global: boolean): unknown {
    if (global || ctx.state.bulwark === undefined) {
      ctx.state.bulwark = outcome.state
      if (outcome.pass) {
        outcome.state.track(ctx.res)
        // A chunked body is cut at bodySize.maxBytes while the app's body parser reads it.
        outcome.state.limitBody(ctx.req, ctx.res)
      }
    }
    if (outcome.pass) {
      if (outcome.headers !== null) ctx.set(outcome.headers)
      return next()
    }
    const custom = outcome.decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom !== undefined) return custom(ctx, next, outcome.decision, outcome.response)
    ctx.status = outcome.response.status
    ctx.set(outcome.response.headers)
    ctx.body = outcome.response.body
  }

  const middleware = function bulwarkMiddleware(ctx: Context, next: Next): unknown {
    if (!trustChecked) {
      trustChecked = true
      runtime.checkTrust('koa', ctx.app.proxy === true)
    }
    if (runtime.skip(ctx)) return next()
    return runtime.run(ctx, ctx.req, undefined, (outcome) => conclude(ctx, next, outcome, true))
  }

  let unnamed = 0
  function limitOnRoute(o: RouteLimitOptions): Middleware {
    /** The route's own limit, named by the pattern the router matched (fixed by the app: no request invents one). */
    const rulesFor = routeLimit<Context>(
      o,
      `limit-${++unnamed}`,
      (ctx) => {
        const pattern: unknown = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute
        return typeof pattern === 'string' ? `${canonicalMethod(ctx.method)} ${pattern}` : undefined
      },
      true,
    )
    return function bulwarkLimit(ctx: Context, next: Next): unknown {
      if (runtime.skip(ctx)) return next()
      return runtime.run(ctx, ctx.req, rulesFor(ctx), (outcome) => conclude(ctx, next, outcome, false))
    }
  }

  Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true })
  function auth(): Middleware {
    return function bulwarkAuth(ctx: Context, next: Next): unknown {
      return runtime.reserve(ctx.state.bulwark, (outcome) =>
        outcome === null ? next() : conclude(ctx, next, outcome, false),
      )
    }
  }

  Object.defineProperty(middleware, 'limit', { value: limitOnRoute, enumerable: true })
  Object.defineProperty(middleware, 'auth', { value: auth, enumerable: true })
  return middleware as BulwarkMiddleware
}
