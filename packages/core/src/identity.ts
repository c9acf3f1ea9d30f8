import { hashApiKey } from './api-key.js'
import { BoundedMap } from './bounded-map.js'
import type { ClientIdentity, ClientIpResolver, PeerIdentity } from './client-ip.js'
import { BulwarkError } from './errors.js'
import { parseIp, parseRange } from './ip.js'
import { keyHash } from './subject-table.js'
import type { Decision, RequestFacts, Subject } from './types.js'

/** Who a request is from: the client address, and the API key and user when the request carries them. */
export interface Identity {
  client: ClientIdentity
  /** `key:<hash>` */
  key: string | undefined
  /** `user:<id>` */
  user: string | undefined
  subject: Subject
  /**
   * `keyHash(client.key)`, made once per shared identity (an address alone) and handed to the store with the client's
   * subject op; undefined for an identity made per request.
   */
  hash: number | undefined
  /**
   * The plain allow decision of this identity, made once and shared (frozen), when the identity itself is shared (a
   * request with an address alone): the usual request then allocates no decision.
   */
  allowed?: Decision
}

/** A ban or whitelist target: an IP address, a listed subject (`key:…`, `user:…`), or a raw API key or user id. */
export type BanTarget = string | { apiKey: string } | { user: string | number }

const MAX_USER = 200

/** Resolves identities and store keys, with bounded caches. Never throws on bad request input. */
export class Identities {
  private readonly keyHashes = new BoundedMap<string>(10_000)

  constructor(
    readonly resolver: ClientIpResolver,
    private readonly secret: string,
    private readonly ipv6Prefix: number,
  ) {}

  of(facts: Pick<RequestFacts, 'ip' | 'headers' | 'apiKey' | 'user'>): Identity {
    const client = this.resolver.resolve(facts?.ip, facts?.headers) as PeerIdentity
    const apiKey = facts?.apiKey
    const key = typeof apiKey === 'string' && apiKey.length > 0 ? this.hashKey(apiKey) : undefined
    const user = facts?.user === undefined ? undefined : this.userKey(facts.user)
    if (key === undefined && user === undefined && client.peer !== 'none') {
      // The usual request: an address alone. Its identity is made once per cached address and shared (frozen).
      let id = client.identity as Identity | undefined
      if (id === undefined) {
        const subject: Subject = Object.freeze({ ip: client.ip, ipKey: client.key })
        id = {
          client,
          key: undefined,
          user: undefined,
          subject,
          hash: keyHash(client.key),
          allowed: undefined,
        }
        client.identity = id
      }
      return id
    }
    const subject: Subject = { ip: client.ip, ipKey: client.key }
    if (key !== undefined) subject.apiKey = key
    if (user !== undefined) subject.user = user
    // Made per request: the memory store hashes the key itself if it counts on it (a shared store never needs it).
    return { client, key, user, subject, hash: undefined }
  }

  hashKey(apiKey: string): string {
    const k = apiKey.length > 1024 ? apiKey.slice(0, 1024) : apiKey
    let h = this.keyHashes.get(k)
    if (h === undefined) {
      h = hashApiKey(k, this.secret)
      this.keyHashes.set(k, h)
    }
    return h
  }

  /** `user:<id>`; an id over 200 characters (or with control characters) is stored as a keyed hash. */
  userKey(user: unknown): string | undefined {
    if (typeof user === 'number') return Number.isFinite(user) ? `user:${user}` : undefined
    if (typeof user !== 'string' || user.length === 0) return undefined
    if (user.length <= MAX_USER && !/[\u0000-\u001f{}]/.test(user)) return `user:${user}`
    return `user:#${this.hashKey(user).slice(4)}`
  }

  /** The store key for a `by` function's value. */
  byKey(value: unknown): string | undefined {
    if (typeof value === 'number' && Number.isFinite(value)) return `by:${value}`
    if (typeof value !== 'string' || value.length === 0) return undefined
    if (value.length <= MAX_USER && !/[\u0000-\u001f{}]/.test(value)) return `by:${value}`
    return `by:#${this.hashKey(value).slice(4)}`
  }

  /** The subject a ban target names. Throws ERR_BULWARK_TARGET for something that is none. */
  subjectOf(target: BanTarget): string {
    if (typeof target === 'object' && target !== null) {
      if ('apiKey' in target && typeof target.apiKey === 'string' && target.apiKey.length > 0) {
        return this.hashKey(target.apiKey)
      }
      if ('user' in target) {
        const user = this.userKey(target.user)
        if (user !== undefined) return user
      }
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        'A target object must be { apiKey: string } or { user: string | number }',
      )
    }
    if (typeof target !== 'string' || target.length === 0) {
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        'A ban target must be an IP address, a listed subject (key:…, user:…), { apiKey } or { user }',
      )
    }
    if (/^(key|ip|user|by):/.test(target)) return target
    const slash = target.indexOf('/')
    if (slash >= 0) {
      // A grouped IPv6 target as listBans() shows it: `2001:db8:1:2::/64`.
      const range = parseRange(target)
      if (range !== null && range.addr.kind() === 'ipv6' && range.bits === this.ipv6Prefix) {
        return `ip:${range.text}`
      }
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        `"${target.slice(0, 100)}" is a range; a ban covers one IP (IPv6 grouped by /${this.ipv6Prefix}), an API key or a user`,
      )
    }
    if (parseIp(target) === null) {
      throw new BulwarkError(
        'ERR_BULWARK_TARGET',
        `"${target.slice(0, 100)}" is not an IP address; pass { apiKey } or { user } to ban those, or a subject from listBans()`,
      )
    }
    return this.resolver.resolve(target).key
  }
}

/** What a subject looks like to people: the IP, or the subject itself (`key:…`, `user:…`). */
export function targetOf(subject: string): string {
  return subject.startsWith('ip:') ? subject.slice(3) : subject
}
