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
  type RequestState,
  warnTrustMismatch,
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
  /** Replaces the 429 response of an endpoint limit. */
  onLimited?: BlockedHandler
}

/** The middleware, with the engine it uses (to listen to events, `block()`, `close()`). */
export type BulwarkMiddleware = Middleware & { readonly engine: Bulwark }

const STATE = Symbol('bulwark.state')

type Tracked = ServerResponse & { [STATE]?: RequestState<Context> }

/** `finish` listener shared by all requests (no closure per request). */
function onFinish(this: Tracked): void {
  this[STATE]?.finished(this.statusCode)
}

/**
 * Koa middleware (Koa 2.15+ and 3): `app.use(bulwark(options))`. `options` are engine options (the middleware
 * creates the engine) or `{ engine }` to share one engine between apps.
 */
export function bulwark(options: BulwarkKoaOptions = {}): BulwarkMiddleware {
  const { onBlocked, onLimited, ...rest } = options
  const runtime = adapterRuntime<Context>(rest)
  const { engine } = runtime
  let trustChecked = false

  function decided(ctx: Context, next: Next, state: RequestState<Context>): unknown {
    ctx.state.bulwark = state
    const refusal = state.refusal()
    if (refusal === null) {
      const headers = state.passHeaders()
      if (headers !== null) ctx.set(headers)
      const res: Tracked = ctx.res
      res[STATE] = state
      res.once('finish', onFinish)
      return next()
    }
    const decision = state.decision!
    const custom = decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom !== undefined) return custom(ctx, next, decision, refusal)
    ctx.status = refusal.status
    ctx.set(refusal.headers)
    ctx.body = refusal.body
  }

  const middleware = function bulwarkMiddleware(ctx: Context, next: Next): unknown {
    if (!trustChecked) {
      trustChecked = true
      warnTrustMismatch(engine, 'koa', ctx.app.proxy === true)
    }
    if (runtime.skip(ctx)) return next()
    return inspectRequest(runtime, ctx, nodeFacts(runtime, ctx, ctx.req, ctx.path), (state) =>
      decided(ctx, next, state),
    )
  }
  return Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true }) as BulwarkMiddleware
}
