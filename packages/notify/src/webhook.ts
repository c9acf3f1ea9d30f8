import type { BlockEvent, UnblockEvent } from '@bulwark/core'
import { NotifyError } from './errors.js'
import { parseChannelUrl, postJson } from './http.js'
import { checkDeliveryOverrides } from './options.js'
import { secretKey, signWebhook } from './signature.js'
import type { Channel, DeliveryOverrides, Digest, Notification } from './types.js'

export interface WebhookOptions {
  /** The signing secret: `whsec_<base64>` (Standard Webhooks form) or any string of at least 16 bytes. */
  secret: string
  /** Name in `stats()` and errors. Default `webhook`. */
  name?: string
  /** Extra request headers, e.g. an authorization header your receiver expects. */
  headers?: Record<string, string>
  delivery?: DeliveryOverrides
}

/** The JSON body of a generic webhook, in the Standard Webhooks `{ type, timestamp, data }` shape. */
export type WebhookPayload =
  | { type: 'bulwark.block'; timestamp: string; data: BlockEvent }
  | { type: 'bulwark.unblock'; timestamp: string; data: UnblockEvent }
  | { type: 'bulwark.digest'; timestamp: string; data: Digest }

export function toWebhookPayload(notification: Notification): WebhookPayload {
  switch (notification.kind) {
    case 'block':
      return { type: 'bulwark.block', timestamp: iso(notification.event.at), data: notification.event }
    case 'unblock':
      return { type: 'bulwark.unblock', timestamp: iso(notification.event.at), data: notification.event }
    case 'digest':
      return { type: 'bulwark.digest', timestamp: iso(notification.digest.at), data: notification.digest }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

const RESERVED = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'])

/**
 * A generic JSON webhook signed per the Standard Webhooks spec: `webhook-id` (the notification id, the same on
 * every retry), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature: v1,<base64>`.
 * Receivers check it with `verifyWebhook()`.
 */
export function webhook(url: string | URL | undefined, options: WebhookOptions): Channel {
  const target = parseChannelUrl('webhook', url)
  if (!options || typeof options !== 'object') {
    throw new NotifyError(
      'ERR_BULWARK_NOTIFY_OPTIONS',
      'webhook(url, { secret }): the signing secret is missing',
    )
  }
  const key = secretKey(options.secret)
  if (typeof key === 'string')
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', `webhook(url, { secret }): ${key}`)
  const extra = Object.fromEntries(
    Object.entries(options.headers ?? {}).filter(([k]) => !RESERVED.has(k.toLowerCase())),
  )
  const name = options.name ?? 'webhook'
  const delivery = checkDeliveryOverrides('webhook(options).delivery', options.delivery)
  const { secret } = options
  return {
    name,
    ...(delivery ? { delivery } : {}),
    send(notification, { signal }) {
      const body = JSON.stringify(toWebhookPayload(notification))
      const timestamp = Math.floor(Date.now() / 1000)
      const signature = signWebhook({ id: notification.id, timestamp, body, secret })
      return postJson({
        channel: name,
        url: target,
        body,
        signal,
        headers: {
          ...extra,
          'webhook-id': notification.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signature,
        },
      })
    },
  }
}
