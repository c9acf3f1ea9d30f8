import { canonicalPath, MAX_PATH_LENGTH } from '../canonical-path.js'
import { isCrossSite } from '../cross-site.js'
import { PROBE_SIGNATURES } from '../signatures/probe-paths.js'
import type { ProbeSignature } from '../signatures/types.js'
import type { BanRecord, Mode, Routing } from '../types.js'
import { fail, modeOption, objectOption } from './options.js'
import type { Rule, RuleAsk, RuleRequest } from './rule.js'
import { VerdictCache } from './verdict-cache.js'

/** The event adapters report when the app answered 404 (`NOT_FOUND` of the adapter runtime). */
const NOT_FOUND = 'not-found'

/**
 * Segments never taken for a probe by default: RFC 8615 well-known URIs (ACME challenges, OpenID configuration …) and
 * the files crawlers ask every site for (`robots.txt`, `ads.txt`, `security.txt`, `llms.txt` …), which a 404 answers
 * in good faith.
 */
export const DEFAULT_PROBE_ALLOW: readonly string[] = Object.freeze([
  '.well-known',
  'robots.txt',
  'ads.txt',
  'app-ads.txt',
  'humans.txt',
  'security.txt',
  'llms.txt',
  'llms-full.txt',
  'sitemap.txt',
])

/** A pattern in the syntax of `ProbeSignature.pattern`, or a whole signature (its strength is the list's). */
export type ProbePattern = string | RegExp | ProbeSignature

export interface ProbeOptions {
  mode?: Mode
  /**
   * Every signature, strong and weak (default `PROBE_SIGNATURES`). Add to it, filter it or replace it:
   * `paths: [...PROBE_SIGNATURES, { pattern: 'internal', strength: 'strong', source: 'mine' }]`.
   */
  paths?: readonly ProbeSignature[]
  /** Replaces the strong signatures of `paths`: they count before the response, whatever the app answers. */
  strong?: readonly ProbePattern[]
  /** Replaces the weak signatures of `paths`: they count only when the app answered 404. `[]` turns that off. */
  weak?: readonly ProbePattern[]
  /** Segments never taken for a probe (default `DEFAULT_PROBE_ALLOW`: `.well-known`, `robots.txt` …). */
  allow?: readonly string[]
}

/** How paths are read for matching: as the broadest router routes them (lower-case, a trailing slash ignored). */
const BROAD: Routing = Object.freeze({ caseSensitive: false, ignoreTrailingSlash: true })

/** Paths up to this long have their verdict cached; a longer one is matched each time and costs no memory. */
const CACHED_PATH_LENGTH = 256
const CACHE_BYTES = 512 * 1024

/**
 * `..` as a path segment in the path as sent, however it is spelled: plain, percent-encoded (once or twice), UTF-8
 * overlong, with `/`, `\` or `;` around it. Routers resolve it away, so it is looked for before canonicalisation.
 */
const TRAVERSAL =
  /(?:^|[/\\]|%2f|%5c|%252f|%255c)(?:\.|%2e|%252e|%c0%ae|%u002e){2}(?:[/\\;?#]|%2f|%5c|%252f|%255c|%3b|$)/i

const PERCENT_ASCII = /%([0-7][0-9a-f])/gi

/** Percent-decode ASCII bytes (twice, for double-encoded probes); never throws. */
function decodeAscii(text: string): string {
  let out = text
  for (let i = 0; i < 2 && out.includes('%'); i++) {
    out = out.replace(PERCENT_ASCII, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
  }
  return out
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// Where a signature applies and how strong it is, as bits: one table serves every kind.
const ANY_STRONG = 1
const ANY_WEAK = 2
const LAST_STRONG = 4
const LAST_WEAK = 8
const TOP_STRONG = 16
const TOP_WEAK = 32
/** A segment of `allow`: never taken for a probe. */
const ALLOWED = 64
const ROOT_STRONG = 128
const ROOT_WEAK = 256
const STRONG = ANY_STRONG | LAST_STRONG | TOP_STRONG | ROOT_STRONG
const ON_ANY = ANY_STRONG | ANY_WEAK
const ON_LAST = LAST_STRONG | LAST_WEAK
const ON_TOP = TOP_STRONG | TOP_WEAK
const ON_ROOT = ROOT_STRONG | ROOT_WEAK

const BITS = {
  strong: { any: ANY_STRONG, last: LAST_STRONG, top: TOP_STRONG, root: ROOT_STRONG },
  weak: { any: ANY_WEAK, last: LAST_WEAK, top: TOP_WEAK, root: ROOT_WEAK },
} as const

/** Every signature, strong and weak, compiled into tables consulted once per segment. */
interface Compiled {
  /** Exact segment names → bits (and `ALLOWED`). */
  names: Map<string, number>
  /** Name prefixes (`phpmyadmin*`), by their first character. */
  prefixes: Map<number, { prefix: string; bits: number }[]>
  /** File-name endings (`.php`, `.tar.gz`, `~`) → bits; always on the last segment. */
  suffixes: Map<string, number>
  /** Other globs, one expression anchored on a whole segment per placement and strength. */
  globs: { bits: number; re: RegExp }[]
  /** Consecutive segments and your RegExps, over the whole path: strong, then weak. */
  paths: { strong: RegExp | null; weak: RegExp | null }
  /** The first segments of the consecutive-segment patterns; null when a RegExp needs the path tested every time. */
  pathFirst: Set<string> | null
  strong: number
  weak: number
}

function compile(
  lists: { strong: readonly ProbePattern[]; weak: readonly ProbePattern[] },
  allow: readonly string[],
): Compiled {
  const c: Compiled = {
    names: new Map(),
    prefixes: new Map(),
    suffixes: new Map(),
    globs: [],
    paths: { strong: null, weak: null },
    pathFirst: new Set(),
    strong: 0,
    weak: 0,
  }
  const globs = new Map<number, string[]>()
  for (const strength of ['strong', 'weak'] as const) {
    const name = `probes.${strength}`
    const paths: string[] = []
    for (const entry of lists[strength]) {
      const sig = typeof entry === 'object' && entry !== null && !(entry instanceof RegExp) ? entry : null
      const pattern = sig === null ? entry : sig.pattern
      const where = sig?.where ?? (strength === 'strong' ? 'any' : 'last')
      if (where !== 'any' && where !== 'last' && where !== 'top' && where !== 'root') {
        fail(`Invalid option ${name}: where must be 'any', 'last', 'top' or 'root'`)
      }
      c[strength]++
      if (pattern instanceof RegExp) {
        paths.push(`(?:${pattern.source})`)
        c.pathFirst = null
        continue
      }
      if (typeof pattern !== 'string' || pattern.replace(/[/*]/g, '').length === 0) {
        fail(
          `Invalid option ${name}: a pattern must be a non-empty string, a RegExp or a { pattern } signature`,
        )
      }
      const p = pattern.toLowerCase().replace(/^\/+|\/+$/g, '')
      const star = p.indexOf('*')
      const bits = BITS[strength][where]
      const glob = p.split('*').map(escapeRegExp).join('[^/]*')
      if (p.includes('/')) {
        const first = p.slice(0, p.indexOf('/'))
        if (first.includes('*')) c.pathFirst = null
        else c.pathFirst?.add(first)
        paths.push(
          where === 'any'
            ? `(?:^|/)${glob}(?=/|$)`
            : where === 'last'
              ? `(?:^|/)${glob}$`
              : where === 'top'
                ? `^(?:/[^/]*)?/${glob}$`
                : `^/${glob}$`,
        )
      } else if (star === -1) {
        c.names.set(p, (c.names.get(p) ?? 0) | bits)
      } else if (where !== 'top' && star === 0 && !p.includes('*', 1) && (p[1] === '.' || p === '*~')) {
        const suffix = p.slice(1)
        const placed = where === 'root' ? bits : strength === 'strong' ? LAST_STRONG : LAST_WEAK
        c.suffixes.set(suffix, (c.suffixes.get(suffix) ?? 0) | placed)
      } else if (star === p.length - 1) {
        const prefix = p.slice(0, -1)
        const list = c.prefixes.get(prefix.charCodeAt(0))
        if (list === undefined) c.prefixes.set(prefix.charCodeAt(0), [{ prefix, bits }])
        else list.push({ prefix, bits })
      } else globs.set(bits, [...(globs.get(bits) ?? []), glob])
    }
    c.paths[strength] = paths.length === 0 ? null : new RegExp(paths.join('|'))
  }
  for (const [bits, list] of globs) c.globs.push({ bits, re: new RegExp(`^(?:${list.join('|')})$`) })
  for (const a of allow) {
    const name = String(a).toLowerCase()
    c.names.set(name, (c.names.get(name) ?? 0) | ALLOWED)
  }
  return c
}

/** The bits of the signatures segment `s` matches, among those `where` (bits) allows. */
function segmentBits(c: Compiled, s: string, where: number, last: boolean): number {
  const named = c.names.get(s)
  if (named !== undefined && (named & ALLOWED) !== 0) return 0
  let hit = (named ?? 0) & where
  const prefixes = c.prefixes.get(s.charCodeAt(0))
  if (prefixes !== undefined) {
    for (const p of prefixes) if ((p.bits & where) !== 0 && s.startsWith(p.prefix)) hit |= p.bits
  }
  for (const g of c.globs) if ((g.bits & where & ~hit) !== 0 && g.re.test(s)) hit |= g.bits
  if (last && c.suffixes.size > 0) {
    if (s.endsWith('~')) hit |= c.suffixes.get('~') ?? 0
    for (let i = s.indexOf('.', 1); i !== -1; i = s.indexOf('.', i + 1))
      hit |= c.suffixes.get(s.slice(i)) ?? 0
  }
  return hit & where
}

function detailOf(text: string): string {
  return text.length > 100 ? `${text.slice(0, 100)}…` : text
}

/**
 * `s<detail>` for the first strong signature the segments of `path` match, `w<detail>` for a weak one, `''` for none.
 * `path` is canonical: rooted, lower-case, without empty, `.` or `..` segments.
 */
function matchPath(c: Compiled, path: string): string {
  const end = path.length
  // Segments counted up to 3: the last one is matched at the top when there are at most 2.
  let n = 0
  for (let i = 1, j = path.indexOf('/', 1); n < 3; j = path.indexOf('/', j + 1)) {
    if (i < end) n++
    if (j === -1) break
    i = j + 1
  }
  let weak: string | null = null
  let pathNeeded = c.pathFirst === null
  for (let start = 1; start < end; ) {
    let stop = path.indexOf('/', start)
    if (stop === -1) stop = end
    const s = path.slice(start, stop)
    const last = stop === end
    const where = last
      ? n === 1
        ? ON_ANY | ON_LAST | ON_TOP | ON_ROOT
        : n === 2
          ? ON_ANY | ON_LAST | ON_TOP
          : ON_ANY | ON_LAST
      : ON_ANY
    const hit = segmentBits(c, s, where, last)
    if ((hit & STRONG) !== 0) return `s${detailOf(s)}`
    if (hit !== 0) weak ??= s
    if (!pathNeeded && c.pathFirst?.has(s)) pathNeeded = true
    start = stop + 1
  }
  if (pathNeeded) {
    const strong = c.paths.strong?.exec(path)
    if (strong) return `s${detailOf(strong[0].replace(/^\//, '') || path)}`
    if (weak === null) {
      const m = c.paths.weak?.exec(path)
      if (m) weak = m[0].replace(/^\//, '') || path
    }
  }
  return weak === null ? '' : `w${detailOf(weak)}`
}

/**
 * Matches request paths against the strong and weak probe signatures, compiled once. A path is read as the router
 * would route it (`canonicalPath`: the fragment and query dropped, unreserved escapes decoded, dot segments resolved,
 * repeated slashes merged), then percent-decoded further and lower-cased; `..` is looked for in the path as sent. A
 * path longer than `MAX_PATH_LENGTH` is a strong probe by itself: no cut-off hides anything.
 */
export class ProbeMatcher {
  private readonly compiled: Compiled
  private readonly cache = new VerdictCache<string>(CACHE_BYTES, CACHED_PATH_LENGTH)
  /** The last path judged and its verdict: a route asked for again and again costs one comparison. */
  private lastPath: string | undefined = undefined
  private lastVerdict = ''

  constructor(options: ProbeOptions = {}) {
    const paths = options.paths ?? PROBE_SIGNATURES
    if (!Array.isArray(paths)) fail('Invalid option probes.paths: must be an array of signatures')
    for (const s of paths) {
      if (s === null || typeof s !== 'object' || (s.strength !== 'strong' && s.strength !== 'weak')) {
        fail(
          "Invalid option probes.paths: each entry must be { pattern, strength: 'strong' | 'weak', source }",
        )
      }
    }
    this.compiled = compile(
      {
        strong: options.strong ?? paths.filter((s) => s.strength === 'strong'),
        weak: options.weak ?? paths.filter((s) => s.strength === 'weak'),
      },
      options.allow ?? DEFAULT_PROBE_ALLOW,
    )
  }

  /** True when some signature counts on 404 (the rule then listens to `not-found`). */
  get hasWeak(): boolean {
    return this.compiled.weak > 0
  }

  /**
   * The verdict for a path as sent (without its query): `s<detail>` for a strong probe, `w<detail>` for a weak one,
   * `''` for none. Cached for paths up to 256 characters, in at most 512 KiB.
   */
  verdict(rawPath: string): string {
    if (rawPath === this.lastPath) return this.lastVerdict
    let v = this.cache.get(rawPath)
    if (v === undefined) {
      v = this.judge(rawPath)
      this.cache.add(rawPath, v)
    }
    this.lastPath = rawPath
    this.lastVerdict = v
    return v
  }

  /** The matched text of a strong probe, or null. */
  match(rawPath: string): string | null {
    const v = this.verdict(rawPath)
    return v.startsWith('s') ? v.slice(1) : null
  }

  /** Bytes the verdict cache holds now (bounded: see `VerdictCache`). */
  get cacheBytes(): number {
    return this.cache.bytes
  }

  private judge(rawPath: string): string {
    if (rawPath.length > MAX_PATH_LENGTH) return `soverlong path (${rawPath.length} characters)`
    if ((rawPath.includes('.') || rawPath.includes('%')) && TRAVERSAL.test(rawPath)) return 's..'
    let path = canonicalPath(rawPath, BROAD)
    if (path.includes('%') || path.includes('\\')) {
      // Escapes a router keeps (`%2F`, `%2E` in a name) and backslashes, as a file server or a proxy may read them.
      const segments: string[] = []
      for (const s of decodeAscii(path).replace(/\\/g, '/').toLowerCase().split('/')) {
        if (s === '' || s === '.') continue
        if (s === '..') segments.pop()
        else segments.push(s)
      }
      path = `/${segments.join('/')}`
    }
    return matchPath(this.compiled, path)
  }
}

function probeAsk(detail: string, onNotFound: boolean): RuleAsk {
  const reason = onNotFound ? `Probe path answered 404: ${detail}` : `Probe path: ${detail}`
  return {
    signal: { kind: 'probe', detail },
    verdict: { conclusion: 'allow', reason, evidence: { matched: detail } },
  }
}

/**
 * A probe path → a suspicious event; the request is served (a probe of a path the app does not have gets its 404).
 * Strong signatures (`/.env`, `/.git/`, `/wp-admin`, webshells, other products' admin panels) count before the
 * response; weak ones (`/admin`, `/backup`, `*.php`, `*.bak`, `*~` …) only when the app answered 404, so a path the
 * app serves on purpose never counts. The suspicion rule bans at the 5th event. A request a browser sent for another
 * site's page (`Sec-Fetch-Site: cross-site`, see `isCrossSite`) never counts: such a page could get its visitors banned.
 */
export function probes(options?: ProbeOptions): Rule {
  const o = objectOption(options, 'probes')
  for (const key of ['strong', 'weak', 'allow'] as const) {
    if (o[key] !== undefined && !Array.isArray(o[key])) fail(`Invalid option probes.${key}: must be an array`)
  }
  const mode = modeOption(o.mode, 'probes')
  const matcher = new ProbeMatcher(o)
  return {
    id: 'probe',
    mode,
    on: matcher.hasWeak ? ['request', NOT_FOUND] : 'request',
    check(request: RuleRequest) {
      const v = matcher.verdict(request.rawPath)
      if (v === '' || isCrossSite(request.facts)) return null
      if (request.event === NOT_FOUND)
        return v.charCodeAt(0) === 119 /* w */ ? probeAsk(v.slice(1), true) : null
      return v.charCodeAt(0) === 115 /* s */ ? probeAsk(v.slice(1), false) : null
    },
    describe: (ban: BanRecord) => `Probe path: ${ban.note ?? 'unknown'}`,
  }
}
