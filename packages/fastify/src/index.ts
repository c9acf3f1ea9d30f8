import {
  type AdapterOptions,
  type AdapterRuntime,
  adapterRuntime,
  type Bulwark,
  type BulwarkRequestState,
  type Decision,
  FASTIFY_ROUTING,
  type HttpResponse,
  hasUndeclaredBody,
  type LimitOptions,
  limit,
  type Outcome,
  RequestState,
  type RouteRules,
  type Routing,
} from '@bulwark/core'
import type {
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'

export type { BulwarkRequestState } from '@bulwark/core'

/** A route limit's options: `limit`, `windowMs`, and optionally `by`, `cost`, `id`, `mode`, `suspicious`. */
export type RouteLimitOptions = Omit<LimitOptions, 'id'> & { id?: string }

/** Per-route settings, in the route's `config.bulwark`. */
export interface BulwarkRouteOptions
  extends Pick<AdapterOptions<FastifyRequest>, 'item' | 'apiKey' | 'user' | 'isAuthFailure' | 'skip'> {
  /**
   * A limit on this route, resolved once when the route is added and matched by fastify's router, so no spelling of
   * the URL escapes it. Its id defaults to the route (`POST /login`).
   */
  limit?: RouteLimitOptions
  /**
   * An authentication route: each attempt is counted as an auth failure before the handler runs and given back when
   * the answer is not a failure, so concurrent guesses cannot race past `authFailures.limit`.
   */
  auth?: boolean
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Bulwark plugin; `null` for skipped requests and routes with `config: { bulwark: false }`. */
    bulwark: BulwarkRequestState | null
  }
  interface FastifyInstance {
    /** The Bulwark engine of this app (events, `ban()`, `unban()`, `listBans()`, `whitelist`). */
    bulwark: Bulwark
  }
  interface FastifyContextConfig {
    /**
     * `false` leaves this route alone; an object sets a route `limit` and replaces the plugin's `item`, `apiKey`,
     * `user`, `isAuthFailure`, `skip` for this route.
     */
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
  /** Replaces the 429 response of a rate limit. */
  onLimited?: BlockedHandler
  /**
   * The lifecycle hook Bulwark decides in. `onRequest` (default) refuses before the body is read; `preHandler` runs
   * after your authentication hooks, so `user(request)` sees `request.user`. In `preHandler` fastify has already
   * read the body; declared sizes are still checked, and a chunked body is still cut at `bodySize.maxBytes` while
   * fastify reads it.
   */
  hook?: 'onRequest' | 'preHandler'
}

type Runtime = AdapterRuntime<FastifyRequest>

/** What a route resolved to when it was added: its runtime (with its own callbacks) and its route rules. */
interface RouteSetup {
  runtime: Runtime
  rules: RouteRules | undefined
  auth: boolean
}

const plugin: FastifyPluginCallback<BulwarkFastifyOptions> = (fastify, options, done) => {
  const { onBlocked, onLimited, hook = 'onRequest', ...rest } = options
  if (hook !== 'onRequest' && hook !== 'preHandler') {
    done(new Error(`@bulwark/fastify: hook must be 'onRequest' or 'preHandler', got ${String(hook)}`))
    return
  }
  const config = fastify.initialConfig as { caseSensitive?: boolean; ignoreTrailingSlash?: boolean }
  const routing: Routing = {
    caseSensitive: config.caseSensitive ?? FASTIFY_ROUTING.caseSensitive,
    ignoreTrailingSlash: config.ignoreTrailingSlash ?? FASTIFY_ROUTING.ignoreTrailingSlash,
  }
  // Bulwark logs through fastify.log (structured: event, rule, subject, ttlS, code) when the app has a logger and no
  // logger or engine of its own was given; without one, the console line as before.
  const appLog = fastify.log as { level?: unknown } | undefined
  const useAppLog =
    rest.engine === undefined &&
    rest.logger === undefined &&
    typeof appLog?.level === 'string' &&
    appLog.level !== 'silent'
  const runtime: Runtime = adapterRuntime<FastifyRequest>(
    useAppLog ? { ...rest, logger: fastify.log } : rest,
    routing,
  )
  const { engine } = runtime
  const plain: RouteSetup = { runtime, rules: undefined, auth: false }
  // fastify reads bodies itself, up to a route's `bodyLimit`: a route that sets none gets Bulwark's limit when it is
  // lower than the server's own `bodyLimit` (Bulwark only ever lowers the app's limit, never raises it; not in
  // monitor mode, where Bulwark changes no answer). fastify takes no limit of 0: Bulwark's own count enforces that.
  const serverLimit = (fastify.initialConfig as { bodyLimit?: number }).bodyLimit ?? 1024 * 1024
  const bodyLimit =
    runtime.bodyLimit?.enforced === true &&
    runtime.bodyLimit.maxBytes > 0 &&
    runtime.bodyLimit.maxBytes < serverLimit
      ? runtime.bodyLimit.maxBytes
      : undefined
  /** Keyed by the route's `config.bulwark` object, which fastify hands to the request as it is. */
  const setups = new WeakMap<BulwarkRouteOptions, RouteSetup>()
  let trustChecked = false

  /** Resolve `config.bulwark` once per route, when the route is added. */
  function onRoute(route: RouteOptions): void {
    const own = route.config?.bulwark
    if (own !== false && route.bodyLimit === undefined && bodyLimit !== undefined) route.bodyLimit = bodyLimit
    // The HEAD route fastify adds for a GET route shares its config: it keeps the GET route's setup (and limit id).
    if (own === undefined || own === false || setups.has(own)) return
    const { limit: limitOptions, auth, ...callbacks } = own
    const methods = (Array.isArray(route.method) ? [...route.method] : [route.method])
      .map(String)
      .sort()
      .join(',')
    const rules: RouteRules | undefined =
      limitOptions === undefined
        ? undefined
        : { rules: [limit({ ...limitOptions, id: limitOptions.id ?? `${methods} ${route.url}` })] }
    const setup: RouteSetup = {
      runtime:
        Object.keys(callbacks).length === 0
          ? runtime
          : adapterRuntime({ ...rest, ...callbacks, engine }, routing),
      rules,
      auth: auth === true,
    }
    setups.set(own, setup)
  }

  function conclude(
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
    outcome: Outcome<FastifyRequest>,
    setup: RouteSetup,
  ): void {
    request.bulwark = outcome.state
    if (outcome.pass) {
      // Auth-failure and 404 statuses are learnt in the onResponse hook (no listener per request).
      // A chunked body is cut at bodySize.maxBytes while fastify reads it, with Bulwark's answer sent by `reply`.
      if (hasUndeclaredBody(request.raw)) outcome.state.limitBody(request.raw, reply.raw, answerWith(reply))
      if (outcome.headers !== null) reply.headers(outcome.headers)
      if (!setup.auth) {
        done()
        return
      }
      // An authentication route: count the attempt before the handler; a refusal answers instead.
      void setup.runtime.reserve(outcome.state, (reserved) => {
        if (reserved === null || reserved.pass) done()
        else conclude(request, reply, done, reserved, plain)
      })
      return
    }
    const custom = outcome.decision.conclusion === 'limit' ? onLimited : onBlocked
    if (custom === undefined) {
      reply.code(outcome.response.status).headers(outcome.response.headers).send(outcome.response.body)
      return
    }
    Promise.resolve(custom(request, reply, outcome.decision, outcome.response)).then(
      () => {
        if (!reply.sent) done()
      },
      (error: Error) => done(error),
    )
  }

  /** Send Bulwark's answer to an oversized chunked body through `reply`, so fastify's hooks and headers apply. */
  function answerWith(reply: FastifyReply): (response: HttpResponse) => void {
    return (response) => {
      reply.code(response.status).headers(response.headers).send(response.body)
    }
  }

  /**
   * With `hook: 'preHandler'`, Bulwark decides after fastify read the body: count a chunked body from `onRequest`
   * on, so it is still cut at `bodySize.maxBytes` (a request Bulwark leaves alone is not counted).
   */
  function limitEarly(request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const own = request.routeOptions.config.bulwark
    if (own !== false && hasUndeclaredBody(request.raw)) {
      const setup = own === undefined ? plain : (setups.get(own) ?? plain)
      setup.runtime.limitBody(request, request.raw, reply.raw, answerWith(reply))
    }
    done()
  }

  function decide(
    this: FastifyInstance,
    request: FastifyRequest,
    reply: FastifyReply,
    done: HookHandlerDoneFunction,
  ): void {
    if (!trustChecked) {
      trustChecked = true
      runtime.checkTrust('fastify', request.ips !== undefined)
    }
    const own = request.routeOptions.config.bulwark
    if (own === false) {
      done()
      return
    }
    const setup = own === undefined ? plain : (setups.get(own) ?? plain)
    if (setup.runtime.skip(request)) {
      done()
      return
    }
    setup.runtime.run(request, request.raw, setup.rules, (outcome) => {
      try {
        conclude(request, reply, done, outcome, setup)
      } catch (error) {
        if (!reply.sent) done(error as Error)
      }
    })
  }

  fastify.decorate('bulwark', engine)
  fastify.decorateRequest('bulwark', null)
  fastify.addHook('onRoute', onRoute)
  fastify.addHook(hook, decide)
  fastify.addHook('onResponse', function learn(request, reply, done) {
    const state = request.bulwark
    if (state instanceof RequestState) state.finished(reply.statusCode)
    done()
  })
  if (hook === 'preHandler' && runtime.bodyLimit !== null) fastify.addHook('onRequest', limitEarly)
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
 * `config: { bulwark: false }`, set a limit with `config: { bulwark: { limit: { limit, windowMs } } }`, or set their
 * own `item`/`apiKey`/`user`/`isAuthFailure`/`skip` in `config.bulwark`.
 */
export const bulwark = fp(plugin, { fastify: '5.x', name: '@bulwark/fastify' })
