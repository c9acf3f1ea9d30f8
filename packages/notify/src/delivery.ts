import { backoffDelay } from './backoff.js'
import { bareMessage, DeliveryError, type DeliveryErrorCode, NotifyError } from './errors.js'
import { type BoundedQueue, createBoundedQueue } from './queue.js'
import { clamp, oneLine } from './text.js'
import type { ChannelFunction, ChannelStats, DeliveryOptions, Notification } from './types.js'

export interface LaneHooks {
  emitError(error: NotifyError): void
  random(): number
}

type Timer = ReturnType<typeof setTimeout>

/**
 * One channel's delivery: a bounded queue and a single worker that sends one notification at a time,
 * with a timeout per attempt and retries. Owns its timers; none of them keeps the process alive
 * except while `close()` is waiting for it (`hold`).
 */
export class Lane {
  readonly name: string
  private readonly send: ChannelFunction
  private readonly options: DeliveryOptions
  private readonly hooks: LaneHooks
  private readonly queue: BoundedQueue<Notification>
  private readonly counters = { sent: 0, failed: 0, retried: 0, dropped: 0 }
  private disabled = false
  private stopped = false
  private running = false
  private inFlight = false
  private overflowing = false
  private holdUntil: number | undefined
  private pending: NodeJS.Immediate | undefined
  private attempt: { controller: AbortController; timer: Timer } | undefined
  private sleeping: { timer: Timer; end: number; wake: (slept: boolean) => void } | undefined
  private idleWaiters: Array<() => void> = []

  constructor(name: string, send: ChannelFunction, options: DeliveryOptions, hooks: LaneHooks) {
    this.name = name
    this.send = send
    this.options = options
    this.hooks = hooks
    this.queue = createBoundedQueue<Notification>(options.queueSize)
  }

  /** Queues a notification; never blocks, never throws. A full queue drops its oldest entry. */
  push(notification: Notification): void {
    if (this.disabled || this.stopped) {
      this.counters.dropped++
      return
    }
    if (this.queue.push(notification)) {
      this.counters.dropped++
      if (!this.overflowing) {
        this.overflowing = true
        this.hooks.emitError(
          new DeliveryError(
            'ERR_BULWARK_NOTIFY_QUEUE_FULL',
            `${this.name}: queue full (${this.queue.capacity}); dropping the oldest notifications`,
            { channel: this.name },
          ),
        )
      }
    }
    this.schedule()
  }

  stats(): ChannelStats {
    return {
      ...this.counters,
      queued: this.queue.length,
      inFlight: this.inFlight ? 1 : 0,
      disabled: this.disabled,
    }
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.idleWaiters.push(resolve))
  }

  /**
   * Called by `close()`: timers now keep the process alive until `deadline` (ms since epoch),
   * and a retry that would wait past it gives up at once.
   */
  hold(deadline: number): void {
    this.holdUntil = deadline
    this.attempt?.timer.ref()
    if (this.sleeping) {
      if (this.sleeping.end > deadline) this.sleeping.wake(false)
      else this.sleeping.timer.ref()
    }
  }

  /** Stops for good: aborts the attempt in flight (counted failed), drops the queue. Returns what was cut. */
  stop(reason: string): { dropped: number; failed: number } {
    if (this.stopped) return { dropped: 0, failed: 0 }
    this.stopped = true
    if (this.pending) clearImmediate(this.pending)
    this.pending = undefined
    const dropped = this.queue.clear().length
    this.counters.dropped += dropped
    const failed = this.inFlight ? 1 : 0
    this.counters.failed += failed
    this.inFlight = false
    this.attempt?.controller.abort(
      new DeliveryError('ERR_BULWARK_NOTIFY_CLOSE_TIMEOUT', `${this.name}: ${reason}`, {
        channel: this.name,
      }),
    )
    this.sleeping?.wake(false)
    this.settle()
    return { dropped, failed }
  }

  private isIdle(): boolean {
    return (this.stopped || this.queue.length === 0) && !this.running && this.pending === undefined
  }

  private settle(): void {
    if (!this.isIdle()) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const resolve of waiters) resolve()
  }

  private schedule(): void {
    if (this.running || this.pending || this.stopped) return
    // the next turn of the event loop: nothing of the delivery runs inside the caller (the request)
    this.pending = setImmediate(() => {
      this.pending = undefined
      void this.run()
    })
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      while (!this.stopped && !this.disabled) {
        const next = this.queue.shift()
        if (next === undefined) {
          this.overflowing = false
          break
        }
        this.inFlight = true
        try {
          await this.deliver(next)
        } finally {
          if (!this.stopped) this.inFlight = false
        }
      }
    } catch (error) {
      // deliver() catches everything; this is a last guard against an unhandled rejection
      this.hooks.emitError(
        new DeliveryError('ERR_BULWARK_NOTIFY_CHANNEL', `${this.name}: ${String(error)}`, {
          channel: this.name,
        }),
      )
    } finally {
      this.running = false
      if (!this.stopped && this.queue.length > 0) this.schedule()
      this.settle()
    }
  }

  private async deliver(notification: Notification): Promise<void> {
    const { maxAttempts, maxRetryAfterMs } = this.options
    for (let attempt = 1; ; attempt++) {
      let failure: DeliveryError
      try {
        await this.tryOnce(notification, attempt)
        if (this.stopped) return
        this.counters.sent++
        return
      } catch (error) {
        if (this.stopped) return
        failure = this.classify(error, attempt)
      }
      if (failure.code === 'ERR_BULWARK_NOTIFY_GONE') {
        this.disabled = true
        this.counters.failed++
        this.counters.dropped += this.queue.clear().length
        this.hooks.emitError(this.final(failure, attempt))
        return
      }
      let giveUp: string | undefined
      let wait = 0
      if (!failure.retryable) giveUp = 'not retryable'
      else if (attempt >= maxAttempts) giveUp = `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}`
      else if (failure.retryAfterMs !== undefined && failure.retryAfterMs > maxRetryAfterMs) {
        giveUp = `the receiver asked to wait ${failure.retryAfterMs} ms, more than delivery.maxRetryAfterMs`
      } else {
        wait = failure.retryAfterMs ?? backoffDelay(attempt, this.options.backoff, this.hooks.random)
        if (this.holdUntil !== undefined && Date.now() + wait > this.holdUntil)
          giveUp = 'closing: no time left to retry'
      }
      if (giveUp === undefined) {
        this.counters.retried++
        if (await this.sleep(wait)) continue
        if (this.stopped) return
        giveUp = 'closing: no time left to retry'
      }
      this.counters.failed++
      this.hooks.emitError(this.final(failure, attempt, giveUp))
      return
    }
  }

  /** The error reported for a notification given up: this lane's name, the attempts made, never retryable. */
  private final(failure: DeliveryError, attempts: number, why?: string): DeliveryError {
    const message = why === undefined ? bareMessage(failure) : `${bareMessage(failure)} (${why})`
    return new DeliveryError(failure.code as DeliveryErrorCode, message, {
      channel: this.name,
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.retryAfterMs === undefined ? {} : { retryAfterMs: failure.retryAfterMs }),
      retryable: false,
      attempts,
      ...(failure.cause === undefined ? {} : { cause: failure.cause }),
    })
  }

  /** One attempt, bounded by `timeoutMs` even when the channel ignores its abort signal. */
  private async tryOnce(notification: Notification, attempt: number): Promise<void> {
    const controller = new AbortController()
    let timer: Timer | undefined
    const cut = new Promise<never>((_, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })
      timer = setTimeout(() => {
        controller.abort(
          new DeliveryError(
            'ERR_BULWARK_NOTIFY_TIMEOUT',
            `${this.name}: no answer within ${this.options.timeoutMs} ms`,
            { channel: this.name, retryable: true },
          ),
        )
      }, this.options.timeoutMs)
      if (this.holdUntil === undefined) timer.unref()
    })
    this.attempt = { controller, timer: timer! }
    const sending = Promise.resolve().then(() =>
      this.send(notification, { signal: controller.signal, attempt }),
    )
    // whichever loses the race must not become an unhandled rejection
    sending.catch(() => {})
    cut.catch(() => {})
    try {
      await Promise.race([sending, cut])
    } finally {
      clearTimeout(timer)
      this.attempt = undefined
    }
  }

  private classify(error: unknown, attempt: number): DeliveryError {
    if (error instanceof DeliveryError) return error
    if (error instanceof NotifyError) {
      return new DeliveryError('ERR_BULWARK_NOTIFY_CHANNEL', `${this.name}: ${bareMessage(error)}`, {
        channel: this.name,
        retryable: false,
        attempts: attempt,
        cause: error,
      })
    }
    const text = error instanceof Error ? error.message : String(error)
    return new DeliveryError('ERR_BULWARK_NOTIFY_CHANNEL', `${this.name}: ${clamp(oneLine(text), 300)}`, {
      channel: this.name,
      retryable: true,
      attempts: attempt,
      cause: error,
    })
  }

  /** Resolves true after `ms`, or false when cut short by `hold()` or `stop()`. */
  private sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined
        resolve(true)
      }, ms)
      if (this.holdUntil === undefined) timer.unref()
      this.sleeping = {
        timer,
        end: Date.now() + ms,
        wake: (slept) => {
          clearTimeout(timer)
          this.sleeping = undefined
          resolve(slept)
        },
      }
    })
  }
}
