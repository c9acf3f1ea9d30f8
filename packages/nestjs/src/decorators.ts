import { limit, type RouteLimitOptions } from '@bulwark/core'
import { SetMetadata } from '@nestjs/common'

/** Metadata key of `@BulwarkLimit()`: the handler's (or controller's) route limit. */
export const BULWARK_LIMIT = 'bulwark:limit'
/** Metadata key of `@SkipBulwark()`. */
export const BULWARK_SKIP = 'bulwark:skip'
/** Metadata key of `@BulwarkAuth()`. */
export const BULWARK_AUTH = 'bulwark:auth'

export type { RouteLimitOptions } from '@bulwark/core'

/**
 * A limit on this handler (or on every handler of a controller), counted in the same store call as the app-wide
 * rules and matched by the platform's router, so no spelling of the URL escapes it:
 * `@BulwarkLimit({ limit: 5, windowMs: 60_000 })`. Each route gets its own counter, named by the route
 * (`POST /login`, as in `RateLimit-Policy`), unless you give an `id`: one counter then serves every route that uses
 * it. A handler's own `@BulwarkLimit` replaces its controller's. Options are checked now, not on the first request.
 */
export function BulwarkLimit(options: RouteLimitOptions): MethodDecorator & ClassDecorator {
  // A mistake (a negative limit, an unknown `by`) is an error when the controller is defined.
  limit({ ...options, id: options?.id ?? 'bulwark-limit' })
  return SetMetadata(BULWARK_LIMIT, Object.freeze({ ...options }))
}

/**
 * Leaves this handler (or every handler of a controller) alone: no decision, no counting, never refused — for health
 * checks and internal endpoints. `@SkipBulwark(false)` on a handler puts it back under Bulwark inside a skipped
 * controller.
 */
export function SkipBulwark(skip = true): MethodDecorator & ClassDecorator {
  return SetMetadata(BULWARK_SKIP, skip)
}

/**
 * Marks an authentication handler: each attempt is counted as an auth failure before the handler runs and given
 * back when the answer is not a failure (401 by default), so concurrent guesses cannot race past
 * `authFailures.limit`.
 */
export function BulwarkAuth(): MethodDecorator & ClassDecorator {
  return SetMetadata(BULWARK_AUTH, true)
}
