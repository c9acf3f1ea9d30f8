import { createHmac, randomBytes } from 'node:crypto'

/**
 * The store key of an API key: `key:` + the first 128 bits of HMAC-SHA256(secret, key), base64url. Raw keys are never
 * stored or logged. Engines that share a store must share the secret, or they will not recognise each other's keys.
 */
export function hashApiKey(apiKey: string, secret: string | Uint8Array): string {
  return `key:${createHmac('sha256', secret).update(apiKey).digest('base64url').slice(0, 22)}`
}

/** A random secret for a single-process engine. */
export function randomKeySecret(): string {
  return randomBytes(32).toString('base64url')
}
