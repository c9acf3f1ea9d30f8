import { randomUUID } from 'node:crypto'
import type { BanEvent, BlockEvent, UnbanEvent, UnblockEvent } from '@bulwark/core'
import { createDedupe } from './dedupe.js'
import { Lane } from './delivery.js'
import { createDigester } from './digest.js'
import { NotifyError } from './errors.js'
import { checkDeliveryOverrides, mergeDelivery, type NotifierOptions, resolveOptions } from './options.js'
import type { Channel, ChannelFunction, Notification, NotifierStats } from './types.js'

/**
 * What `attach()` needs from an engine: `on`/`off` for `ban` (and `unban`) events.
 * `createBulwark()`'s engine and a plain `EventEmitter` both fit.
 */
export interface NotifySource {
  on(event: 'ban', listener: (event: BanEvent) => void): unknown
  on(event: 'unban', listener: (event: UnbanEvent) => void): unknown
  off(event: 'ban', listener: (event: BanEvent) => void): unknown
  off(event: 'unban', listener: (event: UnbanEvent) => void): unknown
}

/** What `notify()` takes: a `ban` or `unban` event (or, deprecated, the same event under its old `block` name). */
export type NotifyEvent = BanEvent | UnbanEvent | BlockEvent | UnblockEvent

export type NotifierErrorListener = (error: NotifyError) => void

export interface CloseOptions {
  /** Overrides `closeTimeoutMs` for this call. */
  timeoutMs?: number
}

export interface Notifier {
  /** Listens to an engine's events. Returns a function that stops listening. */
  attach(source: NotifySource): () => void
  /**
   * Hands one `ban` or `unban` event to the notifier, as an attached engine does. Returns at once; never throws.
   * An event of the deprecated `block`/`unblock` events is taken as the `ban`/`unban` it stands for.
   */
  notify(event: NotifyEvent): void
  /**
   * Delivery failures, queue overflows and a `close()` cut short arrive here, with webhook URLs redacted.
   * Without a listener they go to `process.emitWarning`. Nothing is ever thrown into the app.
   */
  on(event: 'error', listener: NotifierErrorListener): Notifier
  off(event: 'error', listener: NotifierErrorListener): Notifier
  /** Counters, overall and per channel, for metrics. A snapshot: plain numbers. */
  stats(): NotifierStats
  /**
   * Stops listening, sends the open digest, and waits for every queue to drain, up to the deadline
   * (`closeTimeoutMs`, default 5 s). What is left then is dropped and reported as one error. Never rejects.
   * No timer of the notifier is left behind.
   */
  close(options?: CloseOptions): Promise<void>
  readonly closed: boolean
}

function toChannel(value: Channel | ChannelFunction, index: number): Channel {
  if (typeof value === 'function') return { name: value.name || 'custom', send: value }
  if (
    value &&
    typeof value === 'object' &&
    typeof value.send === 'function' &&
    typeof value.name === 'string'
  ) {
    checkDeliveryOverrides(`options.channels[${index}].delivery`, value.delivery)
    return value
  }
  throw new NotifyError(
    'ERR_BULWARK_NOTIFY_OPTIONS',
    `options.channels[${index}]: must be a function or a channel (slack(), discord(), webhook(), logger())`,
  )
}

function uniqueNames(channels: Channel[]): string[] {
  const seen = new Map<string, number>()
  return channels.map((c) => {
    const n = (seen.get(c.name) ?? 0) + 1
    seen.set(c.name, n)
    return n === 1 ? c.name : `${c.name}#${n}`
  })
}

function isEvent(value: unknown): value is NotifyEvent {
  if (!value || typeof value !== 'object') return false
  const e = value as Partial<BanEvent>
  return typeof e.type === 'string' && typeof e.subject === 'string' && typeof e.target === 'string'
}

/** The event under its current name: a deprecated `block`/`unblock` event becomes the `ban`/`unban` it is. */
function current(event: NotifyEvent): BanEvent | UnbanEvent | undefined {
  switch (event.type) {
    case 'ban':
    case 'unban':
      return event
    case 'block':
      return { ...event, type: 'ban' }
    case 'unblock':
      return { ...event, type: 'unban' }
    default:
      return undefined
  }
}

export function createNotifier(options: NotifierOptions): Notifier {
  const resolved = resolveOptions(options)
  const channels = options.channels.map(toChannel)
  if (channels.length === 0) {
    throw new NotifyError('ERR_BULWARK_NOTIFY_OPTIONS', 'options.channels: give at least one channel')
  }
  const listeners = new Set<NotifierErrorListener>()
  function emitError(error: NotifyError): void {
    if (listeners.size === 0) {
      process.emitWarning(error.message, { type: error.name, code: error.code })
      return
    }
    for (const listener of listeners) {
      try {
        listener(error)
      } catch {
        // a failing error listener must not reach the engine
      }
    }
  }
  const hooks = { emitError, random: resolved.random }
  const names = uniqueNames(channels)
  const lanes = channels.map(
    (c, i) => new Lane(names[i]!, c.send, mergeDelivery(resolved.delivery, c.delivery), hooks),
  )
  const dedupe = resolved.dedupe ? createDedupe(resolved.dedupe) : undefined
  const digester = resolved.rate ? createDigester(resolved.rate) : undefined
  const counters = { received: 0, skipped: 0, deduped: 0, folded: 0, digests: 0 }
  const detachers = new Set<() => void>()
  let digestTimer: ReturnType<typeof setTimeout> | undefined
  let closing: Promise<void> | undefined

  function fanOut(notification: Notification): void {
    for (const lane of lanes) lane.push(notification)
  }

  function flushDigest(): void {
    digestTimer = undefined
    const digest = digester?.take(Date.now())
    if (!digest) return
    counters.digests++
    fanOut({ kind: 'digest', id: `msg_${randomUUID()}`, digest })
  }

  function handle(given: NotifyEvent): void {
    counters.received++
    const event = current(given)
    if (
      closing ||
      event === undefined ||
      !resolved.events.has(event.type) ||
      (event.type === 'ban' && !event.enforced && !resolved.monitor)
    ) {
      counters.skipped++
      return
    }
    const now = Date.now()
    const key =
      event.type === 'ban' ? `ban\u0000${event.subject}\u0000${event.rule}` : `unban\u0000${event.subject}`
    if (dedupe?.repeat(key, now)) {
      counters.deduped++
      return
    }
    if (digester && digester.offer(event, now) === 'folded') {
      counters.folded++
      if (digestTimer === undefined && resolved.rate) {
        digestTimer = setTimeout(flushDigest, resolved.rate.intervalMs)
        digestTimer.unref()
      }
      return
    }
    const id = `msg_${randomUUID()}`
    fanOut(event.type === 'ban' ? { kind: 'ban', id, event } : { kind: 'unban', id, event })
  }

  const notifier: Notifier = {
    attach(source) {
      if (closing) throw new NotifyError('ERR_BULWARK_NOTIFY_CLOSED', 'attach(): the notifier is closed')
      const onBan = (event: BanEvent) => notifier.notify(event)
      const onUnban = (event: UnbanEvent) => notifier.notify(event)
      const wantsUnban = resolved.events.has('unban')
      source.on('ban', onBan)
      if (wantsUnban) source.on('unban', onUnban)
      let attached = true
      const detach = () => {
        if (!attached) return
        attached = false
        detachers.delete(detach)
        source.off('ban', onBan)
        if (wantsUnban) source.off('unban', onUnban)
      }
      detachers.add(detach)
      return detach
    },
    notify(event) {
      try {
        if (!isEvent(event)) {
          counters.received++
          counters.skipped++
          emitError(
            new NotifyError('ERR_BULWARK_NOTIFY_EVENT', 'notify(event): not a Bulwark ban/unban event'),
          )
          return
        }
        handle(event)
      } catch (error) {
        emitError(
          new NotifyError('ERR_BULWARK_NOTIFY_EVENT', `notify(event): ${String(error)}`, { cause: error }),
        )
      }
    },
    on(event, listener) {
      if (event === 'error' && typeof listener === 'function') listeners.add(listener)
      return notifier
    },
    off(event, listener) {
      if (event === 'error') listeners.delete(listener)
      return notifier
    },
    stats() {
      const perChannel: NotifierStats['channels'] = {}
      for (const lane of lanes) perChannel[lane.name] = lane.stats()
      return { ...counters, channels: perChannel }
    },
    close(closeOptions = {}) {
      closing ??= (async () => {
        for (const detach of [...detachers]) {
          try {
            detach()
          } catch {
            // an engine that refuses `off` must not stop the flush
          }
        }
        if (digestTimer !== undefined) clearTimeout(digestTimer)
        flushDigest()
        const asked = closeOptions.timeoutMs
        const timeoutMs =
          typeof asked === 'number' && Number.isFinite(asked) && asked >= 0 ? asked : resolved.closeTimeoutMs
        const deadline = Date.now() + timeoutMs
        for (const lane of lanes) lane.hold(deadline)
        let timer: ReturnType<typeof setTimeout> | undefined
        const expired = new Promise<'expired'>((resolve) => {
          timer = setTimeout(() => resolve('expired'), timeoutMs)
        })
        await Promise.race([Promise.all(lanes.map((l) => l.idle())), expired])
        clearTimeout(timer)
        // idle lanes stop with nothing to cut; the others lose what they still hold
        let dropped = 0
        let failed = 0
        for (const lane of lanes) {
          const cut = lane.stop(`close() deadline of ${timeoutMs} ms reached`)
          dropped += cut.dropped
          failed += cut.failed
        }
        if (dropped + failed > 0) {
          emitError(
            new NotifyError(
              'ERR_BULWARK_NOTIFY_CLOSE_TIMEOUT',
              `close(): deadline of ${timeoutMs} ms reached; ${dropped} queued notification(s) dropped, ${failed} in flight abandoned`,
            ),
          )
        }
      })()
      return closing
    },
    get closed() {
      return closing !== undefined
    },
  }
  return notifier
}
