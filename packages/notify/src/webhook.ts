import type { BanEvent, UnbanEvent } from '@bulwark/core'
import { NotifyError } from './errors.js'
import { parseChannelUrl, postJson } from './http.js'
import { checkDeliveryOverrides } from './options.js'
import { redactUrl } from './redact.js'
import { secretKey, signWebhook } from './signature.js'
import { formatText } from './text.js'
import type { Channel, DeliveryOverrides, Digest, Notification, WarnLogger } from './types.js'

export interface WebhookOptions {
  /**
   * The signing secret: `whsec_<base64>` (Standard Webhooks form) or any string of at least 16 bytes.
   * Required unless `unsigned: true`.
   */
  secret?: string
  /**
   * `true` sends the same JSON without `webhook-*` signature headers, for a receiver that cannot verify
   * them. Anyone who learns the URL can then forge notifications; one warning says so when the channel is
   * made. Cannot be combined with `secret`. Default false: signed.
   */
  unsigned?: boolean
  /** Where the `unsigned: true` warning is written (`warn()` is called once). Default `console`. */
  logger?: WarnLogger
  /** Name in `stats()` and errors. Default `webhook`. */
  name?: string
  /** Extra request headers, e.g. an authorization header your receiver expects. */
  headers?: Record<string, string>
  delivery?: DeliveryOverrides
}

/**
 * The JSON body of a generic webhook, in the Standard Webhooks `{ type, timestamp, data }` shape, plus
 * `text`: the one-line message every channel shows (`formatText()`), e.g.
 * `Security Block activated | IP: 203.0.113.7 | Reason: … | Duration: 3600s`.
 */
export type WebhookPayload =
  | { type: 'bulwark.ban'; timestamp: string; text: string; data: BanEvent }
  | { type: 'bulwark.unban'; timestamp: string; text: string; data: UnbanEvent }
  | { type: 'bulwark.digest'; timestamp: string; text: string; data: Digest }

export function toWebhookPayload(notification: Notification): WebhookPayload {
  const text = formatText(notification)
  switch (notification.kind) {
    case 'ban':
      return { type: 'bulwark.ban', timestamp: iso(notification.event.at), text, data: notification.event }
    case 'unban':
      return {
        type: 'bulwark.unban',
        timestamp: iso(notification.event.at),
        text,
        data: notification.event,
      }
    case 'digest':
      return {
        type: 'bulwark.digest',
        timestamp: iso(notification.digest.at),
        text,
        data: notification.digest,
      }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString()
}

const RESERVED = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature', 'content-type'])

/**
 * A generic JSON webhook signed per the Standard Webhooks spec: `webhook-id` (the notification id, the same on
 * every retry), `webhook-timestamp` (Unix seconds of the attempt) and `webhook-signature: v1,<base64>`.
 * Receivers check it with `verifyWebhook()`. With `unsigned: true` (and no secret) the same JSON is sent with
 * `webhook-id` only, and one warning is written through `logger`.
 */
export function webhook(url: string | URL | undefined, options: WebhookOptions): Channel {
  const target = parseChannelUrl('webhook', url)
  if (!options || typeof options !== 'object') {
    throw new NotifyError(
      'ERR_BULWARK_NOTIFY_OPTIONS',
      'webhook(url, { secret }): the signing secret is missing (or pass { unsigned: true } to send unsigned)',
    )
  }
  if (options.unsigned !== undefined && typeof options.unsigned !== 'boolean') {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', 'webhook(url, { unsigned }): must be true or false')
  }
  const unsigned = options.unsigned === true
  let secret: string | undefined
  if (unsigned) {
    if (options.secret !== undefined) {
      throw new NotifyError(
        'ERR_BULWARK_NOTIFY_OPTIONS',
        'webhook(url, { secret, unsigned }): give a secret to sign, or unsigned: true, not both',
      )
    }
  } else {
    if (options.secret === undefined) {
      throw new NotifyError(
        'ERR_BULWARK_NOTIFY_OPTIONS',
        'webhook(url, { secret }): the signing secret is missing (or pass { unsigned: true } to send unsigned)',
      )
    }
    const key = secretKey(options.secret)
    if (typeof key === 'string')
      throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', `webhook(url, { secret }): ${key}`)
    secret = options.secret
  }
  const log = options.logger ?? console
  if (unsigned && (!log || typeof log.warn !== 'function')) {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', 'webhook(url, { logger }): must have a warn() method')
  }
  const extra = Object.fromEntries(
    Object.entries(options.headers ?? {}).filter(([k]) => !RESERVED.has(k.toLowerCase())),
  )
  const name = options.name ?? 'webhook'
  const delivery = checkDeliveryOverrides('webhook(options).delivery', options.delivery)
  if (unsigned) {
    // once, when the channel is made: the operator sees it at startup, not on every notification
    log.warn(
      `Bulwark notify: webhook "${name}" (${redactUrl(target)}) sends notifications unsigned; anyone who knows the URL can forge them. Set a secret to sign them.`,
    )
  }
  return {
    name,
    ...(delivery ? { delivery } : {}),
    send(notification, { signal }) {
      const body = JSON.stringify(toWebhookPayload(notification))
      const headers: Record<string, string> = { ...extra, 'webhook-id': notification.id }
      if (secret !== undefined) {
        const timestamp = Math.floor(Date.now() / 1000)
        headers['webhook-timestamp'] = String(timestamp)
        headers['webhook-signature'] = signWebhook({ id: notification.id, timestamp, body, secret })
      }
      return postJson({ channel: name, url: target, body, signal, headers })
    },
  }
}
