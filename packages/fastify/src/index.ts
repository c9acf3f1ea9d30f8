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
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import fp from 'fastify-plugin'

/** What a handler sees as `request.bulwark`. */
export interface BulwarkRequestState {
  /** The engine's decision for this request; `undefined` when the engine failed and the request was served. */
  readonly decision: Decision | undefined
  /**
   * Count a failed authentication for this request's client (IP and API key). Counted once per request: a response
   * that also has an auth-failure status is not counted again.
   */
  reportAuthFailure(): Promise<Decision | undefined>
}

/** Per-route settings, in the route's `config.bulwark`; each replaces the plugin-wide callback of the same name. */
export type BulwarkRouteOptions = Pick<
  AdapterOptions<FastifyRequest>,
  'item' | 'apiKey' | 'isAuthFailure' | 'skip'
>

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Bulwark plugin; `null` for skipped requests and routes with `config: { bulwark: false }`. */
    bulwark: BulwarkRequestState | null
  }
  interface FastifyInstance {
    /** The Bulwark engine of this app (events, `block()`, `unblock()`, `listBlocks()`, `whitelist`). */
    bulwark: Bulwark
  }
  interface FastifyContextConfig {
    /** `false` leaves this route alone; an object replaces the plugin's `item`, `apiKey`, `isAuthFailure`, `skip`. */
    bulwark?: false | BulwarkRouteOptions
  }
}

/** Replaces Bulwark's response: send one with `reply`; if it does not, the request goes on. */
export type BlockedHandler = (
  request: FastifyRequest,
  reply: FastifyReply,
  decision: Decision,
  response: HttpResponse,
) => void | Promise<void>

export interface BulwarkFastifyOptions extends AdapterOptions<FastifyRequest> {
  /** Replaces the 403 (ban), 413/400 (body) and 503 (store down, `failureMode: 'closed'`) responses. */
  onBlocked?: BlockedHandler
  /** Replaces the 429 response of an endpoint limit. */
  onLimited?: BlockedHandler
}

type Runtime = AdapterRuntime<FastifyRequest>

class State implements BulwarkRequestState {
  reported = false
  constructor(
    readonly decision: Decision | undefined,
    private readonly runtime: Runtime,
    private readonly facts: RequestFacts,
  ) {}

  reportAuthFailure(): Promise<Decision | undefined> {
    this.reported = true
    return this.runtime.engine.reportAuthFailure(this.facts).then(undefined, (error: unknown) => {
      this.runtime.failOpen(error)
      return undefined
    })
  }

  /** The `onResponse` side: count an auth failure from the status unless the request already was. */
  responded(request: FastifyRequest, status: number): void {
    if (!this.reported && this.runtime.isAuthFailure(status, request)) void this.reportAuthFailure()
  }
}

function onResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  ;(request.bulwark as State | null)?.responded(request, reply.statusCode)
  done()
}

const plugin: FastifyPluginCallback<BulwarkFastifyOptions> = (fastify, options, done) => {
  const { onBlocked, onLimited, ...rest } = options
  const runtime: Runtime = adapterRuntime<FastifyRequest>(rest)
  const { engine } = runtime
  const rateHeaders = engine.options.endpoints?.mode === 'enforce'
  const routeRuntimes = new WeakMap<BulwarkRouteOptions, Runtime>()
  let trustChecked = false

  /** The runtime of a route with its own `config.bulwark` callbacks, made once per route. */
  function routeRuntime(config: BulwarkRouteOptions): Runtime {
    let rt = routeRuntimes.get(config)
    if (rt === undefined) {
      rt = adapterRuntime<FastifyRequest>({ ...rest, ...config, engine })
      routeRuntimes.set(config, rt)
    }
    return rt
  }

  function decided(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    rt: Runtime,
    facts: RequestFacts,
    d: Decision,
  ): void {
    const state = new State(d, rt, facts)
    request.bulwark = state
    const response = responseFor(d, rt.response)
    if (response === null) {
      if (rateHeaders) {
        const headers = passHeaders(d, rt.response)
        if (headers !== null) reply.headers(headers)
      }
      done()
      return
    }
    state.reported = true
    const custom = d.conclusion === 'limit' ? onLimited : onBlocked
    if (custom === undefined) {
      reply.code(response.status).headers(response.headers).send(response.body)
      return
    }
    Promise.resolve(custom(request, reply, d, response)).then(
      () => {
        if (!reply.sent) done()
      },
      (error: Error) => done(error),
    )
  }

  function onRequest(
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    if (!trustChecked) {
      trustChecked = true
      warnTrustMismatch(engine, 'fastify', request.ips !== undefined)
    }
    const config = request.routeOptions.config.bulwark
    const rt = config === false ? null : config === undefined ? runtime : routeRuntime(config)
    if (rt === null || rt.skip(request)) {
      done()
      return
    }
    const raw = request.raw
    const headers = raw.headers
    const url = raw.url ?? '/'
    const q = url.indexOf('?')
    const facts: RequestFacts = {
      ip: raw.socket.remoteAddress,
      method: raw.method ?? 'GET',
      path: q === -1 ? url : url.slice(0, q),
      headers,
      apiKey: rt.apiKey(request, headers),
      item: rt.item(request),
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
          decided(request, reply, done, rt, facts, d)
        } catch (error) {
          if (!reply.sent) done(error as Error)
        }
      },
      (error: unknown) => {
        rt.failOpen(error)
        request.bulwark = new State(undefined, rt, facts)
        done()
      },
    )
  }

  fastify.decorate('bulwark', engine)
  fastify.decorateRequest('bulwark', null)
  fastify.addHook('onRequest', onRequest)
  fastify.addHook('onResponse', onResponse)
  if (runtime.ownsEngine) {
    fastify.addHook('onClose', async function closeEngine() {
      await engine.close()
    })
  }
  done()
}

/**
 * The Fastify 5 plugin: `await fastify.register(bulwark, options)`. `options` are engine options (the plugin creates
 * the engine and closes it with the app) or `{ engine }` to share one engine between apps. Routes opt out with
 * `config: { bulwark: false }` or set their own `item`/`apiKey`/`isAuthFailure`/`skip` in `config.bulwark`.
 */
export const bulwark = fp(plugin, { fastify: '5.x', name: '@bulwark/fastify' })
