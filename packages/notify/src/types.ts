import type { BanEvent, BanRule, UnbanEvent } from '@bulwark/core'

/** A single ban, as delivered to channels. */
export interface BanNotification {
  kind: 'ban'
  /** Unique per notification, the same on every channel and every retry (`webhook-id` of signed webhooks). */
  id: string
  event: BanEvent
}

/** A ban was lifted (only when `events` includes `'unban'`). */
export interface UnbanNotification {
  kind: 'unban'
  id: string
  event: UnbanEvent
}

/** @deprecated Use `BanNotification` (its `kind` is `'ban'`). */
export type BlockNotification = BanNotification

/** @deprecated Use `UnbanNotification` (its `kind` is `'unban'`). */
export type UnblockNotification = UnbanNotification

/** Events past the rate limit, folded into one message. */
export interface Digest {
  /** When the digest was closed (ms since epoch). */
  at: number
  /** When the first folded event arrived (ms since epoch). */
  since: number
  /** The rate interval the digest covers, e.g. 60000 for "in the last minute". */
  intervalMs: number
  /** Bans folded into this digest. */
  banned: number
  /** Of those, bans by rules in monitor mode (not enforced). */
  monitor: number
  /** Lifted bans (unbans) folded into this digest. */
  unbanned: number
  /** The first banned targets (IPs or hashed keys), at most `rate.sample` of them. */
  targets: string[]
  /** True when every folded ban was on an IP (not an API key). */
  allIps: boolean
  /** Bans per rule. */
  rules: Partial<Record<BanRule, number>>
}

export interface DigestNotification {
  kind: 'digest'
  id: string
  digest: Digest
}

export type Notification = BanNotification | UnbanNotification | DigestNotification

/** What a channel gets besides the notification. */
export interface SendContext {
  /** Aborted when the attempt times out or `close()` reaches its deadline. Pass it to `fetch`. */
  signal: AbortSignal
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number
}

/** A custom channel: a plain function. Throw (or reject) to fail the attempt; it is retried with backoff. */
export type ChannelFunction = (notification: Notification, context: SendContext) => void | Promise<void>

/** A channel with a name and, optionally, its own delivery settings. Built-in channels are these. */
export interface Channel {
  /** Shown in `stats()` and in errors. Never contains a URL. */
  readonly name: string
  readonly send: ChannelFunction
  /** Overrides of the notifier's `delivery` options for this channel only. */
  readonly delivery?: DeliveryOverrides
}

/** Anything with `warn(message)`: `console`, a pino or winston logger … */
export interface WarnLogger {
  warn(message: string, ...rest: unknown[]): unknown
}

export interface BackoffOptions {
  /** Delay before the first retry, before jitter. Default 1000. */
  baseMs: number
  /** Upper bound of any backoff delay. Default 30000. */
  maxMs: number
}

export interface DeliveryOptions {
  /** Notifications waiting per channel (not counting the one in flight). When full the oldest is dropped. Default 100. */
  queueSize: number
  /** Deadline of one attempt (connect, send, answer). Default 5000. */
  timeoutMs: number
  /** Attempts per notification, the first included. Default 4 (3 retries). */
  maxAttempts: number
  backoff: BackoffOptions
  /** A 429 asking to wait longer than this fails the notification instead of holding the channel. Default 60000. */
  maxRetryAfterMs: number
}

/** `delivery` as passed in options: every field optional, `backoff` too. */
export type DeliveryOverrides = Partial<Omit<DeliveryOptions, 'backoff'>> & {
  backoff?: Partial<BackoffOptions>
}

export interface ChannelStats {
  /** Delivered (2xx, or the custom function resolved). */
  sent: number
  /** Given up after being attempted: not retryable, out of attempts, channel gone, or cut off by `close()`. */
  failed: number
  /** Attempts after the first (one per retry). */
  retried: number
  /** Never attempted: pushed out of a full queue, queued for a disabled channel, or left at the `close()` deadline. */
  dropped: number
  /** Waiting in the queue now. */
  queued: number
  /** 1 while an attempt or a retry wait is under way. */
  inFlight: number
  /** True after a 410: the channel no longer sends. */
  disabled: boolean
}

export interface NotifierStats {
  /** Events handed to the notifier (by an attached engine or `notify()`). */
  received: number
  /** Events not notified by choice: unbans when not opted in, monitor bans with `monitor: false`, after `close()`. */
  skipped: number
  /** Events suppressed as repeats of the same subject and rule within the dedupe window. */
  deduped: number
  /** Events over the rate, folded into digests. */
  folded: number
  /** Digest notifications produced. */
  digests: number
  channels: Record<string, ChannelStats>
}
