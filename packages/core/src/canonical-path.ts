/**
 * The path a router matches, from the request target a client sent, so that a limit on `/api/tasks` also counts
 * the other spellings of that URL (`/API/tasks`, `http://x/api/tasks`, `/api/%74asks`, `/api/tasks/` …).
 *
 * The rule behind every choice below: a spelling the canonical form merges with another only ever makes a limit
 * count a request the router *might* also route to the limited handler (over-counting a 404 at worst); a spelling it
 * keeps apart when a router does route it to the handler lets that request escape the limit. So where routers
 * differ, or where an option the engine cannot see (fastify's `ignoreDuplicateSlashes`, a proxy in front) may change
 * what is routed, the canonical form merges.
 *
 * Observed with a `GET /api/tasks` route and raw HTTP/1.1 request targets (express 5.3, fastify 5.12, koa 3.3 with
 * @koa/router 15; see `@bulwark/testkit`'s `SPELLINGS`): all three route absolute-form targets (`http://x/api/tasks`)
 * and HEAD; express and koa route `/API/tasks` and `/api/tasks/`; fastify decodes `/api/%74asks`; none resolves
 * `.`/`..` segments or `//` by default, fastify merges `//` with `ignoreDuplicateSlashes`.
 *
 * Not merged: backslashes (`/api\tasks`) are kept as they are: Node's parser passes them through literally and no
 * router tested treats `\` as `/` (browsers rewrite `\` to `/` before sending, so a request that still has one was
 * sent as such and is routed as such). Encoded reserved characters (`%2F`, `%3F`, `%25` …) stay encoded (in one
 * spelling of their hex): no router tested decodes `%2F` into a separator, and decoding `%25` would double-decode.
 */
import type { Routing } from './types.js'

export type { Routing } from './types.js'

/**
 * express (4 and 5) by default: case-insensitive (`case sensitive routing` off), a trailing slash ignored (`strict
 * routing` off). Repeated slashes are not a routing option here: `canonicalPath` always merges them.
 */
export const EXPRESS_ROUTING: Routing = Object.freeze({ caseSensitive: false, ignoreTrailingSlash: true })

/** koa with @koa/router's defaults (`sensitive: false`, `strict: false`): as express. */
export const KOA_ROUTING: Routing = Object.freeze({ caseSensitive: false, ignoreTrailingSlash: true })

/**
 * fastify 5 by default: case-sensitive, `/a/` a different route from `/a` (`ignoreTrailingSlash: false`). Its
 * `ignoreDuplicateSlashes` needs no flag: `canonicalPath` merges repeated slashes for every router.
 */
export const FASTIFY_ROUTING: Routing = Object.freeze({ caseSensitive: true, ignoreTrailingSlash: false })

/**
 * At most this much of a target is read: Node's default limit for the whole request head (`maxHeaderSize`, 16 KiB),
 * so every target a default server accepts is read whole and no padding (`/api` + 10 000 slashes + `tasks`) pushes
 * the routed part out of view. Beyond it the rest is ignored.
 */
export const MAX_TARGET_LENGTH = 16 * 1024

/**
 * A canonical path is at most this long. A longer one is cut after its last whole segment that fits, so a prefix
 * limit still matches it and the result is canonical too (canonicalising it again changes nothing).
 */
export const MAX_PATH_LENGTH = 4096

/** `scheme://authority` at the start of an absolute-form target (RFC 9112 §3.2.2); the authority ends at `/`. */
const ABSOLUTE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/

/** Anything that may make an already-`/`-rooted path non-canonical, for a case-sensitive router. */
const NEEDS_WORK_CS = /[%?#]|\/[/.]/
/** As above, plus characters `toLowerCase` changes (ASCII capitals; anything non-ASCII, checked the slow way). */
const NEEDS_WORK_CI = /[%?#A-Z\u0080-\uffff]|\/[/.]/

const MAX_METHOD_LENGTH = 64
const SLASH = 47
const PERCENT = 37

/** The value of a hex digit's code unit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 65 && c <= 70) return c - 55
  if (c >= 97 && c <= 102) return c - 87
  return -1
}

/** RFC 3986 unreserved: `A-Z a-z 0-9 - . _ ~`. */
function isUnreserved(c: number): boolean {
  return (
    (c >= 65 && c <= 90) ||
    (c >= 97 && c <= 122) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 126
  )
}

/** `0-9A-F` for 0–15 */
function hexDigit(v: number): number {
  return v < 10 ? 48 + v : 55 + v
}

/**
 * Decode `%XX` where XX is an unreserved character; upper-case the hex of every other valid `%XX`; keep a malformed
 * `%` as it is. One left-to-right pass with the output as a stack: when a decoded character completes a new `%XX`
 * with what precedes it (`%%34%31` → `%41` → `A`), that is decoded too, so the result has nothing left to decode and a
 * second call changes nothing. Each decode shrinks the output by two, so the work is linear.
 */
function decodeUnreserved(p: string): string {
  const out = new Uint16Array(p.length)
  let n = 0
  for (let i = 0; i < p.length; i++) {
    out[n++] = p.charCodeAt(i)
    // The newest three code units may now be a `%XX`; a decode may complete another one below it.
    while (n >= 3 && out[n - 3] === PERCENT) {
      const hi = hexValue(out[n - 2] as number)
      const lo = hexValue(out[n - 1] as number)
      if (hi < 0 || lo < 0) break
      const value = hi * 16 + lo
      if (isUnreserved(value)) {
        n -= 3
        out[n++] = value
      } else {
        out[n - 2] = hexDigit(hi)
        out[n - 1] = hexDigit(lo)
        break
      }
    }
  }
  let s = ''
  for (let i = 0; i < n; i += 4096) {
    s += String.fromCharCode.apply(null, out.subarray(i, Math.min(n, i + 4096)) as unknown as number[])
  }
  return s
}

/**
 * Resolve `.` and `..` segments as RFC 3986 §5.2.4 does (never above the root; a final `.`/`..` leaves a trailing
 * slash), then merge repeated slashes. `p` starts with `/`. The result has no dot segment and no empty segment but a
 * trailing one.
 */
function resolveSegments(p: string): string {
  const segments = p.split('/')
  const kept: string[] = []
  let trailing = false
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i] as string
    if (s === '.' || s === '..') {
      if (s === '..') kept.pop()
      trailing = true
    } else {
      kept.push(s)
      trailing = s === ''
    }
  }
  let out = ''
  for (const s of kept) if (s !== '') out += `/${s}`
  if (out === '') return '/'
  return trailing ? `${out}/` : out
}

/**
 * The path a router would match for this request target (`req.url`, or any string an app passes as the path):
 * what a limit's `match` is tested against. Never throws; reads at most `MAX_TARGET_LENGTH` characters and returns at
 * most `MAX_PATH_LENGTH`. `canonicalPath(canonicalPath(t, r), r) === canonicalPath(t, r)`.
 *
 * In order: the fragment (`#…`) and the query (`?…`) are dropped; an absolute-form target (`http://host:port/p`, any
 * `scheme://authority`) is reduced to its path (`/` when it has none); a path without a leading `/` gets one;
 * percent-encoded unreserved characters (`A-Z a-z 0-9 - . _ ~`) are decoded and the hex of every other `%XX` is
 * upper-cased (`%2f` and `%2F` are one spelling; malformed `%` sequences are kept); `.` and `..` segments are resolved
 * (RFC 3986 §5.2.4, encoded dots too); repeated slashes are merged; a trailing slash is dropped (not from `/`) when
 * the router ignores it; the path is lower-cased when the router is case-insensitive.
 *
 * Repeated slashes are merged whatever the router: default express, koa and fastify 404 `//api//tasks`, but fastify
 * with `ignoreDuplicateSlashes` (which the engine is not told about) and proxies that merge slashes (nginx's
 * `merge_slashes`, on by default) hand it to the `/api/tasks` handler. Merging only ever makes a limit count a
 * request the router might also route; not merging would let that request escape the limit.
 */
export function canonicalPath(target: string, routing: Routing): string {
  if (typeof target !== 'string') return '/'
  // Without a usable `routing` (a JavaScript caller), merge as the broadest router would.
  const caseSensitive = routing?.caseSensitive === true
  const ignoreTrailingSlash = routing?.ignoreTrailingSlash !== false
  // Fast path: a rooted path with nothing to change is returned as it is.
  const n = target.length
  if (
    n > 0 &&
    n <= MAX_PATH_LENGTH &&
    target.charCodeAt(0) === SLASH &&
    !(ignoreTrailingSlash && n > 1 && target.charCodeAt(n - 1) === SLASH) &&
    !(caseSensitive ? NEEDS_WORK_CS : NEEDS_WORK_CI).test(target)
  ) {
    return target
  }
  return slowPath(target, caseSensitive, ignoreTrailingSlash)
}

function slowPath(target: string, caseSensitive: boolean, ignoreTrailingSlash: boolean): string {
  let p = target.length > MAX_TARGET_LENGTH ? target.slice(0, MAX_TARGET_LENGTH) : target
  const hash = p.indexOf('#')
  if (hash !== -1) p = p.slice(0, hash)
  const query = p.indexOf('?')
  if (query !== -1) p = p.slice(0, query)
  if (p.charCodeAt(0) !== SLASH) {
    const absolute = ABSOLUTE.exec(p)
    if (absolute !== null) p = p.slice(absolute[0].length)
    if (p.charCodeAt(0) !== SLASH) p = `/${p}`
  }
  if (p.includes('%')) p = decodeUnreserved(p)
  if (p.includes('//') || p.includes('/.')) p = resolveSegments(p)
  if (ignoreTrailingSlash && p.length > 1 && p.charCodeAt(p.length - 1) === SLASH) p = p.slice(0, -1)
  if (!caseSensitive) p = p.toLowerCase()
  if (p.length > MAX_PATH_LENGTH) {
    // Cut after the last whole segment that fits: no half `%XX`, no half dot segment, no trailing slash.
    const cut = p.lastIndexOf('/', MAX_PATH_LENGTH)
    p = cut <= 0 ? '/' : p.slice(0, cut)
  }
  return p
}

/**
 * The method a limit should see: upper-cased, and HEAD as GET, because express, fastify and koa (with @koa/router)
 * all run a GET route's handler for HEAD. Never throws; a method that is not a string counts as GET.
 */
export function canonicalMethod(method: string): string {
  if (typeof method !== 'string') return 'GET'
  switch (method) {
    case 'GET':
    case 'POST':
    case 'PUT':
    case 'PATCH':
    case 'DELETE':
    case 'OPTIONS':
      return method
    case 'HEAD':
      return 'GET'
  }
  // Bounded: no real method is longer than a few letters, and upper-casing may lengthen (`ß` → `SS`).
  let m = (method.length > MAX_METHOD_LENGTH ? method.slice(0, MAX_METHOD_LENGTH) : method).toUpperCase()
  if (m.length > MAX_METHOD_LENGTH) m = m.slice(0, MAX_METHOD_LENGTH)
  return m === 'HEAD' ? 'GET' : m
}
