import type { ServerResponse } from 'node:http'
import {
  type AdapterOptions,
  type AdapterRuntime,
  adapterRuntime,
  type Bulwark,
  type Decision,
  type HttpResponse,
  passHeaders,
  type RequestFacts,
  responseFor,
  warnTrustMismatch,
} from '@bulwark/core'
import type { NextFunction, Request, RequestHandler, Response } from 'express'

/** What a handler sees as `req.bulwark`. */
export interface BulwarkRequestState {
  /** The engine's decision for this request; `undefined` when the engine failed and the request was served. */
  readonly decision: Decision | undefined
  /**
   * Count a failed authentication for this request's client (IP and API key). Counted once per request: a response
   * that also has an auth-failure status is not counted again.
   */
  reportAuthFailure(): Promise<Decision | undefined>
}

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
  /** Replaces the 429 response of an endpoint limit. */
  onLimited?: BlockedHandler
}

/** The middleware, with the engine it uses (to listen to events, `block()`, `close()`). */
export type BulwarkMiddleware = RequestHandler & { readonly engine: Bulwark }

class State implements BulwarkRequestState {
  reported = false
  constructor(
    readonly decision: Decision | undefined,
    private readonly runtime: AdapterRuntime<Request>,
    private readonly facts: RequestFacts,
    private readonly req: Request,
  ) {}

  reportAuthFailure(): Promise<Decision | undefined> {
    this.reported = true
    return this.runtime.engine.reportAuthFailure(this.facts).then(undefined, (error: unknown) => {
      this.runtime.failOpen(error)
      return undefined
    })
  }

  finished(status: number): void {
    if (!this.reported && this.runtime.isAuthFailure(status, this.req)) void this.reportAuthFailure()
  }
}

/** `finish` listener shared by all requests (no closure per request). */
function onFinish(this: ServerResponse & { req: Request }): void {
  ;(this.req.bulwark as State | undefined)?.finished(this.statusCode)
}

function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Express middleware (Express 4.21+ and 5): `app.use(bulwark(options))`. `options` are engine options (the
 * middleware creates the engine) or `{ engine }` to share one engine between apps.
 */
export function bulwark(options: BulwarkExpressOptions = {}): BulwarkMiddleware {
  const { onBlocked, onLimited, ...rest } = options
  const runtime = adapterRuntime<Request>(rest)
  const { engine } = runtime
  const rateHeaders = engine.options.endpoints?.mode === 'enforce'
  let trustChecked = false

  function proceed(req: Request, res: Response, next: NextFunction, state: State): void {
    req.bulwark = state
    res.once('finish', onFinish)
    next()
  }

  function decided(req: Request, res: Response, next: NextFunction, facts: RequestFacts, d: Decision): void {
    const response = responseFor(d, runtime.response)
    if (response === null) {
      if (rateHeaders) {
        const headers = passHeaders(d, runtime.response)
        if (headers !== null) res.set(headers)
      }
      proceed(req, res, next, new State(d, runtime, facts, req))
      return
    }
    const state = new State(d, runtime, facts, req)
    state.reported = true
    req.bulwark = state
    const custom = d.conclusion === 'limit' ? onLimited : onBlocked
    if (custom !== undefined) custom(req, res, next, d, response)
    else res.status(response.status).set(response.headers).json(response.body)
  }

  const middleware = function bulwarkMiddleware(req: Request, res: Response, next: NextFunction): void {
    if (!trustChecked) {
      trustChecked = true
      const trust: unknown = req.app.get('trust proxy')
      warnTrustMismatch(engine, 'express', trust !== false && trust !== 0 && trust != null)
    }
    if (runtime.skip(req)) {
      next()
      return
    }
    const headers = req.headers
    const facts: RequestFacts = {
      ip: req.socket.remoteAddress,
      method: req.method,
      path: pathOf(req.originalUrl ?? req.url),
      headers,
      apiKey: runtime.apiKey(req, headers),
      item: runtime.item(req),
    }
    let pending: Promise<Decision>
    try {
      pending = engine.inspect(facts)
    } catch (error) {
      pending = Promise.reject(error)
    }
    pending.then(
      (d) => {
        try {
          decided(req, res, next, facts, d)
        } catch (error) {
          next(error)
        }
      },
      (error: unknown) => {
        runtime.failOpen(error)
        proceed(req, res, next, new State(undefined, runtime, facts, req))
      },
    )
  }
  return Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true }) as BulwarkMiddleware
}
