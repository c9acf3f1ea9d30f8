import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import { WebhookVerificationError } from './errors.js'

/** Shortest accepted secret, in bytes. The Standard Webhooks spec recommends 24 to 64. */
export const MIN_SECRET_BYTES = 16

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/

/**
 * The HMAC key of a secret: `whsec_<base64>` is decoded, any other string is used as its UTF-8 bytes.
 * Returns an explanation instead when the secret is unusable.
 */
export function secretKey(secret: string): Buffer | string {
  if (typeof secret !== 'string' || secret === '') return 'the secret is empty'
  let key: Buffer
  if (secret.startsWith('whsec_')) {
    const b64 = secret.slice('whsec_'.length)
    if (!BASE64.test(b64)) return 'a whsec_ secret must be followed by base64'
    key = Buffer.from(b64, 'base64')
  } else {
    key = Buffer.from(secret, 'utf8')
  }
  if (key.length < MIN_SECRET_BYTES) return `the secret must hold at least ${MIN_SECRET_BYTES} bytes`
  return key
}

/** A new random secret in the Standard Webhooks form, `whsec_` + 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

export interface SignWebhookInput {
  /** The `webhook-id` header: unique per message, the same on retries. */
  id: string
  /** The `webhook-timestamp` header: integer Unix seconds. */
  timestamp: number
  /** The exact body sent. */
  body: string | Uint8Array
  secret: string
}

function hmac(key: Buffer, id: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest()
}

/** The `webhook-signature` header value: `v1,<base64 HMAC-SHA256 of "${id}.${timestamp}.${body}">`. */
export function signWebhook(input: SignWebhookInput): string {
  const key = secretKey(input.secret)
  if (typeof key === 'string') throw new WebhookVerificationError('invalid-secret', `signWebhook: ${key}`)
  return `v1,${hmac(key, input.id, String(input.timestamp), input.body).toString('base64')}`
}

/** Node's `req.headers`, a Fetch `Headers`, or any record of header names (lower-case) to values. */
export type HeadersLike =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>

export interface VerifyWebhookOptions {
  /** The secret, or several during a rotation (any one may match). */
  secret: string | readonly string[]
  headers: HeadersLike
  /** The raw body exactly as received, before any JSON parsing. */
  body: string | Uint8Array
  /** How far `webhook-timestamp` may be from now, in seconds, either way. Default 300. */
  toleranceS?: number
  /** The current time in ms. Default `Date.now()`. */
  now?: number
}

function header(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  const value = (headers as Readonly<Record<string, string | readonly string[] | undefined>>)[name]
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : value.join(' ')
}

/**
 * Verifies a Standard Webhooks delivery and returns its parsed JSON body.
 * Throws `WebhookVerificationError` (code `ERR_BULWARK_NOTIFY_SIGNATURE`, with a `reason`) when a header is
 * missing, the timestamp is outside the tolerance, or no `v1` signature in the header matches.
 * Signatures are compared in constant time.
 */
export function verifyWebhook<T = unknown>(options: VerifyWebhookOptions): T {
  const id = header(options.headers, 'webhook-id')
  const timestamp = header(options.headers, 'webhook-timestamp')
  const signatures = header(options.headers, 'webhook-signature')
  for (const [name, value] of [
    ['webhook-id', id],
    ['webhook-timestamp', timestamp],
    ['webhook-signature', signatures],
  ] as const) {
    if (!value)
      throw new WebhookVerificationError('missing-header', `verifyWebhook: the ${name} header is missing`)
  }
  if (!/^\d{1,12}$/.test(timestamp!)) {
    throw new WebhookVerificationError(
      'invalid-timestamp',
      'verifyWebhook: webhook-timestamp is not Unix seconds',
    )
  }
  const toleranceS = options.toleranceS ?? 300
  const nowS = Math.floor((options.now ?? Date.now()) / 1000)
  const ts = Number(timestamp)
  if (nowS - ts > toleranceS) {
    throw new WebhookVerificationError('timestamp-too-old', 'verifyWebhook: webhook-timestamp is too old')
  }
  if (ts - nowS > toleranceS) {
    throw new WebhookVerificationError(
      'timestamp-too-new',
      'verifyWebhook: webhook-timestamp is in the future',
    )
  }
  const secrets = typeof options.secret === 'string' ? [options.secret] : options.secret
  if (secrets.length === 0)
    throw new WebhookVerificationError('invalid-secret', 'verifyWebhook: no secret given')
  const keys = secrets.map((s) => {
    const key = secretKey(s)
    if (typeof key === 'string') throw new WebhookVerificationError('invalid-secret', `verifyWebhook: ${key}`)
    return key
  })
  const candidates: Buffer[] = []
  for (const entry of signatures!.split(/\s+/)) {
    const comma = entry.indexOf(',')
    if (comma < 0 || entry.slice(0, comma) !== 'v1') continue
    const value = entry.slice(comma + 1)
    if (BASE64.test(value)) candidates.push(Buffer.from(value, 'base64'))
  }
  let matched = false
  for (const key of keys) {
    const expected = hmac(key, id!, timestamp!, options.body)
    for (const candidate of candidates) {
      // timingSafeEqual needs equal lengths; a length mismatch reveals nothing about the key
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true
    }
  }
  if (!matched) {
    throw new WebhookVerificationError('no-matching-signature', 'verifyWebhook: no signature matches')
  }
  const text = typeof options.body === 'string' ? options.body : Buffer.from(options.body).toString('utf8')
  try {
    return JSON.parse(text) as T
  } catch {
    throw new WebhookVerificationError('invalid-body', 'verifyWebhook: the body is not JSON')
  }
}
