import { SCANNER_AGENT_SIGNATURES } from '../signatures/scanner-agents.js'
import type { AgentSignature } from '../signatures/types.js'
import type { BanNowCount } from '../store.js'
import type { BanRecord, Mode, RequestFacts } from '../types.js'
import { fail, modeOption, objectOption } from './options.js'
import type { Rule, RuleAsk } from './rule.js'
import { VerdictCache } from './verdict-cache.js'

/**
 * The default scanner user agents: every entry of OWASP CRS's `scanners-user-agents.data`, tools' own defaults CRS
 * does not match (skipfish's `SF/2.10b`, Medusa's), and this project's earlier list — each fragment matched
 * case-insensitively anywhere in the header. `SCANNER_AGENT_SIGNATURES` has the same list with each entry's source.
 * Extend it with `[...DEFAULT_SCANNER_AGENTS, 'mytool']` or replace it through the `scanner.agents` option.
 */
export const DEFAULT_SCANNER_AGENTS: readonly (string | RegExp)[] = Object.freeze(
  SCANNER_AGENT_SIGNATURES.map((s) => s.pattern),
)

/**
 * A user agent longer than this is itself suspicious (a signal for the suspicion rule), and it is still matched
 * whole: no real client sends one (browsers' are under 500 characters), and Node's own header limit is 16 KiB.
 */
export const MAX_USER_AGENT_LENGTH = 4096

/** Verdicts of user agents up to this long are cached; a longer one is matched each time (linear work, no memory). */
const CACHED_AGENT_LENGTH = 512
/** Bytes the verdict cache may hold (both generations). */
const CACHE_BYTES = 512 * 1024

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** `pattern`, or a signature's pattern. */
type AgentPattern = string | RegExp | AgentSignature

/**
 * Matches user agents against a list compiled once, on the whole header, case-insensitively: the fragments as one
 * regular expression of lower-case literals run on the lower-cased header, the patterns as one case-insensitive
 * expression. Verdicts of recently seen agents are remembered in a cache bounded in bytes.
 */
export class ScannerMatcher {
  private readonly fragments: RegExp | null
  private readonly patterns: RegExp | null
  private readonly cache = new VerdictCache<string>(CACHE_BYTES, CACHED_AGENT_LENGTH)
  /** The last agent matched and its verdict: consecutive requests mostly carry the same one. */
  private lastAgent = ''
  private lastVerdict: string | null = null

  constructor(agents: readonly AgentPattern[] = SCANNER_AGENT_SIGNATURES) {
    const fragments: string[] = []
    const patterns: string[] = []
    for (const a of agents) {
      const p = typeof a === 'object' && a !== null && !(a instanceof RegExp) ? a.pattern : a
      if (typeof p === 'string') {
        if (p.length > 0) fragments.push(escapeRegExp(p.toLowerCase()))
      } else if (p instanceof RegExp) patterns.push(`(?:${p.source})`)
      else fail('Invalid option scanner.agents: entries must be strings, RegExps or { pattern } signatures')
    }
    this.fragments = fragments.length === 0 ? null : new RegExp(fragments.join('|'))
    this.patterns = patterns.length === 0 ? null : new RegExp(patterns.join('|'), 'i')
  }

  /** The matched text (lower-case), or null. The whole header is matched, however long. */
  match(userAgent: string | undefined): string | null {
    if (userAgent === undefined || userAgent.length === 0) return null
    if (userAgent === this.lastAgent) return this.lastVerdict
    let verdict = this.cache.get(userAgent)
    if (verdict === undefined) {
      const m = this.fragments?.exec(userAgent.toLowerCase()) ?? this.patterns?.exec(userAgent) ?? null
      verdict = m === null ? '' : m[0].toLowerCase().slice(0, 100)
      this.cache.add(userAgent, verdict)
    }
    const matched = verdict === '' ? null : verdict
    this.lastAgent = userAgent
    this.lastVerdict = matched
    return matched
  }

  /** Bytes the verdict cache holds now (bounded: see `VerdictCache`). */
  get cacheBytes(): number {
    return this.cache.bytes
  }
}

/** The whole `User-Agent` header (the first one, when a client sent several). */
export function userAgentOf(facts: RequestFacts): string | undefined {
  const v = facts.headers?.['user-agent']
  if (typeof v === 'string') return v
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0]
  return undefined
}

export interface ScannerOptions {
  /**
   * Fragments (case-insensitive, anywhere in the header), patterns, or signatures (`SCANNER_AGENT_SIGNATURES`) of
   * user agents. Replaces the default list.
   */
  agents?: readonly AgentPattern[]
  mode?: Mode
}

/**
 * A scanner user agent → ban on the first request. The whole header is matched, case-insensitively, against `agents`
 * (default: `SCANNER_AGENT_SIGNATURES`). A header over `MAX_USER_AGENT_LENGTH` characters is a suspicious event too.
 */
export function scanner(options?: ScannerOptions): Rule {
  const o = objectOption(options, 'scanner')
  if (o.agents !== undefined && !Array.isArray(o.agents))
    fail('Invalid option scanner.agents: must be an array')
  const mode = modeOption(o.mode, 'scanner')
  const matcher = new ScannerMatcher(o.agents)
  return {
    id: 'scanner',
    mode,
    on: 'request',
    check(request): RuleAsk | null {
      const ua = userAgentOf(request.facts)
      const matched = matcher.match(ua)
      if (matched === null) {
        if (ua === undefined || ua.length <= MAX_USER_AGENT_LENGTH) return null
        return { signal: { kind: 'scanner', detail: `user agent of ${ua.length} characters` } }
      }
      const count: BanNowCount = { kind: 'ban', rule: 'scanner', key: '', note: matched }
      if (mode === 'monitor') count.monitor = true
      return { count, by: 'ip' }
    },
    describe: (ban: BanRecord) => `Scanner user agent: ${ban.note ?? 'unknown'}`,
  }
}
