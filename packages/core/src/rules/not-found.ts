import { isCrossSite } from '../cross-site.js'
import { fingerprint } from '../fingerprint.js'
import { formatWindow } from '../format-window.js'
import type { DistinctCount, Measure } from '../store.js'
import type { BanRecord } from '../types.js'
import { byOption, type CountingRuleOptions, fail, modeOption, objectOption, positiveInt } from './options.js'
import type { By, Rule, RuleAsk, RuleRequest, Verdict } from './rule.js'

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

/**
 * True when the last segment of `path` names a static resource (`/img/logo.png`). Path parameters after `;` are not
 * part of the name (`/a.png;v=2` is static, `/admin;.png` is not): a router or a backend that honours `;` would serve
 * `/admin` for it.
 */
export function isStaticResource(path: string): boolean {
  const slash = path.lastIndexOf('/')
  const semi = path.indexOf(';', slash + 1)
  if (semi >= 0) path = path.slice(0, semi)
  const dot = path.lastIndexOf('.')
  if (dot <= slash + 1) return false
  return STATIC.has(path.slice(dot + 1).toLowerCase())
}

export interface NotFoundOptions extends CountingRuleOptions {
  /**
   * `false` (default): while more than `limit` distinct not-found paths fall in the window, each further 404 is a
   * suspicious event, so the suspicion rule bans (5 events in 24 h, with the defaults: the 15th 404 in 10 s).
   * `true`: the first 404 over the limit bans at once, as CrowdSec's http-probing scenario does. A rule with `by`
   * other than `'ip'` always bans at once (the suspicion rule counts per IP).
   */
  ban?: boolean
}

/**
 * 404 enumeration: more than `limit` distinct not-found paths from one client in `windowMs` (default more than 10 in
 * 10 s, CrowdSec's `http-probing`), whatever the client's user agent — this is how directory brute forcers that send
 * a browser's agent are caught. Counts the 404s the adapters report (`not-found`); 404s of static resources (images,
 * scripts, styles, fonts) never count, nor do those a browser fetched for another site's page (`isCrossSite`), and the
 * same path asked again counts once. Each 404 over the limit is a suspicious event (`ban: true`, or `by` other than
 * `'ip'`: a ban at once); in monitor mode the events are reported and feed no ban.
 */
export function notFound(options?: NotFoundOptions): Rule {
  const o = objectOption(options, 'notFound')
  const limit = positiveInt(o.limit ?? NOT_FOUND_DEFAULTS.limit, 'notFound.limit')
  const windowMs = positiveInt(o.windowMs ?? NOT_FOUND_DEFAULTS.windowMs, 'notFound.windowMs')
  const mode = modeOption(o.mode, 'notFound')
  const by: By | readonly By[] = byOption(o.by, 'notFound', 'ip')
  if (o.ban !== undefined && typeof o.ban !== 'boolean')
    fail('Invalid option notFound.ban: must be a boolean')
  // The suspicion rule counts per IP: a rule that counts users, keys or your own keys bans at once instead.
  const suspicious = o.ban !== true && by === 'ip'
  const monitor = mode === 'monitor'
  const window = formatWindow(windowMs)
  const rule: Rule = {
    id: 'enumeration',
    mode,
    on: NOT_FOUND,
    check(request: RuleRequest): RuleAsk | null {
      const path = request.path
      if (isStaticResource(path) || isCrossSite(request.facts)) return null
      const count: DistinctCount = {
        kind: 'distinct',
        rule: 'enumeration',
        key: 'r:enumeration',
        limit,
        windowMs,
        value: fingerprint(path),
      }
      if (monitor) count.monitor = true
      if (suspicious) count.suspicious = true
      return { count, by }
    },
    describe: (ban: BanRecord) =>
      `404 enumeration: ${ban.count} distinct not-found paths in ${window} (limit ${ban.limit})`,
  }
  if (suspicious) {
    rule.verdict = (measures: readonly (Measure | undefined)[]): Verdict | null => {
      let n = 0
      for (const m of measures) if (typeof m === 'number' && m > n) n = m
      if (n <= limit) return null
      const detail = `more than ${limit} distinct not-found paths in ${window}`
      return {
        conclusion: 'allow',
        reason: `404 enumeration: ${detail}`,
        evidence: { limit, windowMs },
        signal: { kind: 'enumeration', detail },
      }
    }
  }
  return rule
}
