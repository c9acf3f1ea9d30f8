import { isIP } from 'node:net'
import { BoundedMap } from './bounded-map.js'
import { CLOUDFLARE_IPS } from './data/cloudflare-ranges.js'
import { BulwarkError } from './errors.js'
import { forwardedHop, type Hop, xffHop } from './forwarded.js'
import { formatIp, type IpRange, inRange, networkOf, type ParsedIp, parseIp, parseRange } from './ip.js'
import {
  badRangeEntry,
  LIST_HEADERS,
  normalizeTrustProxy,
  RANGE_NAMES,
  type TrustProxy,
} from './trust-presets.js'

export type {
  TrustedProxies,
  TrustProxy,
  TrustProxyPreset,
  TrustProxyPresetOptions,
  TrustProxyRule,
} from './trust-presets.js'

export interface ClientIdentity {
  /** The client address, canonical text, or `unknown` when none could be read. */
  ip: string
  /** The store key: `ip:<address>`, or `ip:<network>/<prefix>` for IPv6 grouped by prefix. */
  key: string
  /** The parsed address when the resolver had to parse it; undefined when it did not; null when `ip` is `unknown`. */
  addr: ParsedIp | null | undefined
  /**
   * True when `ip` is not a client but a proxy Bulwark was not told (enough) about: a loopback, private (RFC 1918,
   * unique-local IPv6) or link-local address that forwarded the request for someone else — it sent
   * `X-Forwarded-For`, `Forwarded`, `X-Real-IP` (or the header `trustProxy` reads) and was not trusted, or trusted
   * but sent nothing believable, or it is followed by more hops in the header. Every client behind that proxy gets
   * this identity, so banning it would ban them all. Only a proxy on the app's own network can produce it: a client
   * on the internet has a public socket address.
   */
  viaUntrustedProxy: boolean
}

/** What `onUntrustedForwarded` is told: enough to say the exact fix. */
export interface UntrustedForwardedInfo {
  /** The peer that sent the header: the socket address, or the untrusted hop of the header. */
  peer: string
  /** The forwarding header seen, lower case (`x-forwarded-for`, `forwarded`, `x-real-ip` …). */
  header: string
  /**
   * True when the peer is loopback, private or link-local, so almost surely a proxy of the app's own (the request's
   * identity has `viaUntrustedProxy`); false for a public peer, which may as well be a client writing the header.
   */
  suspectedProxy: boolean
  /** The setting that fixes it, as one sentence with code (`set trustProxy: 1 …`). */
  fix: string
}

export interface ClientIpOptions {
  trustProxy?: TrustProxy
  /** IPv6 clients are grouped by this prefix length (a /64 is one customer). Default 64; 128 disables grouping. */
  ipv6Prefix?: number
  /**
   * Called when a forwarding header is ignored: once the first time one arrives while no proxy is trusted, and once
   * the first time a request resolves to a suspected proxy (`viaUntrustedProxy`) — at most twice in all.
   */
  onUntrustedForwarded?: (info: UntrustedForwardedInfo) => void
}

/** Request headers as Node gives them: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>

/** Entries of a forwarding header looked at, at most: a longer chain is cut (from the left, the untrusted side). */
const MAX_HOPS = 32
/** A header value longer than this is resolved without the cache (it would hold too much memory per entry). */
const MAX_CACHED_VALUE = 512
/** Headers that say a request was forwarded. */
/** Headers that say a request was forwarded (platform headers too: a proxy may send only its own). */
const FORWARDING = [
  'x-forwarded-for',
  'forwarded',
  'x-real-ip',
  'cf-connecting-ip',
  'fly-client-ip',
  'true-client-ip',
] as const
const UNKNOWN: PeerIdentity = Object.freeze({
  ip: 'unknown',
  key: 'ip:unknown',
  addr: null,
  viaUntrustedProxy: false,
  peer: 'none',
  identity: undefined,
}) as PeerIdentity

type PeerKind = 'internal' | 'public' | 'none'

/**
 * A resolved identity as the resolver caches it: also what its socket peer was (internal: loopback, private,
 * link-local), and a slot where the engine keeps the request identity built on it. Every one is made by
 * `peerIdentity`, so all have one shape and reading them stays monomorphic.
 */
export interface PeerIdentity extends ClientIdentity {
  readonly peer: PeerKind
  /** The engine's identity for a request from this client with no API key and no user (see `Identities`). */
  identity: unknown
}

function peerIdentity(
  ip: string,
  key: string,
  addr: ParsedIp | null | undefined,
  viaUntrustedProxy: boolean,
  peer: PeerKind,
): PeerIdentity {
  return { ip, key, addr, viaUntrustedProxy, peer, identity: undefined }
}

function sameAddress(a: ParsedIp, b: ParsedIp): boolean {
  return a.kind() === b.kind() && formatIp(a) === formatIp(b)
}

/** Where a walk settled: the client address, and whether it is a proxy that forwarded for someone. */
interface Picked {
  addr: ParsedIp
  proxy: boolean
}

/** Loopback, RFC 1918, unique-local IPv6 or link-local: where a proxy of the app's own connects from. */
export function isInternalAddress(addr: ParsedIp): boolean {
  const range = addr.range()
  // ipaddr.js names: 127/8 and ::1 'loopback'; 10/8, 172.16/12, 192.168/16 'private'; fc00::/7 'uniqueLocal';
  // 169.254/16 and fe80::/10 'linkLocal'. (IPv4-mapped addresses were folded to IPv4 by parseIp.)
  return range === 'loopback' || range === 'private' || range === 'uniqueLocal' || range === 'linkLocal'
}

/** The value of one header as a single string (repeated fields joined, as Node joins them); undefined when empty. */
function headerText(value: unknown): string | undefined {
  if (typeof value === 'string') return value.length > 0 ? value : undefined
  if (Array.isArray(value)) {
    const joined = value.filter((v) => typeof v === 'string').join(',')
    return joined.length > 0 ? joined : undefined
  }
  return undefined
}

/**
 * Resolves the client identity of a request from its socket address and forwarding headers, with a bounded cache.
 * Never throws on request input: a header it cannot read leaves the socket address (or the last believable hop).
 */
export class ClientIpResolver {
  private readonly header: string
  private readonly list: boolean
  private readonly hops: number
  private readonly ranges: IpRange[] = []
  private readonly trustAll: boolean
  private readonly prefix: number
  private readonly cache = new BoundedMap<PeerIdentity>(10_000)
  /** `readsForwarded`, fixed once the options are read (a field: it is asked on every request). */
  private readonly readsHeader: boolean
  private warnedAny = false
  private warnedSuspect = false

  constructor(private readonly options: ClientIpOptions = {}) {
    this.prefix = options.ipv6Prefix ?? 64
    if (!Number.isInteger(this.prefix) || this.prefix < 1 || this.prefix > 128) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `ipv6Prefix must be an integer from 1 to 128, got ${this.prefix}`,
      )
    }
    const trust = normalizeTrustProxy(options.trustProxy ?? false, MAX_HOPS)
    this.header = trust.header
    this.list = LIST_HEADERS.has(trust.header)
    this.trustAll = trust.proxies === true
    this.hops = typeof trust.proxies === 'number' ? trust.proxies : 0
    if (Array.isArray(trust.proxies)) {
      for (const entry of trust.proxies as readonly string[]) {
        for (const text of RANGE_NAMES[entry] ?? [entry]) {
          const range = parseRange(text)
          if (range === null) badRangeEntry(entry)
          else this.ranges.push(range)
        }
      }
    }
    this.readsHeader = this.trustAll || this.hops > 0 || this.ranges.length > 0
  }

  /** True when some proxy is trusted, so the forwarding header (`X-Forwarded-For` unless configured) is read. */
  get readsForwarded(): boolean {
    return this.readsHeader
  }

  /** The header the client address is read from (lower case). */
  get forwardingHeader(): string {
    return this.header
  }

  /**
   * The identity of a request from its socket address and headers (lower-case names, as Node gives them).
   * Passing the `X-Forwarded-For` value itself as the second argument still works (deprecated).
   */
  resolve(
    socketIp: string | undefined,
    headers?: RequestHeaders | string | readonly string[],
  ): ClientIdentity {
    const h: RequestHeaders | undefined =
      typeof headers === 'string' || Array.isArray(headers)
        ? { 'x-forwarded-for': headers as string | readonly string[] }
        : typeof headers === 'object' && headers !== null
          ? (headers as RequestHeaders)
          : undefined
    if (!this.readsHeader) return this.direct(socketIp, h)
    const seen = h === undefined ? undefined : this.forwardingSeen(h)
    const value = seen !== undefined ? headerText(h?.[this.header]) : undefined
    const cacheKey =
      seen === undefined
        ? (socketIp ?? '')
        : value === undefined
          ? `${socketIp}|`
          : value.length <= MAX_CACHED_VALUE
            ? `${socketIp}|${value}`
            : undefined
    let identity = cacheKey === undefined ? undefined : this.cache.get(cacheKey)
    if (identity === undefined) {
      identity = this.compute(socketIp, seen !== undefined, value)
      // Repeat clients cost one lookup, and reuse one identity (and one key string) per address.
      if (cacheKey !== undefined) this.cache.set(cacheKey, identity)
    }
    if (!this.warnedSuspect && this.options.onUntrustedForwarded !== undefined) {
      if (seen !== undefined) this.warn(socketIp, seen, value, identity, h!)
      // A trusted proxy that sent no forwarding header at all.
      else if (identity.viaUntrustedProxy) this.warn(socketIp, this.header, undefined, identity, h ?? {})
    }
    return identity
  }

  /**
   * No proxy is trusted: the client is the socket peer. The forwarding headers matter only to tell a suspected proxy
   * (an internal peer that forwards for others) and for the one-time report, so a public peer's headers are not
   * looked at once that report is out: the common request costs one cache lookup.
   */
  private direct(socketIp: string | undefined, h: RequestHeaders | undefined): ClientIdentity {
    const key = socketIp ?? ''
    let identity = this.cache.get(key)
    if (identity === undefined) {
      identity = this.compute(socketIp, false, undefined)
      this.cache.set(key, identity)
    }
    if (h === undefined) return identity
    let seen: string | undefined
    if (identity.peer === 'internal') seen = this.forwardingSeen(h)
    else if (this.warnedAny) return identity
    else {
      // A public peer: only the one-time report is left to make, and the usual headers are enough for it.
      seen =
        headerText(h['x-forwarded-for']) !== undefined
          ? 'x-forwarded-for'
          : headerText(h.forwarded) !== undefined
            ? 'forwarded'
            : undefined
    }
    if (seen === undefined) return identity
    let result: ClientIdentity = identity
    if (identity.peer === 'internal') {
      const proxyKey = `${key}|`
      let proxied = this.cache.get(proxyKey)
      if (proxied === undefined) {
        proxied = this.compute(socketIp, true, undefined)
        this.cache.set(proxyKey, proxied)
      }
      result = proxied
    }
    if (!this.warnedSuspect && this.options.onUntrustedForwarded !== undefined) {
      this.warn(socketIp, seen, undefined, result, h)
    }
    return result
  }

  /** The first forwarding header present (the configured one first), or undefined. */
  private forwardingSeen(h: RequestHeaders): string | undefined {
    if (headerText(h[this.header]) !== undefined) return this.header
    for (const name of FORWARDING) if (headerText(h[name]) !== undefined) return name
    return undefined
  }

  private compute(socketIp: string | undefined, forwarded: boolean, value: string | undefined): PeerIdentity {
    const socket = socketIp === undefined ? null : parseIp(socketIp)
    if (socket === null) return UNKNOWN
    const peer: PeerKind = isInternalAddress(socket) ? 'internal' : 'public'
    if (
      !forwarded &&
      !this.readsHeader &&
      socketIp !== undefined &&
      socketIp.length <= 15 &&
      isIP(socketIp) === 4
    ) {
      // A dotted quad that net.isIP accepts is already canonical: the key is the text itself.
      return peerIdentity(socketIp, `ip:${socketIp}`, undefined, false, peer)
    }
    const picked = this.pick(socket, forwarded, value)
    return this.identify(picked.addr, picked.proxy, peer)
  }

  private pick(socket: ParsedIp, forwarded: boolean, value: string | undefined): Picked {
    const trusted = this.trusts(socket, 0)
    if (value === undefined || !trusted) {
      // The header is not read from this peer, or a trusted proxy sent none (or an empty one): either way the
      // address is the proxy's own, shared by everyone behind it, when an internal peer is forwarding.
      return { addr: socket, proxy: (forwarded || trusted) && isInternalAddress(socket) }
    }
    if (!this.list) {
      // One address, written by the proxy that connected: believe it whole, or not at all.
      const addr = parseIp(value.trim())
      if (addr === null || sameAddress(addr, socket))
        return { addr: socket, proxy: isInternalAddress(socket) }
      return { addr, proxy: false }
    }
    const hopAt: (v: string, end: number) => Hop = this.header === 'forwarded' ? forwardedHop : xffHop
    let current = socket
    // Whether `current` forwarded the request for someone: the socket did (a header arrived); a hop did when the
    // header has more entries to its left.
    let forwardedFor = true
    let end = value.length
    for (let hop = 1; hop <= MAX_HOPS; hop++) {
      if (!this.trusts(current, hop - 1)) break
      if (end <= 0) return { addr: current, proxy: false }
      const entry = hopAt(value, end)
      const next = entry.text === null ? null : parseIp(entry.text)
      // Garbage where a trusted proxy should have written an address: keep the last address we could believe.
      if (next === null) return { addr: current, proxy: isInternalAddress(current) }
      current = next
      end = entry.next
      forwardedFor = end > 0
    }
    // A header naming the trusted proxy itself (`X-Forwarded-For: 127.0.0.1` through a proxy on loopback) must not
    // put the proxy's own key on a client: everyone behind the proxy would share its ban.
    if (sameAddress(current, socket)) return { addr: current, proxy: isInternalAddress(current) }
    return { addr: current, proxy: forwardedFor && isInternalAddress(current) }
  }

  private trusts(addr: ParsedIp, hop: number): boolean {
    if (this.trustAll) return true
    if (this.hops > 0) return hop < this.hops
    for (const range of this.ranges) if (inRange(addr, range)) return true
    return false
  }

  private identify(addr: ParsedIp, proxy: boolean, peer: PeerKind): PeerIdentity {
    const ip = formatIp(addr)
    const key =
      addr.kind() === 'ipv6' && this.prefix < 128
        ? `ip:${formatIp(networkOf(addr, this.prefix))}/${this.prefix}`
        : `ip:${ip}`
    return peerIdentity(ip, key, addr, proxy, peer)
  }

  /** Reports an ignored forwarding header: once for any, once for a suspected proxy. */
  private warn(
    socketIp: string | undefined,
    seen: string,
    value: string | undefined,
    identity: ClientIdentity,
    h: RequestHeaders,
  ): void {
    let suspected: boolean
    if (identity.viaUntrustedProxy) suspected = true
    else if (!this.readsForwarded && !this.warnedAny) suspected = false
    else return
    this.warnedAny = true
    if (suspected) this.warnedSuspect = true
    const socket = socketIp === undefined ? null : parseIp(socketIp)
    const peer = suspected && identity.addr ? identity.addr : socket
    // The suspected proxy is a hop of the header rather than the socket peer.
    const inChain = peer !== null && socket !== null && formatIp(peer) !== formatIp(socket)
    const info: UntrustedForwardedInfo = {
      peer: peer === null ? String(socketIp).slice(0, 64) : formatIp(peer),
      header: seen,
      suspectedProxy: suspected,
      fix: this.fixFor(peer, seen, value, inChain, h),
    }
    try {
      this.options.onUntrustedForwarded?.(info)
    } catch {
      // A reporting callback must never fail a request.
    }
  }

  /** One sentence saying which setting makes Bulwark read the header this peer sent. */
  private fixFor(
    peer: ParsedIp | null,
    seen: string,
    value: string | undefined,
    inChain: boolean,
    h: RequestHeaders,
  ): string {
    if (peer === null) return 'set trustProxy to the proxies in front of the app (a hop count or their CIDRs)'
    const at = formatIp(peer)
    const cloudflare = [...CLOUDFLARE_IPS.v4, ...CLOUDFLARE_IPS.v6].some((r) => {
      const range = parseRange(r)
      return range !== null && inRange(peer, range)
    })
    if (cloudflare && headerText(h['cf-connecting-ip']) !== undefined && this.header !== 'cf-connecting-ip') {
      return `${at} is a Cloudflare edge address: set trustProxy: 'cloudflare'`
    }
    if (!isInternalAddress(peer)) {
      return `if ${at} is your proxy, set trustProxy: ['${at}'] (or your platform's preset); if it is not, a client is sending ${seen} itself and nothing needs to change`
    }
    const net = networkName(peer)
    const lanOrHost = net === 'loopback' || RANGE_NAMES.uniquelocal!.some((r) => r === net)
    if (this.readsForwarded) {
      if (value === undefined && seen !== this.header) {
        return `the proxy at ${at} sent ${seen}, not the ${this.header} that trustProxy reads: make it set ${this.header}, or trust the header it sends`
      }
      if (!inChain && this.trusts(peer, 0)) {
        return `the trusted proxy at ${at} sent no address Bulwark could read in ${this.header}: check what it writes there`
      }
      return `the proxy at ${at} is not trusted: add '${net}' to trustProxy's proxies${this.hops > 0 ? ', or count it in the hop count' : ''}`
    }
    if (headerText(h['fly-client-ip']) !== undefined && net !== 'loopback') {
      return `this looks like Fly.io's proxy: set trustProxy: 'fly'`
    }
    switch (seen) {
      case 'forwarded':
        return lanOrHost
          ? `set trustProxy: 'forwarded' (RFC 7239 Forwarded from loopback and private proxies), or { header: 'forwarded', proxies: 1 } for exactly one proxy`
          : `set trustProxy: { header: 'forwarded', proxies: ['${net}'] }`
      case 'x-real-ip':
        return lanOrHost
          ? `set trustProxy: 'x-real-ip' (X-Real-IP from loopback and private proxies)`
          : `set trustProxy: { header: 'x-real-ip', proxies: ['${net}'] }`
      default:
        return net === 'loopback'
          ? `set trustProxy: 'loopback' (a proxy on this host), or trustProxy: 1`
          : `set trustProxy: 1 (one proxy in front of the app) or trustProxy: ['${net}'] (every proxy on that network)`
    }
  }
}

/** The named range or the RFC block an internal address is in, as trustProxy takes it. */
function networkName(addr: ParsedIp): string {
  if (addr.range() === 'loopback') return 'loopback'
  const blocks = [...RANGE_NAMES.uniquelocal!, ...RANGE_NAMES.linklocal!]
  for (const block of blocks) {
    const range = parseRange(block)
    if (range !== null && inRange(addr, range)) return block
  }
  return formatIp(addr)
}
