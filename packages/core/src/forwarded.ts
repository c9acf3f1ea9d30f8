/**
 * Reading address lists from the right, the end the proxies we trust wrote: `X-Forwarded-For` and the RFC 7239
 * `Forwarded` header. Each call returns one entry and where the next one (to its left) ends, so a walk reads only as
 * many entries as it trusts hops, whatever the header's length. Never throws.
 */

/** One entry read from the right of a list header. */
export interface Hop {
  /** The address text of the entry (still to be parsed), or null when the entry names no address. */
  text: string | null
  /** Where the entry before this one ends (exclusive); 0 or less when this was the left-most entry. */
  next: number
}

/** The entry of `X-Forwarded-For` that ends at `end`: comma-separated, each trimmed. */
export function xffHop(value: string, end: number): Hop {
  const comma = value.lastIndexOf(',', end - 1)
  return { text: value.slice(comma + 1, end).trim(), next: comma }
}

/**
 * The `for=` node of the RFC 7239 `Forwarded` element that ends at `end`.
 *
 * `Forwarded: for=192.0.2.60;proto=http;by=203.0.113.43, for="[2001:db8:cafe::17]:4711"` — elements are separated
 * by commas, pairs by semicolons, parameter names are case-insensitive and values are tokens or quoted strings
 * (RFC 7239 section 4). Elements are found from the right, skipping commas inside quoted strings, so a client's
 * unbalanced quote on the left cannot change how the elements our proxies appended on the right are read.
 *
 * `text` is null when the element has no address to believe: no `for=`, a repeated one (section 4 forbids it), the
 * identifiers `unknown` and obfuscated `_hidden` (section 6.2, 6.3), or an unterminated quoted string. The walk stops
 * there, as at garbage in `X-Forwarded-For`.
 */
export function forwardedHop(value: string, end: number): Hop {
  let quoted = false
  let i = end - 1
  for (; i >= 0; i--) {
    const c = value.charCodeAt(i)
    if (c === 0x22 /* " */ && !escaped(value, i)) quoted = !quoted
    else if (c === 0x2c /* , */ && !quoted) break
  }
  return { text: forOf(value.slice(i + 1, end)), next: i }
}

/** True when the quote at `i` is preceded by an odd number of backslashes (a quoted-pair). */
function escaped(value: string, i: number): boolean {
  let n = 0
  while (i - n - 1 >= 0 && value.charCodeAt(i - n - 1) === 0x5c /* \ */) n++
  return n % 2 === 1
}

/** The node of the `for` parameter of one element, unquoted; null when there is none to believe. */
function forOf(element: string): string | null {
  let found: string | null = null
  let seen = false
  let start = 0
  while (start <= element.length) {
    const stop = pairEnd(element, start)
    const pair = element.slice(start, stop)
    const eq = pair.indexOf('=')
    if (eq > 0 && pair.slice(0, eq).trim().toLowerCase() === 'for') {
      if (seen) return null
      seen = true
      found = unquote(pair.slice(eq + 1).trim())
    }
    start = stop + 1
  }
  if (found === null || found.length === 0) return null
  const lower = found.toLowerCase()
  if (lower === 'unknown' || found.startsWith('_')) return null
  return found
}

/** Where the pair starting at `start` ends: the next semicolon outside a quoted string, or the end. */
function pairEnd(element: string, start: number): number {
  let quoted = false
  for (let i = start; i < element.length; i++) {
    const c = element.charCodeAt(i)
    if (c === 0x5c /* \ */ && quoted) i++
    else if (c === 0x22) quoted = !quoted
    else if (c === 0x3b /* ; */ && !quoted) return i
  }
  return element.length
}

/** A token as is; a quoted string without its quotes and quoted-pairs; null for an unterminated quote. */
function unquote(text: string): string | null {
  if (!text.startsWith('"')) return text.includes('"') ? null : text
  if (text.length < 2 || !text.endsWith('"') || escaped(text, text.length - 1)) return null
  return text.slice(1, -1).replace(/\\(.)/g, '$1')
}
