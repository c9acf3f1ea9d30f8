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
import type { Context, Middleware, Next } from 'koa'

/** What a handler sees as `ctx.state.bulwark`. */
export interface BulwarkRequestState {
  /** The engine's decision for this request; `undefined` when the engine failed and the request was served. */
  readonly decision: Decision | undefined
  /**
   * Count a failed authentication for this request's client (IP and API key). Counted once per request: a response
   * that also has an auth-failure status is not counted again.
   */
  reportAuthFailure(): Promise<Decision | undefined>
}

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

class State implements BulwarkRequestState {
  reported = false
  constructor(
    readonly decision: Decision | undefined,
    private readonly runtime: AdapterRuntime<Context>,
    private readonly facts: RequestFacts,
    private readonly ctx: Context,
  ) {}

  reportAuthFailure(): Promise<Decision | undefined> {
    this.reported = true
    return this.runtime.engine.reportAuthFailure(this.facts).then(undefined, (error: unknown) => {
      this.runtime.failOpen(error)
      return undefined
    })
  }

  finished(status: number): void {
    if (!this.reported && this.runtime.isAuthFailure(status, this.ctx)) void this.reportAuthFailure()
  }
}

type Tracked = ServerResponse & { [STATE]?: State }

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
  const rateHeaders = engine.options.endpoints?.mode === 'enforce'
  let trustChecked = false

  function proceed(ctx: Context, next: Next, state: State): Promise<void> {
    ctx.state.bulwark = state
    const res: Tracked = ctx.res
    res[STATE] = state
    res.once('finish', onFinish)
    return next()
  }

  function decided(ctx: Context, next: Next, facts: RequestFacts, d: Decision): unknown {
    const response = responseFor(d, runtime.response)
    if (response === null) {
      if (rateHeaders) {
        const headers = passHeaders(d, runtime.response)
        if (headers !== null) ctx.set(headers)
      }
      return proceed(ctx, next, new State(d, runtime, facts, ctx))
    }
    const state = new State(d, runtime, facts, ctx)
    state.reported = true
    ctx.state.bulwark = state
    const custom = d.conclusion === 'limit' ? onLimited : onBlocked
    if (custom !== undefined) return custom(ctx, next, d, response)
    ctx.status = response.status
    ctx.set(response.headers)
    ctx.body = response.body
  }

  const middleware = function bulwarkMiddleware(ctx: Context, next: Next): Promise<unknown> {
    if (!trustChecked) {
      trustChecked = true
      warnTrustMismatch(engine, 'koa', ctx.app.proxy === true)
    }
    if (runtime.skip(ctx)) return next()
    const req = ctx.req
    const headers = req.headers
    const facts: RequestFacts = {
      ip: req.socket.remoteAddress,
      method: req.method ?? 'GET',
      path: ctx.path,
      headers,
      apiKey: runtime.apiKey(ctx, headers),
      item: runtime.item(ctx),
    }
    let pending: Promise<Decision>
    try {
      pending = engine.inspect(facts)
    } catch (error) {
      pending = Promise.reject(error)
    }
    return pending.then(
      (d) => decided(ctx, next, facts, d),
      (error: unknown) => {
        runtime.failOpen(error)
        return proceed(ctx, next, new State(undefined, runtime, facts, ctx))
      },
    )
  }
  return Object.defineProperty(middleware, 'engine', { value: engine, enumerable: true }) as BulwarkMiddleware
}
