import type { StoreMessage } from '@bulwark/core'

/** A change message as published on `<prefix>events`. */
export function encodeMessage(message: StoreMessage): string {
  return JSON.stringify(message)
}

/** The JSON of a `ban` message up to its `expiresAt` value, which the script appends (it may re-anchor the ban). */
export function banMessagePrefix(subject: string): string {
  return `{"type":"ban","subject":${JSON.stringify(subject)},"expiresAt":`
}

/** Parse a message from the channel; anything malformed (another publisher, a newer version) is null. */
export function decodeMessage(raw: string): StoreMessage | null {
  let m: unknown
  try {
    m = JSON.parse(raw)
  } catch {
    return null
  }
  if (typeof m !== 'object' || m === null) return null
  const o = m as Record<string, unknown>
  if (o.type === 'unban' && typeof o.subject === 'string') return { type: 'unban', subject: o.subject }
  if (o.type === 'ban' && typeof o.subject === 'string' && typeof o.expiresAt === 'number') {
    return { type: 'ban', subject: o.subject, expiresAt: o.expiresAt }
  }
  if (
    o.type === 'whitelist' &&
    (o.action === 'add' || o.action === 'remove') &&
    typeof o.entry === 'string'
  ) {
    return { type: 'whitelist', action: o.action, entry: o.entry }
  }
  return null
}
