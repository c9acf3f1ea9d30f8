/** The declared body size, `undefined` when none was declared, or `'malformed'` for a value no server should accept. */
export type ContentLength = number | undefined | 'malformed'

const DIGITS = /^\d{1,16}$/

/**
 * Read a Content-Length the way RFC 9110 allows it: one decimal number, or a comma-separated list of identical ones.
 * Anything else (signs, hex, spaces inside, differing duplicates, absurd lengths) is `'malformed'`. Never throws.
 */
export function parseContentLength(value: unknown): ContentLength {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : 'malformed'
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined
    return parseContentLength(value.join(','))
  }
  if (typeof value !== 'string' || value.length > 256) return 'malformed'
  if (DIGITS.test(value)) return Number(value)
  let found: number | undefined
  for (const part of value.split(',')) {
    const text = part.trim()
    if (!DIGITS.test(text)) return 'malformed'
    const n = Number(text)
    if (found !== undefined && n !== found) return 'malformed'
    found = n
  }
  return found
}
