/**
 * The options shared by `checkUrl`, `assertPublicUrl`, `safeDispatcher` and `safeAgent`, compiled
 * once per options object.
 */
import { UrlCode } from './codes.js'
import { compileHostList, type HostMatcher } from './hostname.js'
import { type AddressMatcher, classifyAddress, compileAddressList } from './ip-classify.js'
import { type Fail, fail } from './result.js'

/** Schemes `checkUrl` can be told to accept. Only special schemes: their hosts get WHATWG host parsing. */
export type AllowedProtocol = 'http:' | 'https:' | 'ws:' | 'wss:'

/** The URL policy. Every field is optional; the defaults are the safe ones. */
export interface UrlPolicyOptions {
  /** Accepted schemes. Default `['http:', 'https:']`. */
  readonly protocols?: readonly AllowedProtocol[]
  /** Accept `user:pass@` in the URL. Default `false`. */
  readonly allowCredentials?: boolean
  /** Accepted ports (effective port, so `https://x/` is 443), or `'any'`. Default `[80, 443, 8080, 8443]`. */
  readonly ports?: 'any' | readonly number[]
  /** Longest accepted input, in UTF-16 code units. Default 2048. */
  readonly maxLength?: number
  /**
   * Hosts exempt from the name rules (local-by-definition suffixes, single labels), e.g.
   * `['search.internal']`. Patterns: `name`, `*.suffix`. This does NOT exempt the address check:
   * a name that resolves to a private address is still blocked unless `allowAddresses` covers it.
   */
  readonly allowHosts?: readonly string[]
  /** If set, only these hosts are accepted (`name`, `*.suffix`, IP, CIDR); everything else fails `URL_HOST_NOT_ALLOWED`. */
  readonly onlyHosts?: readonly string[]
  /** Always blocked (`name`, `*.suffix`, IP, CIDR), checked against the host and every resolved address. */
  readonly denyHosts?: readonly string[]
  /**
   * IPs and CIDR ranges exempt from the non-public address block: for a known internal service,
   * or in tests, for a server on loopback. Never build this from client input: every address
   * listed here becomes reachable, through IP literals, DNS answers and redirects alike.
   */
  readonly allowAddresses?: readonly string[]
}

/** A compiled policy. Internal. */
export interface UrlPolicy {
  readonly protocols: ReadonlySet<string>
  readonly allowCredentials: boolean
  readonly ports: ReadonlySet<number> | 'any'
  readonly maxLength: number
  readonly allowHosts: HostMatcher
  readonly onlyHosts: HostMatcher | undefined
  readonly denyHosts: HostMatcher
  readonly allowAddresses: AddressMatcher
}

/** The ports accepted when `ports` is not given. */
export const DEFAULT_PORTS: readonly number[] = Object.freeze([80, 443, 8080, 8443])
const SPECIAL: ReadonlySet<string> = new Set(['http:', 'https:', 'ws:', 'wss:'])
const cache = new WeakMap<UrlPolicyOptions, UrlPolicy>()
let defaultPolicy: UrlPolicy | undefined

function build(options: UrlPolicyOptions): UrlPolicy {
  const protocols = options.protocols ?? ['http:', 'https:']
  for (const p of protocols) {
    if (!SPECIAL.has(p))
      throw new TypeError(`protocols: ${JSON.stringify(p)} is not one of http:, https:, ws:, wss:`)
  }
  const ports = options.ports ?? DEFAULT_PORTS
  if (ports !== 'any') {
    for (const port of ports) {
      if (!Number.isInteger(port) || port < 1 || port > 65535)
        throw new TypeError(`ports: ${port} is not a port`)
    }
  }
  const maxLength = options.maxLength ?? 2048
  if (!Number.isInteger(maxLength) || maxLength < 1)
    throw new TypeError('maxLength must be a positive integer')
  return {
    protocols: new Set(protocols),
    allowCredentials: options.allowCredentials === true,
    ports: ports === 'any' ? 'any' : new Set(ports),
    maxLength,
    allowHosts: compileHostList(options.allowHosts ?? []),
    onlyHosts: options.onlyHosts ? compileHostList(options.onlyHosts) : undefined,
    denyHosts: compileHostList(options.denyHosts ?? []),
    allowAddresses: compileAddressList(options.allowAddresses ?? []),
  }
}

/** Compiles options (cached per object). Throws a TypeError for an invalid option: that is a programming error, not bad input. */
export function compilePolicy(options?: UrlPolicyOptions): UrlPolicy {
  if (options === undefined) {
    defaultPolicy ??= build({})
    return defaultPolicy
  }
  let policy = cache.get(options)
  if (!policy) {
    policy = build(options)
    cache.set(options, policy)
  }
  return policy
}

/**
 * Judges one IP address (a literal host or a DNS answer) against the policy: the deny list, then
 * the `allowAddresses` exemptions, then the public/non-public classification.
 */
export function checkAddress(address: string, policy: UrlPolicy): Fail<UrlCode> | undefined {
  if (policy.denyHosts.address(address))
    return fail(UrlCode.HOST_DENIED, `address ${address} is on the deny list`)
  if (policy.allowAddresses(address)) return undefined
  const verdict = classifyAddress(address)
  if (!verdict) return fail(UrlCode.HOST_INVALID, `${JSON.stringify(address)} is not an IP address`)
  if (verdict.public) return undefined
  const via = verdict.embedded ? ` (embeds ${verdict.embedded.address}, ${verdict.embedded.range})` : ''
  return fail(UrlCode.ADDRESS_NOT_PUBLIC, `address ${verdict.address} is not public: ${verdict.range}${via}`)
}
