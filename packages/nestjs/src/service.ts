import {
  type AdapterRuntime,
  adapterRuntime,
  type Bulwark,
  type BulwarkRequestState,
  type Outcome,
  type RouteLimitOptions,
  type RouteRules,
  routeLimit,
} from '@bulwark/core'
import { type OnApplicationShutdown, type OnModuleInit, RequestMethod } from '@nestjs/common'
import { METHOD_METADATA } from '@nestjs/common/constants.js'
import type { HttpAdapterHost } from '@nestjs/core'
import { BulwarkException } from './exception.js'
import type { BulwarkModuleOptions } from './options.js'
import { type Platform, platformOf } from './platform.js'

/** Where handlers find the request's Bulwark state: `req.bulwark` (express) or `request.bulwark` (fastify). */
type WithState = { bulwark?: BulwarkRequestState | null }

/** What the guard knows about a handler: its route limit and whether it is an authentication handler. */
export interface HandlerSetup {
  // biome-ignore lint/complexity/noBannedTypes: a handler is any function
  handler: Function
  limit: RouteLimitOptions | undefined
  auth: boolean
}

/** A minimal view of the fastify instance under Nest's FastifyAdapter: hooks for requests no route matched. */
interface FastifyHooks {
  addHook(
    name: 'onRequest' | 'preHandler',
    hook: (request: FastifyNotFound, reply: unknown, done: (error?: Error) => void) => void,
  ): unknown
}
type FastifyNotFound = { is404?: boolean; [DECIDED]?: true }

/** Marks a fastify request decided in `onRequest`, so its 404 handler's `preHandler` does not decide again. */
const DECIDED = Symbol('bulwark.decided')

/**
 * Bulwark in a Nest app: the engine, the adapter runtime of `@bulwark/core`, and the two places a request is decided
 * — the guard, for requests a route matched (with the handler's route limit, in one store call), and a hook on the
 * platform for requests no route matched (probes, scanners, 404 enumeration), just before Nest's 404.
 * Inject it to reach the engine: `constructor(private readonly bulwark: BulwarkService) {}`, then
 * `this.bulwark.engine.ban(…)`.
 */
export class BulwarkService implements OnModuleInit, OnApplicationShutdown {
  /** The engine (events, `ban()`, `unban()`, `listBans()`, `whitelist`). */
  readonly engine: Bulwark
  private readonly runtime: AdapterRuntime<unknown>
  private readonly platform: Platform | null
  private readonly options: BulwarkModuleOptions
  private readonly host: HttpAdapterHost | undefined
  private trustChecked = false
  // biome-ignore lint/complexity/noBannedTypes: keyed by handler function
  private readonly routeRules = new WeakMap<Function, (req: unknown) => RouteRules>()
  private unnamed = 0

  constructor(options: BulwarkModuleOptions, host: HttpAdapterHost | undefined) {
    this.options = options
    this.host = host
    const adapter = host?.httpAdapter ?? undefined
    this.platform = adapter === undefined ? null : platformOf(adapter)
    if (adapter !== undefined && this.platform === null) {
      throw new Error(
        `@bulwark/nestjs: the HTTP platform "${adapter.getType()}" is not supported (use @nestjs/platform-express or @nestjs/platform-fastify)`,
      )
    }
    const { onBlocked: _b, onLimited: _l, globalGuard: _g, ...rest } = options
    const platform = this.platform
    this.runtime = adapterRuntime<unknown>(rest, (req) => (platform as Platform).routing(req))
    this.engine = this.runtime.engine
    // fastify routes before its hooks: requests no route matched are decided in onRequest, before their body is read.
    if (this.platform?.name === 'fastify') {
      const instance = adapter!.getInstance() as FastifyHooks
      instance.addHook('onRequest', (request, reply, done) => {
        if (request.is404 !== true) return done()
        request[DECIDED] = true
        this.decideThen(request, reply, done as (error?: unknown) => void)
      })
      // Nest sends targets its middleware cannot match (`ftp://x/…`, `http:///…`) to the 404 handler from its own
      // onRequest hook, before this one: they are decided in the 404 handler's preHandler.
      instance.addHook('preHandler', (request, reply, done) => {
        if (request.is404 !== true || request[DECIDED] === true) return done()
        this.decideThen(request, reply, done as (error?: unknown) => void)
      })
    }
  }

  /** express routes after middleware: requests no route matched reach this middleware, just before Nest's 404. */
  onModuleInit(): void {
    if (this.platform?.name !== 'express') return
    this.host!.httpAdapter.use((req: unknown, res: unknown, next: (error?: unknown) => void) => {
      this.decideThen(req, res, next)
    })
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.runtime.ownsEngine) await this.engine.close()
  }

  /**
   * Decide about a request a route matched, with the handler's route limit (one store call for the app-wide rules
   * and the limit). Resolves when the request goes on; rejects with the refusal (`BulwarkException`, or what
   * `onBlocked`/`onLimited` return).
   */
  check(req: unknown, res: unknown, setup: HandlerSetup): Promise<void> | undefined {
    const rules = setup.limit === undefined ? undefined : this.rulesFor(setup.handler, setup.limit)(req)
    return this.decide(req, res, rules, setup.auth)
  }

  // biome-ignore lint/complexity/noBannedTypes: keyed by handler function
  private rulesFor(handler: Function, options: RouteLimitOptions): (req: unknown) => RouteRules {
    let rules = this.routeRules.get(handler)
    if (rules === undefined) {
      const method: unknown = Reflect.getMetadata(METHOD_METADATA, handler)
      const verb = typeof method === 'number' ? (RequestMethod[method] ?? 'ALL') : 'ALL'
      const platform = this.platform
      // Named by the route the router matched: its method and path pattern, both fixed by the app.
      rules = routeLimit<unknown>(
        options,
        `limit-${++this.unnamed}`,
        (req) => {
          const pattern = platform?.routePattern(req)
          return pattern === undefined ? undefined : `${verb} ${pattern}`
        },
        false,
      )
      this.routeRules.set(handler, rules)
    }
    return rules
  }

  private decide(
    req: unknown,
    res: unknown,
    rules: RouteRules | undefined,
    auth = false,
  ): Promise<void> | undefined {
    const platform = this.platform
    if (platform === null) return undefined
    if (!this.trustChecked) {
      this.trustChecked = true
      this.runtime.checkTrust(platform.name, platform.trustsProxy(req))
    }
    if (this.runtime.skip(req)) return undefined
    // Synchronous with the memory store: an allowed request costs no promise.
    const result = this.runtime.run(req, platform.wire(req), rules, (outcome) =>
      this.conclude(req, res, outcome, auth),
    )
    return result as Promise<void> | undefined
  }

  /** `decide` for the platform hooks: a refusal (thrown or rejected) goes to `done` as an error. */
  private decideThen(req: unknown, res: unknown, done: (error?: unknown) => void): void {
    let pending: Promise<void> | undefined
    try {
      pending = this.decide(req, res, undefined)
    } catch (error) {
      done(error)
      return
    }
    if (pending === undefined) done()
    else pending.then(() => done(), done)
  }

  private conclude(
    req: unknown,
    res: unknown,
    outcome: Outcome<unknown>,
    auth: boolean,
  ): Promise<void> | undefined {
    const platform = this.platform as Platform
    const request = req as WithState
    if (!outcome.pass) throw this.refusal(req, res, outcome)
    request.bulwark = outcome.state
    // Learn the status the app answered (auth failures, 404s) once the response is finished.
    outcome.state.track(platform.rawResponse(res))
    // A chunked body is cut at bodySize.maxBytes while the handler reads it.
    outcome.state.limitBody(platform.rawRequest(req), platform.rawResponse(res), platform.answer(res))
    if (outcome.headers !== null) platform.setHeaders(res, outcome.headers)
    if (!auth) return undefined
    // An authentication handler: count the attempt before it runs; a refusal answers instead.
    return Promise.resolve(
      this.runtime.reserve(outcome.state, (reserved) => {
        if (reserved !== null && !reserved.pass) throw this.refusal(req, res, reserved)
      }),
    )
  }

  private refusal(req: unknown, res: unknown, outcome: Outcome<unknown> & { pass: false }): Error {
    const custom = outcome.decision.conclusion === 'limit' ? this.options.onLimited : this.options.onBlocked
    if (custom !== undefined) return custom(outcome.decision, outcome.response, req)
    this.platform?.setHeaders(res, outcome.response.headers)
    return new BulwarkException(outcome.decision, outcome.response)
  }
}
