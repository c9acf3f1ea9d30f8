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
  type WireRequest,
} from '@bulwark/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

export type { BulwarkRequestState } from '@bulwark/core'

declare global {
  namespace Express {
    interface Request {
      /** Set by the Bulwark middleware; absent for skipped requests. */
      bulwark?: BulwarkRequestState
    }
  }
}

/** Replaces Bulwark's response: send one, or call `next()` to let the request through after all. */
export type BlockedHandler = (
  req: Request,
  res: Response,
  next: NextFunction,
  decision: Decision,
  response: HttpResponse,
) => void

export interface BulwarkExpressOptions extends AdapterOptions<Request> {
  /** Replaces the 403 (ban), 413/400 (body) and 503 (store down, `failureMode: 'closed'`) responses. */
  onBlocked?: BlockedHandler
  /** Replaces the 429 response of a rate limit. */
  onLimited?: BlockedHandler
}

export type { RouteLimitOptions } from '@bulwark/core'

/** The middleware, with the engine it uses (to listen to events, `ban()`, `close()`) and route limits. */
export type BulwarkMiddleware = RequestHandler & {
  readonly engine: Bulwark
  /**
   * A limit on the route it is mounted on, matched by express's router, so no spelling of the URL escapes it:
   * `app.post('/login', mw.limit({ limit: 5, windowMs: 60_000 }), handler)`. Each route it is mounted on gets its own
   * counter, named by the route (`POST /login`, as in `RateLimit-Policy`), unless you give an `id`: one counter then
   * serves every route it is mounted on. Mounted with `app.use`, give it an `id`.
   */
  limit(options: RouteLimitOptions): RequestHandler
  /**
   * Marks an authentication route: `app.post('/login', mw.auth(), handler)`. Each attempt is counted as an auth
   * failure before the handler runs and given back when the answer is not a failure, so concurrent guesses cannot
   * race past `authFailures.limit`. Needs the app-wide middleware before it.
   */
  auth(): RequestHandler
}

/** The request as sent: express rewrites `req.url` under a mount path, `originalUrl` keeps the target. */
function wireOf(req: Request): WireRequest {
  return { socket: req.socket, method: req.method, url: req.originalUrl, headers: req.headers }
}

/** How express 5 (and 4) routes by default; `case sensitive routing` and `strict routing` are read on first use. */
function routingOf(req: Request): Routing {
  return {
    caseSensitive: req.app.get('case sensitive routing') === true,
    ignoreTrailingSlash: req.app.get('strict routing') !== true,
  }
}

/**
 * Express middleware (Express 4.21+ and 5): `app.use(bulwark(options))`. `options` are engine options (the
 * middleware creates the engine) or `{ engine }` to share one engine between apps.
 */
export function bulwark(options: BulwarkExpressOptions = {}): BulwarkMiddleware {
  const { onBlocked, onLimited, ...rest } = options
  const runtime = adapterRuntime<Request>(rest, routingOf)
  const { engine } = runtime
  let trustChecked = false

  /** Pass or answer; `global` says whether this is the app-wide middleware (whose state handlers see). */
  function conclude(
    req: Request,
    res: Response,
    next: NextFunction,
    outcome: Outcome<Request>,
    global: boolean,
  ): void {
    try {
      if (global || req.bulwark === undefined) {
        req.bulwark = outcome.state
        if (outcome.pass) {
          outcome.state.track(res)
          // A chunked body is cut at bodySize.maxBytes while the app's body parser reads it.
          outcome.state.limitBody(req, res)
        }
      }
      if (outcome.pass) {
        if (outcome.headers !== null) res.set(outcome.headers)
        next()
        return
      }
      const custom = outcome.decision.conclusion === 'limit' ? onLimited : onBlocked
      if (custom !== undefined) custom(req, res, next, outcome.decision, outcome.response)
      else res.status(outcome.response.status).set(outcome.response.headers).json(outcome.response.body)
    } catch (error) {
      next(error)
    }
  }

  const middleware = function bulwarkMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (!trustChecked) {
      trustChecked = true
      const trust: unknown = req.app.get('trust proxy')
      runtime.checkTrust('express', trust !== false && trust !== 0 && trust != null)
    }
    if (runtime.skip(req)) {
      next()
      return
    }
    runtime.run(req, wireOf(req), undefined, (outcome) => conclude(req, res, next, outcome, true))
  }

  let unnamed = 0
  function limitOnRoute(o: RouteLimitOptions): RequestHandler {
    /**
     * The route's own limit, named by the route express matched: its methods and path pattern (both fixed by the app,
     * so no request can invent a new counter).
     */
    const rulesFor = routeLimit<Request>(
      o,
      `limit-${++unnamed}`,
      (req) => {
        const route = req.route as { path?: unknown; methods?: Record<string, boolean> } | undefined
        if (typeof route?.path !== 'string') return undefined
        const methods = Object.keys(route.methods ?? {}).map((m) => (m === '_all' ? 'ALL' : m.toUpperCase()))
        return `${methods.sort().join(',')} ${route.path}`
      },
      true,
    )
    return function bulwarkLimit(req: Request, res: Response, next: NextFunction): void {
      if (runtime.skip(req)) {
        next()
        return
      }
      runtime.run(req, wireOf(req), rulesFor(req), (outcome) => conclude(req, res, next, outcome, false))
    }
  }

  Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true })
  function auth(): RequestHandler {
    return function bulwarkAuth(req: Request, res: Response, next: NextFunction): void {
      runtime.reserve(req.bulwark, (outcome) =>
        outcome === null ? next() : conclude(req, res, next, outcome, false),
      )
    }
  }

  Object.defineProperty(middleware, 'limit', { value: limitOnRoute, enumerable: true })
  Object.defineProperty(middleware, 'auth', { value: auth, enumerable: true })
  return middleware as BulwarkMiddleware
}
