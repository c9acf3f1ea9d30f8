/** Stable error codes. Each names what went wrong; the message says what to change. */
export type NotifyErrorCode =
  /** An option passed to `createNotifier()` or a channel factory is invalid. */
  | 'ERR_BULWARK_NOTIFY_OPTIONS'
  /** An environment variable read by `fromEnv()` is invalid. The message names it. */
  | 'ERR_BULWARK_NOTIFY_ENV'
  /** A receiver answered with a status other than 2xx. */
  | 'ERR_BULWARK_NOTIFY_HTTP'
  /** The request did not get an answer: connection refused, reset, DNS … */
  | 'ERR_BULWARK_NOTIFY_NETWORK'
  /** An attempt took longer than `delivery.timeoutMs`. */
  | 'ERR_BULWARK_NOTIFY_TIMEOUT'
  /** The receiver answered 410 Gone: the channel is disabled until the notifier is recreated. */
  | 'ERR_BULWARK_NOTIFY_GONE'
  /** A custom channel threw or rejected. */
  | 'ERR_BULWARK_NOTIFY_CHANNEL'
  /** A channel's queue overflowed; the oldest notifications are being dropped (reported once per episode). */
  | 'ERR_BULWARK_NOTIFY_QUEUE_FULL'
  /** `close()` reached its deadline with notifications still pending. */
  | 'ERR_BULWARK_NOTIFY_CLOSE_TIMEOUT'
  /** `verifyWebhook()` refused a delivery. */
  | 'ERR_BULWARK_NOTIFY_SIGNATURE'
  /** An event handed to the notifier could not be handled (not a Bulwark event?). It is skipped. */
  | 'ERR_BULWARK_NOTIFY_EVENT'
  /** `attach()` was called after `close()`. */
  | 'ERR_BULWARK_NOTIFY_CLOSED'

const DOCS = 'https://github.com/bulwark-js/bulwark/blob/main/packages/notify/README.md#errors'

export class NotifyError extends Error {
  readonly code: NotifyErrorCode
  constructor(code: NotifyErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${message} (${code}, see ${DOCS})`, options)
    this.name = 'NotifyError'
    this.code = code
  }
}

/** The message without the `(CODE, see …)` suffix the constructor adds. */
export function bareMessage(error: Error): string {
  return error.message.replace(/ \(ERR_BULWARK_[A-Z_]+, see [^)]+\)$/, '')
}

export type DeliveryErrorCode = Extract<
  NotifyErrorCode,
  | 'ERR_BULWARK_NOTIFY_HTTP'
  | 'ERR_BULWARK_NOTIFY_NETWORK'
  | 'ERR_BULWARK_NOTIFY_TIMEOUT'
  | 'ERR_BULWARK_NOTIFY_GONE'
  | 'ERR_BULWARK_NOTIFY_CHANNEL'
  | 'ERR_BULWARK_NOTIFY_QUEUE_FULL'
  | 'ERR_BULWARK_NOTIFY_CLOSE_TIMEOUT'
>

export interface DeliveryErrorDetails {
  /** The channel's name as it appears in `stats()`. */
  channel: string
  /** The HTTP status, when the receiver answered. */
  status?: number
  /** Whether the delivery will be (or would have been) tried again. */
  retryable?: boolean
  /** How long the receiver asked to wait, in ms (429 `Retry-After` / `retry_after`). */
  retryAfterMs?: number
  /** Attempts made so far for this notification. */
  attempts?: number
  cause?: unknown
}

/**
 * A notification could not be delivered. Emitted as an `error` event, never thrown into the app.
 * A custom channel may throw one to steer retries: `retryable: false` stops them, `retryAfterMs` sets the wait.
 * Messages never contain a webhook URL's path or token.
 */
export class DeliveryError extends NotifyError {
  readonly channel: string
  readonly status: number | undefined
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly attempts: number
  constructor(code: DeliveryErrorCode, message: string, details: DeliveryErrorDetails) {
    super(code, message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'DeliveryError'
    this.channel = details.channel
    this.status = details.status
    this.retryable = details.retryable ?? false
    this.retryAfterMs = details.retryAfterMs
    this.attempts = details.attempts ?? 0
  }
}

export type WebhookVerificationReason =
  | 'missing-header'
  | 'invalid-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-too-new'
  | 'no-matching-signature'
  | 'invalid-secret'
  | 'invalid-body'

/** `verifyWebhook()` refused a delivery. Answer 401 (400 for `invalid-body`) and do not process it. */
export class WebhookVerificationError extends NotifyError {
  readonly reason: WebhookVerificationReason
  constructor(reason: WebhookVerificationReason, message: string) {
    super('ERR_BULWARK_NOTIFY_SIGNATURE', message)
    this.name = 'WebhookVerificationError'
    this.reason = reason
  }
}
