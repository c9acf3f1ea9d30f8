import type { RouteRules } from './engine.js'
import { type LimitOptions, limit } from './rules/limit.js'

/** A route limit's options: `limit`, `windowMs`, and optionally `by`, `cost`, `id`, `mode`, `suspicious`. */
export type RouteLimitOptions = Omit<LimitOptions, 'id'> & { id?: string }

/** Most routes one route limit keeps a counter for (a route pattern is fixed by the app, so this is a safety cap). */
const MAX_ROUTES = 10_000

/**
 * The rules of a route limit, for adapters: one limit named by `id` when given (one counter on every route it is
 * mounted on), otherwise one per route named by `nameOf` — the route the router matched, fixed by the app, so no
 * request can invent a counter — or `fallbackId` where there is no route. Options are checked now, not on the first
 * request. `only`: the route's rules run alone (after an app-wide middleware) or with the engine's (one call).
 */
export function routeLimit<Req>(
  options: RouteLimitOptions,
  fallbackId: string,
  nameOf: (req: Req) => string | undefined,
  only: boolean,
): (req: Req) => RouteRules {
  if (options?.id !== undefined) {
    const shared: RouteRules = { rules: [limit({ ...options, id: options.id })], only }
    return () => shared
  }
  limit({ ...options, id: fallbackId })
  const perRoute = new Map<string, RouteRules>()
  return (req) => {
    const id = nameOf(req) ?? fallbackId
    let rules = perRoute.get(id)
    if (rules === undefined) {
      rules = { rules: [limit({ ...options, id })], only }
      if (perRoute.size < MAX_ROUTES) perRoute.set(id, rules)
    }
    return rules
  }
}
