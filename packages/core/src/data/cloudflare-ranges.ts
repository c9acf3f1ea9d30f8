// Written by scripts/refresh-cloudflare-ranges.mjs: run it again rather than editing by hand.

/**
 * Cloudflare's published edge address ranges: the only addresses Cloudflare connects to an origin from, so the only
 * peers whose `CF-Connecting-IP` the `trustProxy: 'cloudflare'` preset believes.
 *
 * Source: https://www.cloudflare.com/ips/ (the plain lists https://www.cloudflare.com/ips-v4 and
 * https://www.cloudflare.com/ips-v6; the same data as JSON at https://api.cloudflare.com/client/v4/ips).
 * Cloudflare changes the list rarely and announces it in advance; to trust a newer list without waiting for a
 * release, pass it: `trustProxy: { preset: 'cloudflare', proxies: [...v4, ...v6] }`. A maintainer with internet
 * refreshes this file with `node scripts/refresh-cloudflare-ranges.mjs`.
 *
 * This copy was taken on 2026-12-03 without access to cloudflare.com, from two mirrors of those lists that agree
 * entry for entry: the MISP warning list lists/cloudflare/list.json (github.com/MISP/misp-warninglists) and
 * github.com/rezmoss/cloud-provider-ip-addresses (cloudflare/, updated 2026-02-11). Run the script to confirm it
 * against the source.
 */
export const CLOUDFLARE_IPS: {
  readonly source: string
  /** The day the lists were read (YYYY-MM-DD). */
  readonly retrieved: string
  readonly v4: readonly string[]
  readonly v6: readonly string[]
} = Object.freeze({
  source: 'https://www.cloudflare.com/ips/',
  retrieved: '2026-12-03',
  v4: Object.freeze([
    '173.245.48.0/20',
    '103.21.244.0/22',
    '103.22.200.0/22',
    '103.31.4.0/22',
    '141.101.64.0/18',
    '108.162.192.0/18',
    '190.93.240.0/20',
    '188.114.96.0/20',
    '197.234.240.0/22',
    '198.41.128.0/17',
    '162.158.0.0/15',
    '104.16.0.0/13',
    '104.24.0.0/14',
    '172.64.0.0/13',
    '131.0.72.0/22',
  ]),
  v6: Object.freeze([
    '2400:cb00::/32',
    '2606:4700::/32',
    '2803:f800::/32',
    '2405:b500::/32',
    '2405:8100::/32',
    '2a06:98c0::/29',
    '2c0f:f248::/32',
  ]),
})
