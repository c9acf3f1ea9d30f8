import {
  type AdapterOptions,
  type AdapterRuntime,
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
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify'
import fp from 'fastify-plugin'

export type { BulwarkRequestState } from '@bulwark/core'

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

function onResponse(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  ;(request.bulwark as RequestState<FastifyRequest> | null)?.finished(reply.statusCode)
  done()
}

const plugin: FastifyPluginCallback<BulwarkFastifyOptions> = (fastify, options, done) => {
  const { onBlocked, onLimited, ...rest } = options
  const runtime: Runtime = adapterRuntime<FastifyRequest>(rest)
  const { engine } = runtime
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
    state: RequestState<FastifyRequest>,
  ): void {
    request.bulwark = state
    const refusal = state.refusal()
    if (refusal === null) {
      const headers = state.passHeaders()
      if (headers !== null) reply.headers(headers)
      done()
      return
    }
    const decision = state.decision!
    const custom = decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom === undefined) {
      reply.code(refusal.status).headers(refusal.headers).send(refusal.body)
      return
    }
    Promise.resolve(custom(request, reply, decision, refusal)).then(
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
    const facts = nodeFacts(rt, request, raw, pathOf(raw.url ?? '/'))
    inspectRequest(rt, request, facts, (state) => {
      try {
        decided(request, reply, done, state)
      } catch (error) {
        if (!reply.sent) done(error as Error)
      }
    })
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
