import { fingerprint } from '../fingerprint.js'
import { formatWindow } from '../format-window.js'
import type { DistinctCount } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, modeOption, objectOption, positiveInt } from './options.js'
import type { By, Rule, RuleAsk, RuleRequest } from './rule.js'

/** The event adapters report when the app answered 404 (`NOT_FOUND` of the adapter runtime). */
const NOT_FOUND = 'not-found'

/** 404 enumeration: CrowdSec's `http-probing` scenario — more than 10 distinct not-found paths in 10 s. */
export const NOT_FOUND_DEFAULTS = Object.freeze({ limit: 10, windowMs: 10_000 })

/**
 * File endings of static resources, whose 404s never count: a page with broken images is not a scan. CrowdSec's
 * `http-logs` parser's list (`static_ressource`), less `.gz`, which dumps end with too.
 */
const STATIC = new Set([
  'jpg',
  'jpeg',
  'png',
  'gif',
  'bmp',
  'webp',
  'avif',
  'svg',
  'ico',
  'css',
  'js',
  'mjs',
  'map',
  'ts',
  'otf',
  'ttf',
  'eot',
  'woff',
  'woff2',
  'mp3',
  'mp4',
  'wav',
  'brotli',
  'bvr',
])

/** True when the last segment of `path` names a static resource (`/img/logo.png`). */
export function isStaticResource(path: string): boolean {
  const slash = path.lastIndexOf('/')
  const dot = path.lastIndexOf('.')
  if (dot <= slash + 1) return false
  return STATIC.has(path.slice(dot + 1).toLowerCase())
}

/**
 * 404 enumeration → ban: more than `limit` distinct not-found paths from one client in `windowMs` (default more than
 * 10 in 10 s, CrowdSec's `http-probing`), whatever the client's user agent — this is how directory brute forcers that
 * send a browser's agent are caught. Counts the 404s the adapters report (`not-found`); 404s of static resources
 * (images, scripts, styles, fonts) never count, and the same path asked again counts once.
 */
export function notFound(options?: CountingRuleOptions): Rule {
  const o = objectOption(options, 'notFound')
  const limit = positiveInt(o.limit ?? NOT_FOUND_DEFAULTS.limit, 'notFound.limit')
  const windowMs = positiveInt(o.windowMs ?? NOT_FOUND_DEFAULTS.windowMs, 'notFound.windowMs')
  const mode = modeOption(o.mode, 'notFound')
  const by: By | readonly By[] = byOption(o.by, 'notFound', 'ip')
  const monitor = mode === 'monitor'
  return {
    id: 'enumeration',
    mode,
    on: NOT_FOUND,
    check(request: RuleRequest): RuleAsk | null {
      const path = request.path
      if (isStaticResource(path)) return null
      const count: DistinctCount = {
        kind: 'distinct',
        rule: 'enumeration',
        key: 'r:enumeration',
        limit,
        windowMs,
        value: fingerprint(path),
      }
      if (monitor) count.monitor = true
      return { count, by }
    },
    describe: (ban: BanRecord) =>
      `404 enumeration: ${ban.count} distinct not-found paths in ${formatWindow(windowMs)} (limit ${ban.limit})`,
  }
}
