import { canonicalMethod, canonicalPath } from './canonical-path.js'
import type { RuleRequest, Signal } from './rules/rule.js'
import type { RequestFacts, Routing } from './types.js'

/** Without the adapter's word, match as the broadest router would: case-insensitive, a trailing slash ignored. */
const BROAD: Routing = Object.freeze({ caseSensitive: false, ignoreTrailingSlash: true })
const MAX_UA = 1024
const NO_SIGNALS: readonly Signal[] = Object.freeze([])

function firstHeader(facts: RequestFacts, name: string): string | undefined {
  const v = facts.headers?.[name]
  if (typeof v === 'string') return v.length > MAX_UA ? v.slice(0, MAX_UA) : v
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0].slice(0, MAX_UA)
  return undefined
}

/** The last path whose query was cut off, and the result: a route asked for again and again costs no new string. */
let lastPath = ''
let lastRawPath = ''

function withoutQuery(path: string): string {
  if (path === lastPath) return lastRawPath
  const q = path.indexOf('?')
  const raw = q === -1 ? path : path.slice(0, q)
  lastPath = path
  lastRawPath = raw
  return raw
}

/**
 * The engine's view of one request for its rules. Everything is worked out when a rule first reads it (most requests
 * need only some of it): the method, the path without its query, the canonical path, the user agent.
 */
export class RequestView implements RuleRequest {
  signals: readonly Signal[] = NO_SIGNALS
  suspiciousLimit = false
  private m: string | undefined = undefined
  private raw: string | undefined = undefined
  private canonical: string | undefined = undefined
  private ua: string | undefined | null = null

  constructor(
    readonly facts: RequestFacts,
    readonly event: string,
    readonly client: string,
  ) {}

  get method(): string {
    let m = this.m
    if (m === undefined) {
      const method = this.facts.method
      m = canonicalMethod(typeof method === 'string' && method.length > 0 ? method : 'GET')
      this.m = m
    }
    return m
  }

  get rawPath(): string {
    let p = this.raw
    if (p === undefined) {
      const path = this.facts.path
      p = typeof path === 'string' ? withoutQuery(path) : ''
      this.raw = p
    }
    return p
  }

  get path(): string {
    let p = this.canonical
    if (p === undefined) {
      p = canonicalPath(this.rawPath, this.facts.routing ?? BROAD)
      this.canonical = p
    }
    return p
  }

  get userAgent(): string | undefined {
    let ua = this.ua
    if (ua === null) {
      ua = firstHeader(this.facts, 'user-agent')
      this.ua = ua
    }
    return ua
  }

  addSignal(signal: Signal): void {
    this.signals = this.signals === NO_SIGNALS ? [signal] : [...this.signals, signal]
  }
}
