import { BoundedMap } from '../bounded-map.js'
import type { BanNowCount } from '../store.js'
import type { BanRecord, Mode } from '../types.js'
import { fail, modeOption, objectOption } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

/**
 * User-agent fragments of attack and reconnaissance tools, matched case-insensitively anywhere in the header. Each
 * is a tool that announces itself by default; none is a browser, a library or a search engine. Extend it with
 * `[...DEFAULT_SCANNER_AGENTS, 'mytool']` or replace it through the `scanner.agents` option.
 */
export const DEFAULT_SCANNER_AGENTS: readonly string[] = [
  'sqlmap', // SQL injection
  'nikto', // web server scanner
  'nmap', // Nmap Scripting Engine
  'masscan', // port scanner
  'zgrab', // ZMap's banner grabber
  'nuclei', // ProjectDiscovery template scanner
  'acunetix', // commercial web scanner
  'nessus', // Tenable vulnerability scanner
  'openvas', // Greenbone scanner
  'wpscan', // WordPress scanner
  'gobuster', // directory brute forcer
  'dirbuster', // directory brute forcer
  'feroxbuster', // directory brute forcer
  'ffuf', // web fuzzer
  'wfuzz', // web fuzzer
  'hydra', // THC Hydra login brute forcer
  'w3af', // web attack framework
  'arachni', // web scanner
  'skipfish', // Google's active scanner
  'netsparker', // commercial web scanner (Invicti)
  'jaeles', // web scanner
  'commix', // command injection
  'xsstrike', // XSS scanner
  'havij', // SQL injection
  'zmeu', // phpMyAdmin scanner
  'morfeus', // "Morfeus Fucking Scanner"
  'fimap', // file inclusion scanner
  'whatweb', // fingerprinting
]

/** Longest user agent looked at; a longer one is matched on its first part. */
const MAX_UA = 1024

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Matches user agents against the scanner list, remembering verdicts for recently seen agents. */
export class ScannerMatcher {
  private readonly pattern: RegExp | null
  private readonly cache = new BoundedMap<string | false>(5_000)

  constructor(agents: readonly (string | RegExp)[] = DEFAULT_SCANNER_AGENTS) {
    const parts = agents.map((a) =>
      typeof a === 'string' ? escapeRegExp(a.toLowerCase()) : `(?:${a.source})`,
    )
    this.pattern = parts.length === 0 ? null : new RegExp(parts.join('|'), 'i')
  }

  /** The matched fragment, or null. */
  match(userAgent: string | undefined): string | null {
    if (this.pattern === null || userAgent === undefined || userAgent.length === 0) return null
    const ua = userAgent.length > MAX_UA ? userAgent.slice(0, MAX_UA) : userAgent
    const cached = this.cache.get(ua)
    if (cached !== undefined) return cached === false ? null : cached
    const m = this.pattern.exec(ua)
    const verdict = m === null ? false : m[0].toLowerCase()
    this.cache.set(ua, verdict)
    return verdict === false ? null : verdict
  }
}

export interface ScannerOptions {
  /** Fragments (case-insensitive) or patterns of user agents. Replaces the default list. */
  agents?: readonly (string | RegExp)[]
  mode?: Mode
}

/** A scanner user agent → ban on the first request. The user agent is matched against `agents` (default list above). */
export function scanner(options?: ScannerOptions): Rule {
  const o = objectOption(options, 'scanner')
  if (o.agents !== undefined && !Array.isArray(o.agents))
    fail('Invalid option scanner.agents: must be an array')
  const mode = modeOption(o.mode, 'scanner')
  const matcher = new ScannerMatcher(o.agents)
  const asks = new BoundedMap<RuleAsk>(1_000)
  return {
    id: 'scanner',
    mode,
    on: 'request',
    check(request) {
      const matched = matcher.match(request.userAgent)
      if (matched === null) return null
      let ask = asks.get(matched)
      if (ask === undefined) {
        const count: BanNowCount = { kind: 'ban', rule: 'scanner', key: '', note: matched }
        if (mode === 'monitor') count.monitor = true
        ask = Object.freeze({ count, by: 'ip' as const })
        asks.set(matched, ask)
      }
      return ask
    },
    describe: (ban: BanRecord) => `Scanner user agent: ${ban.note ?? 'unknown'}`,
  }
}
