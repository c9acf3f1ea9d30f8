import { CLOUDFLARE_IPS } from './data/cloudflare-ranges.js'
import { BulwarkError } from './errors.js'

/**
 * Which peers are proxies to believe, in the forms express and proxy-addr use:
 * - `false` / `0`: none.
 * - `n`: the socket peer and the next `n - 1` hops of the header.
 * - CIDRs or addresses, as a list or a comma-separated string, with the names `loopback`, `linklocal`,
 *   `uniquelocal`: every hop in those ranges.
 * - `true`: every hop. Only behind a proxy that overwrites the header.
 */
export type TrustedProxies = boolean | number | string | readonly string[]

/** The platforms with a preset (see `TRUST_PRESETS`). */
export type TrustProxyPreset = 'cloudflare' | 'fly' | 'x-real-ip' | 'forwarded'

/**
 * The general form: which header carries the client address, and which peers may set it.
 * - `x-forwarded-for` (the default) and `forwarded` (RFC 7239) are lists, walked right to left while the hop is a
 *   trusted proxy; the first untrusted address is the client.
 * - Any other header (`x-real-ip`, `cf-connecting-ip`, `fly-client-ip`, `true-client-ip` …) holds one address, set
 *   by the proxy that connects to the app: it is read when the socket peer is trusted (`proxies`: `1`, `true` or
 *   CIDRs), and ignored otherwise.
 */
export interface TrustProxyRule {
  header?:
    | 'x-forwarded-for'
    | 'forwarded'
    | 'x-real-ip'
    | 'cf-connecting-ip'
    | 'fly-client-ip'
    | (string & {})
  proxies: TrustedProxies
}

/** A platform preset, optionally with other trusted peers (e.g. a fresher list of Cloudflare's ranges). */
export interface TrustProxyPresetOptions {
  preset: TrustProxyPreset
  /** Replaces the preset's trusted peers. */
  proxies?: TrustedProxies
}

/**
 * Which proxies in front of the app to believe, and which header they write the client address in.
 * - `false` (default): only the socket address counts; forwarding headers are ignored.
 * - `TrustedProxies` forms (a hop count, CIDRs, `true`): read `X-Forwarded-For` from those proxies (like express
 *   `trust proxy`).
 * - a preset name: `'cloudflare'`, `'fly'`, `'x-real-ip'`, `'forwarded'` (see `TRUST_PRESETS`).
 * - `{ header, proxies }` (`TrustProxyRule`), or `{ preset, proxies }` to change a preset's trusted peers.
 */
export type TrustProxy = TrustedProxies | TrustProxyPreset | TrustProxyRule | TrustProxyPresetOptions

/** The names that stand for ranges in a trusted-proxy list (the same as proxy-addr's). */
export const RANGE_NAMES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

interface PresetSpec {
  header: string
  proxies: () => readonly string[]
}

/** What each preset is sugar for: `{ header, proxies }`. */
export const TRUST_PRESETS: Readonly<Record<TrustProxyPreset, PresetSpec>> = {
  // https://developers.cloudflare.com/fundamentals/reference/http-headers/#cf-connecting-ip: "CF-Connecting-IP
  // provides the client IP address connecting to Cloudflare to the origin web server", sent only on traffic from
  // Cloudflare's edge to the origin; Cloudflare recommends it over X-Forwarded-For. The edge connects from the ranges
  // at https://www.cloudflare.com/ips/ (shipped in data/cloudflare-ranges.ts), so the header is believed only from
  // those peers: anyone else (a client reaching the origin directly) could write it.
  cloudflare: { header: 'cf-connecting-ip', proxies: () => [...CLOUDFLARE_IPS.v4, ...CLOUDFLARE_IPS.v6] },
  // https://fly.io/docs/networking/request-headers/#fly-client-ip: "The IP address of the client from the
  // perspective of Fly Proxy"; the proxy sets it on every request (a client's own Fly-Client-IP is replaced). Fly
  // does not document which address its proxy connects to the Machine from; it is a private one on Fly's network
  // (reports show 172.19.x.x, RFC 1918), so the header is believed only from private (RFC 1918) and unique-local
  // IPv6 (fc00::/7, which holds Fly's 6PN fdaa::/16) peers, never from a public one.
  fly: { header: 'fly-client-ip', proxies: () => RANGE_NAMES.uniquelocal! },
  // nginx `proxy_set_header X-Real-IP $remote_addr` (https://nginx.org/en/docs/http/ngx_http_proxy_module.html):
  // one address, set by the proxy that connects to the app, trusted from the host (loopback) and the private LAN.
  'x-real-ip': {
    header: 'x-real-ip',
    proxies: () => [...RANGE_NAMES.loopback!, ...RANGE_NAMES.uniquelocal!],
  },
  // RFC 7239 (https://www.rfc-editor.org/rfc/rfc7239): walked right to left like X-Forwarded-For, through proxies on
  // the host or the private LAN.
  forwarded: { header: 'forwarded', proxies: () => [...RANGE_NAMES.loopback!, ...RANGE_NAMES.uniquelocal!] },
}

/** Headers that hold a list of hops; every other header holds one address. */
export const LIST_HEADERS: ReadonlySet<string> = new Set(['x-forwarded-for', 'forwarded'])

/** A trustProxy setting reduced to its general form. */
export interface NormalizedTrust {
  /** Lower-case header name. */
  header: string
  /** `true`, a hop count (0 = none), or a list of CIDRs and range names. */
  proxies: boolean | number | readonly string[]
  /** The preset it came from, if any. */
  preset: TrustProxyPreset | undefined
}

const fail = (message: string): never => {
  throw new BulwarkError('ERR_BULWARK_OPTIONS', message)
}

const PRESET_NAMES = Object.keys(TRUST_PRESETS) as TrustProxyPreset[]
const isPreset = (v: unknown): v is TrustProxyPreset =>
  typeof v === 'string' && Object.hasOwn(TRUST_PRESETS, v)
const show = (v: unknown): string => {
  try {
    return (JSON.stringify(v) ?? String(v)).slice(0, 80)
  } catch {
    return String(v).slice(0, 80)
  }
}

/** An HTTP field name (RFC 9110 token), lower-cased. */
function headerName(value: unknown): string {
  if (typeof value !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/.test(value)) {
    return fail(
      `trustProxy.header must be a header name such as 'x-forwarded-for', 'forwarded' or 'x-real-ip', got ${show(value)}`,
    )
  }
  return value.toLowerCase()
}

/** Checks the proxies part; a hop count beyond the cap or a non-list is an error. */
function proxiesOf(value: unknown, header: string, maxHops: number): NormalizedTrust['proxies'] {
  if (typeof value === 'boolean') return value
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > maxHops) {
      return fail(`trustProxy as a hop count must be an integer from 0 to ${maxHops}, got ${show(value)}`)
    }
    if (value > 1 && !LIST_HEADERS.has(header)) {
      return fail(
        `trustProxy: { header: '${header}', proxies: ${value} }: ${header} holds one address, written by the proxy that connects to the app, so only that proxy can be trusted for it: use proxies: 1 or its CIDRs`,
      )
    }
    return value
  }
  if (typeof value === 'string') return value.split(',').map((s) => s.trim())
  if (Array.isArray(value) && value.every((s) => typeof s === 'string')) {
    return (value as readonly string[]).map((s) => s.trim())
  }
  return fail(
    `trustProxy proxies must be true, false, a hop count, or a list of CIDRs (with loopback, linklocal, uniquelocal), got ${show(value)}`,
  )
}

/**
 * Reduces every form of `trustProxy` to `{ header, proxies }`. Throws ERR_BULWARK_OPTIONS, saying what is accepted,
 * for anything else. Range entries are checked by the resolver, which parses them.
 */
export function normalizeTrustProxy(trust: unknown, maxHops: number): NormalizedTrust {
  if (trust === undefined || trust === null)
    return { header: 'x-forwarded-for', proxies: false, preset: undefined }
  if (isPreset(trust)) {
    const spec = TRUST_PRESETS[trust]
    return { header: spec.header, proxies: spec.proxies(), preset: trust }
  }
  if (typeof trust !== 'object' || Array.isArray(trust)) {
    return {
      header: 'x-forwarded-for',
      proxies: proxiesOf(trust, 'x-forwarded-for', maxHops),
      preset: undefined,
    }
  }
  const o = trust as Record<string, unknown>
  for (const k of Object.keys(o)) {
    if (k !== 'header' && k !== 'proxies' && k !== 'preset') {
      fail(
        `trustProxy object takes { header, proxies } or { preset, proxies }; unknown key ${show(k)} (did you mean proxies?)`,
      )
    }
  }
  if (o.preset !== undefined) {
    if (!isPreset(o.preset)) {
      return fail(`trustProxy preset must be one of ${PRESET_NAMES.join(', ')}, got ${show(o.preset)}`)
    }
    if (o.header !== undefined) {
      return fail(
        `trustProxy: { preset: '${o.preset}' } sets the header itself; use { header, proxies } for another header`,
      )
    }
    const spec = TRUST_PRESETS[o.preset]
    const proxies = o.proxies === undefined ? spec.proxies() : proxiesOf(o.proxies, spec.header, maxHops)
    return { header: spec.header, proxies, preset: o.preset }
  }
  const header = o.header === undefined ? 'x-forwarded-for' : headerName(o.header)
  if (o.proxies === undefined) {
    return fail(
      `trustProxy: { header: '${header}' } needs proxies: a hop count, true, or the CIDRs of the proxies that set it`,
    )
  }
  return { header, proxies: proxiesOf(o.proxies, header, maxHops), preset: undefined }
}

/** The error for a list entry that is no range: names the presets when one was put in a list. */
export function badRangeEntry(entry: string): never {
  if (isPreset(entry)) {
    return fail(
      `trustProxy entry "${entry}" is a preset: pass it alone (trustProxy: '${entry}'), not in a list`,
    )
  }
  return fail(
    `trustProxy entry "${entry.slice(0, 80)}" is not an IP address, a CIDR or one of loopback, linklocal, uniquelocal`,
  )
}
