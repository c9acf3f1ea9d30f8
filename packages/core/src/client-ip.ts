import { isIP } from 'node:net'
import { BoundedMap } from './bounded-map.js'
import { BulwarkError } from './errors.js'
import { formatIp, type IpRange, inRange, networkOf, type ParsedIp, parseIp, parseRange } from './ip.js'

/**
 * Which proxies in front of the app to believe.
 * - `false` (default): only the socket address counts; `X-Forwarded-For` is ignored.
 * - a number `n`: the socket peer and the next `n - 1` hops are proxies; the client is the `n`-th address from the
 *   right of `X-Forwarded-For` (like express `trust proxy = n`).
 * - CIDRs or addresses (or the names `loopback`, `linklocal`, `uniquelocal`): walk `X-Forwarded-For` right to left
 *   while the hop is trusted; the first untrusted address is the client.
 * - `true`: trust every hop; the client is the left-most address. Only behind a proxy that overwrites the header.
 */
export type TrustProxy = boolean | number | string | readonly string[]

export interface ClientIdentity {
  /** The client address, canonical text, or `unknown` when none could be read. */
  ip: string
  /** The store key: `ip:<address>`, or `ip:<network>/<prefix>` for IPv6 grouped by prefix. */
  key: string
  /** The parsed address when the resolver had to parse it; undefined when it did not; null when `ip` is `unknown`. */
  addr: ParsedIp | null | undefined
}

export interface ClientIpOptions {
  trustProxy?: TrustProxy
  /** IPv6 clients are grouped by this prefix length (a /64 is one customer). Default 64; 128 disables grouping. */
  ipv6Prefix?: number
  /** Called once, the first time `X-Forwarded-For` arrives while no proxy is trusted. */
  onUntrustedForwarded?: () => void
}

const PRESETS: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

/** Entries of X-Forwarded-For looked at, at most: a longer chain is cut (from the left, the untrusted side). */
const MAX_HOPS = 32
const UNKNOWN: ClientIdentity = { ip: 'unknown', key: 'ip:unknown', addr: null }

/** Resolves the client identity of a request from its socket address and X-Forwarded-For, with a bounded cache. */
export class ClientIpResolver {
  private readonly hops: number
  private readonly ranges: IpRange[] = []
  private readonly trustAll: boolean
  private readonly prefix: number
  private readonly cache = new BoundedMap<ClientIdentity>(10_000)
  private warned = false

  constructor(private readonly options: ClientIpOptions = {}) {
    const trust = options.trustProxy ?? false
    this.prefix = options.ipv6Prefix ?? 64
    if (!Number.isInteger(this.prefix) || this.prefix < 1 || this.prefix > 128) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `ipv6Prefix must be an integer from 1 to 128, got ${this.prefix}`,
      )
    }
    this.trustAll = trust === true
    this.hops = typeof trust === 'number' ? trust : 0
    if (typeof trust === 'number' && (!Number.isInteger(trust) || trust < 0 || trust > MAX_HOPS)) {
      throw new BulwarkError(
        'ERR_BULWARK_OPTIONS',
        `trustProxy as a hop count must be an integer from 0 to ${MAX_HOPS}`,
      )
    }
    if (typeof trust === 'string' || Array.isArray(trust)) {
      const list = typeof trust === 'string' ? trust.split(',') : (trust as readonly string[])
      for (const raw of list) {
        const entry = raw.trim()
        for (const text of PRESETS[entry] ?? [entry]) {
          const range = parseRange(text)
          if (range === null) {
            throw new BulwarkError(
              'ERR_BULWARK_OPTIONS',
              `trustProxy entry "${entry}" is not an IP address, a CIDR or one of loopback, linklocal, uniquelocal`,
            )
          }
          this.ranges.push(range)
        }
      }
    }
  }

  /** True when some proxy is trusted, so X-Forwarded-For is read. */
  get readsForwarded(): boolean {
    return this.trustAll || this.hops > 0 || this.ranges.length > 0
  }

  resolve(socketIp: string | undefined, forwarded: string | readonly string[] | undefined): ClientIdentity {
    const xff =
      typeof forwarded === 'string' ? forwarded : Array.isArray(forwarded) ? forwarded.join(',') : undefined
    if (xff !== undefined && xff.length > 0 && !this.readsForwarded && !this.warned) {
      this.warned = true
      this.options.onUntrustedForwarded?.()
    }
    const useXff = xff !== undefined && xff.length > 0 && this.readsForwarded
    const cacheKey = useXff ? (xff.length <= 512 ? `${socketIp}|${xff}` : undefined) : (socketIp ?? '')
    if (cacheKey !== undefined) {
      // Repeat clients cost one lookup, and reuse one identity (and one key string) per address.
      const hit = this.cache.get(cacheKey)
      if (hit !== undefined) return hit
    }
    let identity: ClientIdentity
    if (!useXff && socketIp !== undefined && socketIp.length <= 15 && isIP(socketIp) === 4) {
      // A dotted quad that net.isIP accepts is already canonical: no parsing needed.
      identity = { ip: socketIp, key: `ip:${socketIp}`, addr: undefined }
    } else {
      const addr = this.pick(socketIp, useXff ? xff : undefined)
      identity = addr === null ? UNKNOWN : this.identify(addr)
    }
    if (cacheKey !== undefined) this.cache.set(cacheKey, identity)
    return identity
  }

  private pick(socketIp: string | undefined, xff: string | undefined): ParsedIp | null {
    const socket = socketIp === undefined ? null : parseIp(socketIp)
    if (socket === null || xff === undefined) return socket
    let current = socket
    let end = xff.length
    for (let hop = 1; hop <= MAX_HOPS; hop++) {
      if (!this.trusts(current, hop - 1)) return current
      if (end <= 0) return current
      const comma = xff.lastIndexOf(',', end - 1)
      const next = parseIp(xff.slice(comma + 1, end).trim())
      // Garbage where a proxy should have written an address: keep the last address we could believe.
      if (next === null) return current
      current = next
      end = comma
    }
    return current
  }

  private trusts(addr: ParsedIp, hop: number): boolean {
    if (this.trustAll) return true
    if (this.hops > 0) return hop < this.hops
    for (const range of this.ranges) if (inRange(addr, range)) return true
    return false
  }

  private identify(addr: ParsedIp): ClientIdentity {
    const ip = formatIp(addr)
    if (addr.kind() === 'ipv6' && this.prefix < 128) {
      return { ip, key: `ip:${formatIp(networkOf(addr, this.prefix))}/${this.prefix}`, addr }
    }
    return { ip, key: `ip:${ip}`, addr }
  }
}
