/**
 * The connect-time check shared by `safeDispatcher` and `safeAgent`: the target (scheme, host,
 * port) goes through the same pipeline as `checkUrl`, and host names are resolved by a `lookup`
 * that hands the socket only addresses it has checked, so DNS rebinding has no window.
 */
import type { LookupOptions, LookupAddress as NodeLookupAddress } from 'node:dns'
import { UrlCode } from './codes.js'
import { type Lookup, resolveChecked, systemLookup } from './lookup.js'
import { ValidationError } from './result.js'
import { checkUrlWithPolicy } from './url.js'
import { compilePolicy, type UrlPolicyOptions } from './url-policy.js'

/** Options of `safeDispatcher` and `safeAgent`: the URL policy plus the resolver. */
export interface SafeConnectOptions extends UrlPolicyOptions {
  /** Resolver for A/AAAA records. Default: the system resolver. Every answer is checked; one bad answer fails the connection. */
  readonly lookup?: Lookup
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | NodeLookupAddress[],
  family?: number,
) => void

/** A `lookup` for `net.connect`/`tls.connect`. */
export type NodeLookup = (hostname: string, options: LookupOptions, callback: LookupCallback) => void

/** The two halves of the connect-time check. Internal. */
export interface ConnectGuard {
  /** Checks the connection target before any socket exists; returns the error to fail with, if any. */
  readonly target: (
    protocol: string,
    hostname: string,
    port: number | string,
    socketPath?: unknown,
  ) => ValidationError | undefined
  /** Resolves with the configured resolver and fails unless every answer passes. */
  readonly lookup: NodeLookup
}

function familyOf(family: LookupOptions['family']): 0 | 4 | 6 {
  if (family === 4 || family === 'IPv4') return 4
  if (family === 6 || family === 'IPv6') return 6
  return 0
}

/** Builds the guard for one set of options. Throws a TypeError for invalid options. */
export function createConnectGuard(options: SafeConnectOptions = {}): ConnectGuard {
  const policy = compilePolicy(options)
  const resolver = options.lookup ?? systemLookup

  const target: ConnectGuard['target'] = (protocol, hostname, port, socketPath) => {
    if (socketPath !== undefined && socketPath !== null) {
      return new ValidationError(
        UrlCode.HOST_NOT_ALLOWED,
        'connections to a Unix socket path are not allowed',
      )
    }
    const bare = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
    const host = bare.includes(':') ? `[${bare}]` : bare
    const url = `${protocol}//${host}${port === '' || port === undefined ? '' : `:${port}`}/`
    const result = checkUrlWithPolicy(url, policy)
    return result.ok ? undefined : ValidationError.from(result)
  }

  const lookup: NodeLookup = (hostname, lookupOptions, callback) => {
    const opts: LookupOptions =
      typeof lookupOptions === 'object' && lookupOptions !== null ? lookupOptions : {}
    const family = familyOf(opts.family)
    resolveChecked(hostname, policy, resolver).then(
      (result) => {
        if (!result.ok) return callback(ValidationError.from(result), '')
        const answers = result.value
          .map((a) => ({ address: a.address, family: a.address.includes(':') ? 6 : 4 }))
          .filter((a) => family === 0 || a.family === family)
        const first = answers[0]
        if (!first)
          return callback(
            new ValidationError(UrlCode.DNS_FAILED, `${hostname} has no IPv${family} address`),
            '',
          )
        if (opts.all) return callback(null, answers)
        return callback(null, first.address, first.family)
      },
      (error: unknown) =>
        callback(
          new ValidationError(UrlCode.DNS_FAILED, `could not resolve ${hostname}`, { cause: error }),
          '',
        ),
    )
  }

  return { target, lookup }
}
