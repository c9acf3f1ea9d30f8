/**
 * `checkUrl`: one synchronous pipeline on the WHATWG URL parser. It rejects what a lenient parser
 * would silently repair, canonicalises the rest, and judges the canonical host, so the string it
 * returns is exactly the one that was checked.
 */
import { UrlCode } from './codes.js'
import { nameProblem } from './hostname.js'
import { isIpLiteral } from './ip-classify.js'
import { fail, ok, type Result } from './result.js'
import { checkAddress, compilePolicy, type UrlPolicy, type UrlPolicyOptions } from './url-policy.js'

/** A URL that passed `checkUrl`. Fetch `href`, never the original input. */
export interface CheckedUrl {
  /** The canonical WHATWG serialisation. */
  readonly href: string
  /** Lower-case scheme with the colon, e.g. `https:`. */
  readonly protocol: string
  /** Canonical host: lower-case, punycoded, IPv6 in brackets. */
  readonly hostname: string
  /** The effective port (the scheme's default when the URL names none). */
  readonly port: number
  /** The IP address when the host is an IP literal (IPv6 without brackets). */
  readonly ip?: string
}

const DEFAULT_PORT: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 }
// C0 controls (tab, CR and LF included), DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/
// Characters the WHATWG parser strips or trims without complaint.
const EDGE_SPACE = /^[\s\u200b\ufeff]|[\s\u200b\ufeff]$/
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/

/** Checks the host part of a parsed URL against the policy. */
export function checkHost(hostname: string, policy: UrlPolicy): Result<string | undefined, UrlCode> {
  if (isIpLiteral(hostname)) {
    const ip = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
    if (policy.onlyHosts && !policy.onlyHosts.address(ip)) {
      return fail(UrlCode.HOST_NOT_ALLOWED, `host ${hostname} is not on the allow list`)
    }
    const problem = checkAddress(ip, policy)
    return problem ?? ok(ip)
  }
  if (policy.denyHosts.name(hostname))
    return fail(UrlCode.HOST_DENIED, `host ${hostname} is on the deny list`)
  if (policy.onlyHosts && !policy.onlyHosts.name(hostname)) {
    return fail(UrlCode.HOST_NOT_ALLOWED, `host ${hostname} is not on the allow list`)
  }
  const problem = nameProblem(hostname)
  if (problem === 'invalid')
    return fail(UrlCode.HOST_INVALID, `host ${JSON.stringify(hostname)} is not a valid name`)
  if (problem && !policy.allowHosts.name(hostname)) {
    return problem === 'local'
      ? fail(UrlCode.HOST_LOCAL, `host ${hostname} is local by definition`)
      : fail(UrlCode.HOST_SINGLE_LABEL, `host ${hostname} is a single-label name`)
  }
  return ok(undefined)
}

function parse(input: string, policy: UrlPolicy): Result<URL, UrlCode> {
  if (input.length > policy.maxLength)
    return fail(UrlCode.TOO_LONG, `URL longer than ${policy.maxLength} characters`)
  if (CONTROL.test(input)) return fail(UrlCode.CONTROL_CHARACTER, 'URL contains a control character')
  if (EDGE_SPACE.test(input)) return fail(UrlCode.WHITESPACE, 'URL starts or ends with whitespace')
  if (input.includes('\\')) return fail(UrlCode.BACKSLASH, 'URL contains a backslash')
  if (input.startsWith('//')) return fail(UrlCode.PROTOCOL_RELATIVE, 'protocol-relative URL')
  const scheme = SCHEME.exec(input)
  if (!scheme) return fail(UrlCode.INVALID, 'not an absolute URL')
  const protocol = `${scheme[1]!.toLowerCase()}:`
  if (!policy.protocols.has(protocol))
    return fail(UrlCode.PROTOCOL_NOT_ALLOWED, `scheme ${protocol} is not allowed`)
  try {
    return ok(new URL(input))
  } catch {
    return fail(UrlCode.INVALID, 'not a valid URL')
  }
}

function checkWithPolicy(input: unknown, policy: UrlPolicy): Result<CheckedUrl, UrlCode> {
  const text = input instanceof URL ? input.href : input
  if (typeof text !== 'string') return fail(UrlCode.NOT_STRING, 'URL must be a string')
  const parsed = parse(text, policy)
  if (!parsed.ok) return parsed
  const url = parsed.value
  // The parser lower-cases the scheme; checked again so the canonical form is what decides.
  if (!policy.protocols.has(url.protocol)) {
    return fail(UrlCode.PROTOCOL_NOT_ALLOWED, `scheme ${url.protocol} is not allowed`)
  }
  if (
    !policy.allowCredentials &&
    (url.username !== '' || url.password !== '' || /^[^/?#]*\/\/[^/?#]*@/.test(text))
  ) {
    return fail(UrlCode.CREDENTIALS, 'URL contains credentials')
  }
  const port = url.port === '' ? DEFAULT_PORT[url.protocol]! : Number(url.port)
  if (policy.ports !== 'any' && !policy.ports.has(port)) {
    return fail(UrlCode.PORT_NOT_ALLOWED, `port ${port} is not allowed`)
  }
  if (url.hostname === '') return fail(UrlCode.HOST_INVALID, 'URL has no host')
  const host = checkHost(url.hostname, policy)
  if (!host.ok) return host
  const checked: CheckedUrl = {
    href: url.href,
    protocol: url.protocol,
    hostname: url.hostname,
    port,
    ...(host.value === undefined ? {} : { ip: host.value }),
  }
  return ok(checked)
}

/**
 * Checks a URL a client sent. Returns `{ ok: true, value }` with the canonical `href` to fetch, or
 * `{ ok: false, code, message }`. Never throws for bad input; throws a TypeError only for invalid
 * `options`. Host names are judged by name only: use `assertPublicUrl` to also resolve them, and
 * `safeDispatcher`/`safeAgent` to enforce the same rules when connecting.
 */
export function checkUrl(input: unknown, options?: UrlPolicyOptions): Result<CheckedUrl, UrlCode> {
  return checkUrlWithPolicy(input, compilePolicy(options))
}

/** Same as `checkUrl` with an already compiled policy. Internal. */
export function checkUrlWithPolicy(input: unknown, policy: UrlPolicy): Result<CheckedUrl, UrlCode> {
  try {
    return checkWithPolicy(input, policy)
  } catch {
    return fail(UrlCode.INVALID, 'URL could not be checked')
  }
}
