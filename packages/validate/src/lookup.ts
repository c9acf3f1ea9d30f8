/**
 * DNS resolution for the URL checks: an injectable async resolver, and the check of every answer.
 */
import { promises as dns } from 'node:dns'
import { UrlCode } from './codes.js'
import { type Fail, fail } from './result.js'
import { checkAddress, type UrlPolicy } from './url-policy.js'

/** One DNS answer, as `dns.promises.lookup(host, { all: true })` returns it. */
export interface LookupAddress {
  readonly address: string
  readonly family: number
}

/**
 * Resolves a host name to all its A/AAAA addresses. The default uses the system resolver
 * (`dns.promises.lookup` with `all: true`), the same one Node uses to connect. Inject your own to
 * use another resolver, or a stub in tests.
 */
export type Lookup = (hostname: string) => Promise<readonly LookupAddress[]>

/** The default resolver: every address the system resolver returns. */
export const systemLookup: Lookup = (hostname) => dns.lookup(hostname, { all: true })

/**
 * Resolves `hostname` and checks every answer. Fails with `URL_DNS_FAILED` when resolution fails or
 * returns nothing, and with the address's code when any one answer is not acceptable.
 */
export async function resolveChecked(
  hostname: string,
  policy: UrlPolicy,
  lookup: Lookup,
): Promise<{ ok: true; value: readonly LookupAddress[] } | Fail<UrlCode>> {
  let answers: readonly LookupAddress[]
  try {
    answers = await lookup(hostname)
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : 'resolver error'
    return fail(UrlCode.DNS_FAILED, `could not resolve ${hostname}: ${reason}`)
  }
  if (!Array.isArray(answers) || answers.length === 0) {
    return fail(UrlCode.DNS_FAILED, `${hostname} has no A or AAAA records`)
  }
  for (const answer of answers) {
    const problem = checkAddress(String(answer?.address), policy)
    if (problem) return fail(problem.code, `${hostname} resolves to a blocked address: ${problem.message}`)
  }
  return { ok: true, value: answers }
}
