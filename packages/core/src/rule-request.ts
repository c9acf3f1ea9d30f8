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

/** The engine's view of one request for its rules; the path is canonicalised only when a rule reads it. */
export class RequestView implements RuleRequest {
  readonly method: string
  readonly rawPath: string
  signals: readonly Signal[] = NO_SIGNALS
  suspiciousLimit = false
  private canonical: string | undefined
  private ua: string | undefined | null = null

  constructor(
    readonly facts: RequestFacts,
    readonly event: string,
    readonly client: string,
  ) {
    const method = typeof facts.method === 'string' && facts.method.length > 0 ? facts.method : 'GET'
    this.method = canonicalMethod(method)
    const path = typeof facts.path === 'string' ? facts.path : ''
    const q = path.indexOf('?')
    this.rawPath = q === -1 ? path : path.slice(0, q)
    this.canonical = undefined
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
