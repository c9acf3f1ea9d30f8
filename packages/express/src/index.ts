import type { ServerResponse } from 'node:http'
import {
  type AdapterOptions,
  adapterRuntime,
  type Bulwark,
  type BulwarkRequestState,
  type Decision,
  type HttpResponse,
  inspectRequest,
  nodeFacts,
  pathOf,
  type RequestState,
  warnTrustMismatch,
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
  /** Replaces the 429 response of an endpoint limit. */
  onLimited?: BlockedHandler
}

/** The middleware, with the engine it uses (to listen to events, `block()`, `close()`). */
export type BulwarkMiddleware = RequestHandler & { readonly engine: Bulwark }

/** `finish` listener shared by all requests (no closure per request). */
function onFinish(this: ServerResponse & { req: Request }): void {
  ;(this.req.bulwark as RequestState<Request> | undefined)?.finished(this.statusCode)
}

/**
 * Express middleware (Express 4.21+ and 5): `app.use(bulwark(options))`. `options` are engine options (the
 * middleware creates the engine) or `{ engine }` to share one engine between apps.
 */
export function bulwark(options: BulwarkExpressOptions = {}): BulwarkMiddleware {
  const { onBlocked, onLimited, ...rest } = options
  const runtime = adapterRuntime<Request>(rest)
  const { engine } = runtime
  let trustChecked = false

  function decided(req: Request, res: Response, next: NextFunction, state: RequestState<Request>): void {
    req.bulwark = state
    const refusal = state.refusal()
    if (refusal === null) {
      const headers = state.passHeaders()
      if (headers !== null) res.set(headers)
      res.once('finish', onFinish)
      next()
      return
    }
    const decision = state.decision!
    const custom = decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom !== undefined) custom(req, res, next, decision, refusal)
    else res.status(refusal.status).set(refusal.headers).json(refusal.body)
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
    const facts = nodeFacts(runtime, req, req, pathOf(req.originalUrl ?? req.url))
    inspectRequest(runtime, req, facts, (state) => {
      try {
        decided(req, res, next, state)
      } catch (error) {
        next(error)
      }
    })
  }
  return Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true }) as BulwarkMiddleware
}
