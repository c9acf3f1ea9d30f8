import { BoundedMap } from '../bounded-map.js'
import { BulwarkError } from '../errors.js'

/** One endpoint limit: the first whose `match` fits the request applies. */
export interface EndpointLimit {
  /**
   * A path prefix (`/auth/`), a glob (`/api/*\/export`, `*` within a segment, `**` across segments) or a RegExp
   * tested against the path without its query string.
   */
  match: string | RegExp
  /** Requests allowed per window. */
  limit: number
  windowMs: number
  /** Only these methods (upper case). Default: all. */
  methods?: readonly string[]
  /** Names the limit in the store and in `RateLimit-Policy`. Default: derived from `match`. */
  id?: string
}

export interface CompiledEndpoint {
  id: string
  limit: number
  windowMs: number
  test: (path: string) => boolean
  methods: ReadonlySet<string> | null
}

function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        re += '.*'
        i++
      } else re += '[^/]*'
    } else re += ch.replace(/[.+?^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

export function compileEndpoints(limits: readonly EndpointLimit[]): CompiledEndpoint[] {
  return limits.map((l, i) => {
    if (!Number.isSafeInteger(l.limit) || l.limit < 1) {
      throw new BulwarkError('ERR_BULWARK_OPTIONS', `endpoints[${i}].limit must be a positive integer`)
    }
    if (!Number.isSafeInteger(l.windowMs) || l.windowMs < 1) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `endpoints[${i}].windowMs must be a positive integer (ms)`,
      )
    }
    let test: (path: string) => boolean
    if (l.match instanceof RegExp) {
      const re = new RegExp(l.match.source, l.match.flags.replace(/[gy]/g, ''))
      test = (p) => re.test(p)
    } else if (typeof l.match === 'string' && l.match.includes('*')) {
      const re = globToRegExp(l.match)
      test = (p) => re.test(p)
    } else if (typeof l.match === 'string' && l.match.length > 0) {
      const prefix = l.match
      test = (p) => p.startsWith(prefix)
    } else {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `endpoints[${i}].match must be a non-empty string or a RegExp`,
      )
    }
    return {
      id: l.id ?? String(l.match),
      limit: l.limit,
      windowMs: l.windowMs,
      test,
      methods: l.methods ? new Set(l.methods.map((m) => m.toUpperCase())) : null,
    }
  })
}

/** Finds the endpoint limit for a request, remembering recent paths. */
export class EndpointMatcher {
  private readonly cache = new BoundedMap<number>(5_000)
  constructor(readonly endpoints: readonly CompiledEndpoint[]) {}

  find(method: string, path: string): CompiledEndpoint | null {
    if (this.endpoints.length === 0) return null
    const key = `${method} ${path}`
    let index = key.length <= 512 ? this.cache.get(key) : undefined
    if (index === undefined) {
      index = this.endpoints.findIndex((e) => (e.methods === null || e.methods.has(method)) && e.test(path))
      if (key.length <= 512) this.cache.set(key, index)
    }
    return index < 0 ? null : (this.endpoints[index] ?? null)
  }
}
