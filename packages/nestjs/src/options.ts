import type { AdapterOptions, BlockDecision, HttpResponse, LimitDecision } from '@bulwark/core'
import type { ModuleMetadata } from '@nestjs/common'

/**
 * Replaces Bulwark's refusal: return the exception to throw instead of `BulwarkException` (your exception filters
 * see it; Bulwark sets no header of its own then). `request` is the platform's request (express `Request`, fastify
 * `FastifyRequest`).
 */
export type RefusalHandler<Req = unknown> = (
  decision: LimitDecision | BlockDecision,
  response: HttpResponse,
  request: Req,
) => Error

/**
 * `BulwarkModule.forRoot()` options: engine options (the module creates the engine and closes it with the app) or
 * `{ engine }` to share one, plus the adapter callbacks. `Req` is the platform's request type (express `Request`,
 * fastify `FastifyRequest`), for the callbacks.
 */
export interface BulwarkModuleOptions<Req = unknown> extends AdapterOptions<Req> {
  /** Replaces the 403 (ban), 413/400 (body) and 503 (store down, `failureMode: 'closed'`) refusals. */
  onBlocked?: RefusalHandler<Req>
  /** Replaces the 429 refusal of a rate limit. */
  onLimited?: RefusalHandler<Req>
  /**
   * Register `BulwarkGuard` as a global guard (`APP_GUARD`). Default true. With `false`, put it where you want it:
   * `@UseGuards(AuthGuard, BulwarkGuard)` runs after your own guard, so `user(req)` sees the user it set.
   */
  globalGuard?: boolean
}

/** `BulwarkModule.forRootAsync()` options: the options from a factory, with its imports and injections. */
export interface BulwarkModuleAsyncOptions<Req = unknown> extends Pick<ModuleMetadata, 'imports'> {
  // biome-ignore lint/suspicious/noExplicitAny: Nest's own factory signature
  useFactory: (...args: any[]) => BulwarkModuleOptions<Req> | Promise<BulwarkModuleOptions<Req>>
  // biome-ignore lint/suspicious/noExplicitAny: Nest's own injection tokens
  inject?: any[]
  /** Register `BulwarkGuard` globally (see `BulwarkModuleOptions.globalGuard`); known before the factory runs. */
  globalGuard?: boolean
}
