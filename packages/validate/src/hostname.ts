/**
 * Rules for host names (not IP literals): syntax after WHATWG canonicalisation, names that are
 * local by definition, and the user's host patterns.
 */
import { compileAddressList, isIpLiteral } from './ip-classify.js'

/**
 * Name suffixes that never identify a public host, with the reason. A host equal to one of these
 * or ending in `.<suffix>` is blocked with `URL_HOST_LOCAL`.
 */
export const LOCAL_NAME_SUFFIXES: Readonly<Record<string, string>> = Object.freeze({
  localhost: 'RFC 6761: always the loopback interface',
  local: 'RFC 6762: multicast DNS on the local link',
  localdomain: 'conventional alias of localhost in /etc/hosts',
  internal: 'ICANN 2024 reservation for private use (e.g. metadata.google.internal)',
  intranet: 'RFC 6762 appendix G: private use',
  private: 'RFC 6762 appendix G: private use',
  lan: 'RFC 6762 appendix G: private use',
  home: 'RFC 6762 appendix G / ICANN name collision: private use',
  corp: 'RFC 6762 appendix G / ICANN name collision: private use',
  test: 'RFC 6761: reserved for testing, never delegated',
  invalid: 'RFC 6761: guaranteed not to resolve',
  example: 'RFC 6761: reserved for documentation',
  onion: 'RFC 7686: Tor, not resolvable by DNS',
  arpa: 'infrastructure zone: reverse DNS (in-addr.arpa, ip6.arpa) and home.arpa (RFC 8375)',
})

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/

/** Why a name failed, before it is mapped to a URL code. */
export type NameProblem = 'invalid' | 'local' | 'single-label'

/** Strips one trailing dot: `localhost.` and `localhost` are the same name. */
export function stripTrailingDot(name: string): string {
  return name.endsWith('.') ? name.slice(0, -1) : name
}

/** Checks a canonical (lower-case, punycoded) host name for syntax and local-by-definition names. */
export function nameProblem(hostname: string): NameProblem | undefined {
  const name = stripTrailingDot(hostname)
  if (name.length === 0 || name.length > 253) return 'invalid'
  const labels = name.split('.')
  if (!labels.every((label) => LABEL.test(label))) return 'invalid'
  const last = labels[labels.length - 1]!
  // A numeric last label would make some resolvers read the name as an IPv4 address.
  if (NUMERIC_LABEL.test(last)) return 'invalid'
  for (let i = 0; i < labels.length; i++) {
    if (Object.hasOwn(LOCAL_NAME_SUFFIXES, labels.slice(i).join('.'))) return 'local'
  }
  if (labels.length === 1) return 'single-label'
  return undefined
}

/** A compiled list of host patterns: exact names, `*.suffix` wildcards, IPs and CIDR ranges. */
export interface HostMatcher {
  /** Matches a canonical host name (not an IP literal). */
  readonly name: (hostname: string) => boolean
  /** Matches an IP address (literal host or resolved address). */
  readonly address: (address: string) => boolean
  readonly size: number
}

function canonicalName(pattern: string): string {
  let url: URL
  try {
    url = new URL(`http://${pattern}/`)
  } catch {
    throw new TypeError(`not a host name pattern: ${JSON.stringify(pattern)}`)
  }
  if (url.host !== url.hostname || url.pathname !== '/' || url.username || url.search || url.hash) {
    throw new TypeError(`not a host name pattern: ${JSON.stringify(pattern)}`)
  }
  return stripTrailingDot(url.hostname)
}

/**
 * Compiles host patterns. `example.com` matches that name only; `*.example.com` matches every
 * name below it (not the apex); an IP or CIDR range matches IP literals and resolved addresses.
 * Throws a TypeError for a pattern that is none of these.
 */
export function compileHostList(patterns: readonly string[]): HostMatcher {
  const exact = new Set<string>()
  const suffixes: string[] = []
  const addresses: string[] = []
  for (const raw of patterns) {
    if (typeof raw !== 'string') throw new TypeError('host patterns must be strings')
    const pattern = raw.trim().toLowerCase()
    if (
      isIpLiteral(pattern) ||
      (pattern.includes('/') && isIpLiteral(pattern.slice(0, pattern.indexOf('/'))))
    ) {
      addresses.push(pattern)
    } else if (pattern.startsWith('*.')) {
      suffixes.push(`.${canonicalName(pattern.slice(2))}`)
    } else {
      exact.add(canonicalName(pattern))
    }
  }
  const address = compileAddressList(addresses)
  return {
    name: (hostname) => {
      const name = stripTrailingDot(hostname.toLowerCase())
      return exact.has(name) || suffixes.some((suffix) => name.endsWith(suffix))
    },
    address,
    size: patterns.length,
  }
}
