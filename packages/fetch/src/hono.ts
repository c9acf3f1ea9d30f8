import {
  type AdapterOptions,
  adapterRuntime,
  type Bulwark,
  type BulwarkRequestState,
  type Decision,
  type HttpResponse,
  type Outcome,
  type RouteLimitOptions,
  type Routing,
  routeLimit,
} from '@bulwark/core'
import type { Context, MiddlewareHandler, Next } from 'hono'
import type { GetConnInfo } from 'hono/conninfo'
import { matchedRoutes } from 'hono/route'
import { cutAnswer, limitBody } from './body-limit.js'
import { connectionAddress, refusal, wireOf, withHeaders } from './shared.js'

export type { BulwarkRequestState, RouteLimitOptions } from '@bulwark/core'

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by the Bulwark middleware (`c.get('bulwark')`); absent for skipped requests. */
    bulwark?: BulwarkRequestState
  }
}

/** Replaces Bulwark's answer: return a Response (`c.json(...)`), or `return next()` to let the request through. */
export type HonoRefusalHandler = (
  c: Context,
  next: Next,
  decision: Decision,
  response: HttpResponse,
) => Response | undefined | Promise<Response | undefined> | ReturnType<Next>

export interface BulwarkHonoOptions extends AdapterOptions<Context> {
  /**
   * Where the client address comes from: Hono's `getConnInfo` for your runtime (`hono/bun`, `hono/deno`,
   * `@hono/node-server/conninfo`, `hono/cloudflare-workers`, `hono/vercel`, …). Default: the connection's peer on
   * `@hono/node-server`, Bun and Deno, read as those helpers do. Bulwark applies `trustProxy` on top of it.
   */
  getConnInfo?: GetConnInfo
  /** Replaces the 403 (ban), 413/400 (body, no client address) and 503 (store down) answers. */
  onBlocked?: HonoRefusalHandler
  /** Replaces the 429 answer of a rate limit. */
  onLimited?: HonoRefusalHandler
  /**
   * How your Hono app matches paths, so global `endpoints` match what it routes. Default: Hono's defaults
   * (case-sensitive, `/a/` a different route from `/a`); with `new Hono({ strict: false })` pass
   * `{ caseSensitive: true, ignoreTrailingSlash: true }`.
   */
  routing?: Routing
}

/** The middleware, with the engine it uses (to listen to events, `ban()`, `close()`) and route limits. */
export type BulwarkHonoMiddleware = MiddlewareHandler & {
  readonly engine: Bulwark
  /**
   * A limit on the route it is mounted on, matched by Hono's router, so no spelling of the URL escapes it:
   * `app.post('/login', mw.limit({ limit: 5, windowMs: 60_000 }), handler)`. Each route gets its own counter, named
   * by the route's method and path (`POST /login`, `GET /items/:id`) unless you give an `id`: one counter then
   * serves every route it is mounted on.
   */
  limit(options: RouteLimitOptions): MiddlewareHandler
  /**
   * Marks an authentication route: `app.post('/login', mw.auth(), handler)`. Each attempt is counted as an auth
   * failure before the handler runs and given back when the answer is not a failure, so concurrent guesses cannot
   * race past `authFailures.limit`. Needs the app-wide middleware before it.
   */
  auth(): MiddlewareHandler
}

/** Hono's router by default: case-sensitive, strict about a trailing slash (observed with hono 4.13). */
const HONO_ROUTING: Routing = Object.freeze({ caseSensitive: true, ignoreTrailingSlash: false })

/** Contexts whose response carries a route limit's rate-limit headers: the app-wide ones do not replace them. */
const routeHeaders = new WeakSet<Context>()

/** The route Hono matched for the running handler, as `METHOD /pattern` (both fixed by the app). */
function routeName(c: Context): string | undefined {
  const route = matchedRoutes(c)[c.req.routeIndex]
  return route === undefined ? undefined : `${route.method} ${route.path}`
}

/**
 * Hono middleware (Hono 4.8+, any runtime): `app.use(bulwarkHono(options))`. `options` are engine options (the
 * middleware creates the engine) or `{ engine }` to share one engine between apps. Handlers read the request's
 * state with `c.get('bulwark')`.
 */
export function bulwarkHono(options: BulwarkHonoOptions = {}): BulwarkHonoMiddleware {
  const { getConnInfo, onBlocked, onLimited, routing, ...rest } = options
  const runtime = adapterRuntime<Context>(rest, routing ?? HONO_ROUTING)
  const { engine } = runtime

  function addressOf(c: Context): string | undefined {
    let address: unknown
    if (getConnInfo === undefined) address = connectionAddress(c.env, c.req.raw)
    else {
      try {
        address = getConnInfo(c).remote.address
      } catch (error) {
        runtime.failOpen(error)
      }
    }
    if (typeof address === 'string' && address !== '') return address
    engine.diagnose(
      'BULWARK_NO_CLIENT_ADDRESS',
      getConnInfo === undefined
        ? 'not served by @hono/node-server, Bun or Deno: pass getConnInfo from your runtime'
        : 'getConnInfo gave no remote.address',
    )
    return undefined
  }

  /** Pass or answer; `global` says whether this is the app-wide middleware (whose state handlers see). */
  async function conclude(
    c: Context,
    next: Next,
    outcome: Outcome<Context>,
    global: boolean,
  ): Promise<Response | undefined> {
    const owner = global || c.get('bulwark') === undefined
    if (owner) c.set('bulwark', outcome.state)
    if (outcome.pass) {
      // A chunked body is cut at bodySize.maxBytes while the handler reads it; Bulwark's answer then replaces the
      // handler's (or the error handler's, for the error the body read threw).
      const body = owner ? limitBody(runtime, outcome.state, c.req.raw) : null
      await next()
      if (body?.cut !== undefined) {
        c.res = undefined
        c.res = refusal(cutAnswer(body.cut))
        outcome.state.finished(body.cut.status)
        return undefined
      }
      if (owner) outcome.state.finished(c.res.status)
      if (outcome.headers !== null && (global ? !routeHeaders.has(c) : true)) {
        if (!global) routeHeaders.add(c)
        const response = c.res
        const updated = withHeaders(response, outcome.headers)
        if (updated !== response) c.res = updated
      }
      return undefined
    }
    const custom = outcome.decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom === undefined) return refusal(outcome.response)
    return (await custom(c, next, outcome.decision, outcome.response)) ?? undefined
  }

  const middleware: MiddlewareHandler = async function bulwarkMiddleware(c, next) {
    if (runtime.skip(c)) return next()
    return runtime.run(c, wireOf(c.req.raw, addressOf(c)), undefined, (o) => conclude(c, next, o, true))
  }

  let unnamed = 0
  function routeLimitMiddleware(o: RouteLimitOptions): MiddlewareHandler {
    const rulesFor = routeLimit<Context>(o, `limit-${++unnamed}`, routeName, true)
    return async function bulwarkLimit(c, next) {
      if (runtime.skip(c)) return next()
      return runtime.run(c, wireOf(c.req.raw, addressOf(c)), rulesFor(c), (o) => conclude(c, next, o, false))
    }
  }

  function auth(): MiddlewareHandler {
    return async function bulwarkAuth(c, next) {
      return runtime.reserve(c.get('bulwark'), (o) => (o === null ? next() : conclude(c, next, o, false)))
    }
  }

  Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true })
  Object.defineProperty(middleware, 'limit', { value: routeLimitMiddleware, enumerable: true })
  Object.defineProperty(middleware, 'auth', { value: auth, enumerable: true })
  return middleware as BulwarkHonoMiddleware
}
