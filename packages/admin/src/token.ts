import { createHash, timingSafeEqual } from 'node:crypto'

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest()

/**
 * Whether `given` is the token, compared in constant time: both are hashed to 32-byte SHA-256 digests first, so
 * `timingSafeEqual` always compares equal lengths and the time taken says nothing about the token's length or
 * where the first difference is.
 */
export function tokenMatches(given: string | undefined, expected: Buffer | string): boolean {
  if (typeof given !== 'string') return false
  const want = typeof expected === 'string' ? digest(expected) : expected
  return timingSafeEqual(digest(given), want)
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (typeof value !== 'string' || value.length > 4096) return undefined
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value)
  return m?.[1]
}

/** The SHA-256 digest of the token, computed once at start. */
export function tokenDigest(token: string): Buffer {
  return digest(token)
}

/** 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false
  const a = address.startsWith('::ffff:') ? address.slice(7) : address
  return a === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)
}
