import { z } from 'zod'
import { NotifyError } from './errors.js'
import type { Channel, ChannelFunction, DeliveryOptions, DeliveryOverrides } from './types.js'

/**
 * An engine event a notifier can notify: `'ban'` (a ban was created) or `'unban'` (one was lifted). `'block'` and
 * `'unblock'` are deprecated synonyms of them, accepted for one release.
 */
export type NotifyEventName = 'ban' | 'unban' | 'block' | 'unblock'

/** The deprecated event names and the names they stand for. */
const SYNONYMS = { ban: 'ban', unban: 'unban', block: 'ban', unblock: 'unban' } as const

/** `'ban'` or `'unban'` for any accepted name (`'block'` and `'unblock'` are deprecated synonyms). */
export function canonicalEvent(name: NotifyEventName): 'ban' | 'unban' {
  return SYNONYMS[name]
}

export interface DedupeOptions {
  /** The same subject and rule within this window is notified once. Default 300000 (5 minutes). */
  windowMs: number
  /** Keys remembered at most; the oldest are forgotten first. Default 10000. */
  maxKeys: number
}

export interface RateOptions {
  /** Individual notifications allowed per interval; the rest are folded into a digest. Default 10. */
  limit: number
  /** The sliding interval, and how long a digest collects before it is sent. Default 60000 (1 minute). */
  intervalMs: number
  /** Targets listed by name in a digest. Default 20. */
  sample: number
}

export interface NotifierOptions {
  /** Where notifications go. A plain function is a custom channel. */
  channels: ReadonlyArray<Channel | ChannelFunction>
  /**
   * Which engine events to notify. Default `['ban']`; add `'unban'` to hear about lifted bans. (`'block'` and
   * `'unblock'` are deprecated synonyms.)
   */
  events?: ReadonlyArray<NotifyEventName>
  /** Notify bans made by rules in monitor mode (labelled "monitor"). Default true. */
  monitor?: boolean
  /** Suppress repeats of the same subject and rule. `false` turns it off. */
  dedupe?: false | Partial<DedupeOptions>
  /** Fold events past a rate into digests. `false` turns it off. */
  rate?: false | Partial<RateOptions>
  /** Queue, timeout and retry settings for every channel (a channel may override them). */
  delivery?: DeliveryOverrides
  /** How long `close()` waits for queued notifications before dropping them. Default 5000. */
  closeTimeoutMs?: number
  /** Source of jitter, in [0, 1). Default `Math.random`. For tests. */
  random?: () => number
}

export interface ResolvedOptions {
  events: ReadonlySet<'ban' | 'unban'>
  monitor: boolean
  dedupe: DedupeOptions | false
  rate: RateOptions | false
  delivery: DeliveryOptions
  closeTimeoutMs: number
  random: () => number
}

/** Every default of the package, in one place. */
export const DEFAULTS = Object.freeze({
  events: Object.freeze(['ban'] as const),
  monitor: true,
  dedupe: Object.freeze({ windowMs: 300_000, maxKeys: 10_000 }),
  rate: Object.freeze({ limit: 10, intervalMs: 60_000, sample: 20 }),
  delivery: Object.freeze({
    queueSize: 100,
    timeoutMs: 5_000,
    maxAttempts: 4,
    backoff: Object.freeze({ baseMs: 1_000, maxMs: 30_000 }),
    maxRetryAfterMs: 60_000,
  }),
  closeTimeoutMs: 5_000,
}) satisfies Omit<ResolvedOptions, 'random' | 'events'> & { events: readonly NotifyEventName[] }

const ms = z.number().int().positive().max(2_147_483_647)
const count = z.number().int().positive()

const deliverySchema = z
  .object({
    queueSize: count.optional(),
    timeoutMs: ms.optional(),
    maxAttempts: count.max(100).optional(),
    backoff: z.object({ baseMs: ms.optional(), maxMs: ms.optional() }).strict().optional(),
    maxRetryAfterMs: ms.optional(),
  })
  .strict()

const dedupeSchema = z.object({ windowMs: ms.optional(), maxKeys: count.optional() }).strict()
const rateSchema = z
  .object({ limit: count.optional(), intervalMs: ms.optional(), sample: count.optional() })
  .strict()

const optionsSchema = z
  .object({
    channels: z.array(z.unknown()),
    events: z
      .array(z.enum(['ban', 'unban', 'block', 'unblock'], { message: "must be 'ban' or 'unban'" }))
      .optional(),
    monitor: z.boolean().optional(),
    // `false` or an object: checked on their own below, so an error names the field at fault
    dedupe: z.unknown().optional(),
    rate: z.unknown().optional(),
    delivery: deliverySchema.optional(),
    closeTimeoutMs: ms.optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
  })
  .strict()

function fail(where: string, issue: z.core.$ZodIssue): never {
  const path = issue.path.length > 0 ? `${where}.${issue.path.join('.')}` : where
  throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', `${path}: ${issue.message}`)
}

/** Validates channel-level delivery overrides (used by channel factories). */
export function checkDeliveryOverrides(where: string, value: unknown): DeliveryOverrides | undefined {
  if (value === undefined) return undefined
  const parsed = deliverySchema.safeParse(value)
  if (!parsed.success) fail(where, parsed.error.issues[0]!)
  return value as DeliveryOverrides
}

export function mergeDelivery(base: DeliveryOptions, over: DeliveryOverrides | undefined): DeliveryOptions {
  if (!over) return base
  return {
    queueSize: over.queueSize ?? base.queueSize,
    timeoutMs: over.timeoutMs ?? base.timeoutMs,
    maxAttempts: over.maxAttempts ?? base.maxAttempts,
    backoff: {
      baseMs: over.backoff?.baseMs ?? base.backoff.baseMs,
      maxMs: over.backoff?.maxMs ?? base.backoff.maxMs,
    },
    maxRetryAfterMs: over.maxRetryAfterMs ?? base.maxRetryAfterMs,
  }
}

export function resolveOptions(options: NotifierOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', 'createNotifier(options): options must be an object')
  }
  const parsed = optionsSchema.safeParse(options)
  if (!parsed.success) fail('options', parsed.error.issues[0]!)
  for (const [name, schema] of [
    ['dedupe', dedupeSchema],
    ['rate', rateSchema],
  ] as const) {
    const value = options[name]
    if (value === undefined || value === false) continue
    const checked = schema.safeParse(value)
    if (!checked.success) fail(`options.${name}`, checked.error.issues[0]!)
  }
  const o = options
  return {
    events: new Set((o.events ?? DEFAULTS.events).map(canonicalEvent)),
    monitor: o.monitor ?? DEFAULTS.monitor,
    dedupe: o.dedupe === false ? false : { ...DEFAULTS.dedupe, ...defined(o.dedupe) },
    rate: o.rate === false ? false : { ...DEFAULTS.rate, ...defined(o.rate) },
    delivery: mergeDelivery(DEFAULTS.delivery, o.delivery),
    closeTimeoutMs: o.closeTimeoutMs ?? DEFAULTS.closeTimeoutMs,
    random: o.random ?? Math.random,
  }
}

/** Drops keys whose value is undefined, so `{ windowMs: undefined }` keeps the default. */
function defined<T extends object>(value: T | undefined): Partial<T> {
  if (!value) return {}
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
