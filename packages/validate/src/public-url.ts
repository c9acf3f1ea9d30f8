/**
 * `checkPublicUrl` and `assertPublicUrl`: `checkUrl`, then every A/AAAA record of the host.
 */
import type { UrlCode } from './codes.js'
import { type Lookup, type LookupAddress, resolveChecked, systemLookup } from './lookup.js'
import { ok, type Result, ValidationError } from './result.js'
import { type CheckedUrl, checkUrlWithPolicy } from './url.js'
import { compilePolicy, type UrlPolicyOptions } from './url-policy.js'

/** Options of `checkPublicUrl`/`assertPublicUrl`: the URL policy plus the resolver. */
export interface PublicUrlOptions extends UrlPolicyOptions {
  /** Resolver for A/AAAA records. Default: the system resolver. */
  readonly lookup?: Lookup
}

/** A URL whose host was resolved and every address found public (or exempted). */
export interface ResolvedUrl extends CheckedUrl {
  /** Every address the host resolved to (for an IP literal, just that address). */
  readonly addresses: readonly LookupAddress[]
}

/**
 * Like `checkUrl`, and also resolves the host and fails if any address is not public or if DNS
 * fails. Never rejects for bad input. This is a point-in-time check: the DNS answer can change
 * before you connect, so fetch through `safeDispatcher()`/`safeAgent()`, which check at connect time.
 */
export async function checkPublicUrl(
  input: unknown,
  options?: PublicUrlOptions,
): Promise<Result<ResolvedUrl, UrlCode>> {
  const policy = compilePolicy(options)
  const checked = checkUrlWithPolicy(input, policy)
  if (!checked.ok) return checked
  const url = checked.value
  if (url.ip !== undefined)
    return ok({ ...url, addresses: [{ address: url.ip, family: url.ip.includes(':') ? 6 : 4 }] })
  const resolved = await resolveChecked(url.hostname, policy, options?.lookup ?? systemLookup)
  if (!resolved.ok) return resolved
  return ok({ ...url, addresses: resolved.value })
}

/** Throwing variant of `checkPublicUrl`: resolves to the checked URL or rejects with a `ValidationError`. */
export async function assertPublicUrl(input: unknown, options?: PublicUrlOptions): Promise<ResolvedUrl> {
  const result = await checkPublicUrl(input, options)
  if (!result.ok) throw ValidationError.from(result)
  return result.value
}
