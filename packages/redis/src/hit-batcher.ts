import type { HitOp, HitResult } from '@bulwark/core'

interface Pending {
  op: HitOp
  resolve: (result: HitResult) => void
  reject: (err: unknown) => void
}

export interface HitBatcherOptions {
  /** Most ops in one script call. */
  maxBatch: number
  /** Most ops waiting for a call; past it `push` fails at once (the engine then falls back or fails closed). */
  maxQueue: number
}

/**
 * Sends one op per script call, or several when requests arrive faster than Redis answers: ops that arrive while a
 * call is in flight (and those of the same event-loop turn) wait for it and then go together in the next call. Each
 * call still applies its ops one after another, atomically, so every request gets the answer it would have had from
 * its own call; the call's fixed cost (the script invocation, `TIME`, the round trip) is shared.
 *
 * `send` answers one entry per op: a reply to decode, or an Error for that op alone.
 */
export class HitBatcher {
  private queue: Pending[] = []
  private inFlight = 0
  private scheduled = false

  constructor(
    private readonly send: (ops: readonly HitOp[]) => Promise<unknown[]>,
    private readonly decode: (reply: unknown, op: HitOp) => HitResult,
    private readonly fail: (err: unknown) => unknown,
    private readonly options: HitBatcherOptions,
  ) {}

  /** Ops waiting for a call (not counting those in flight). */
  get waiting(): number {
    return this.queue.length
  }

  push(op: HitOp): Promise<HitResult> {
    if (this.queue.length >= this.options.maxQueue) {
      return Promise.reject(this.fail(new Error(`${this.queue.length} hits are already waiting for Redis`)))
    }
    return new Promise<HitResult>((resolve, reject) => {
      this.queue.push({ op, resolve, reject })
      if (this.inFlight === 0 && !this.scheduled) {
        // Gather the ops of this event-loop turn (every request whose data arrived with this one).
        this.scheduled = true
        setImmediate(this.flush)
      }
    })
  }

  /** Send everything waiting now (in calls of at most `maxBatch` ops). */
  readonly flush = (): void => {
    this.scheduled = false
    while (this.queue.length > 0) {
      const batch =
        this.queue.length <= this.options.maxBatch ? this.queue : this.queue.slice(0, this.options.maxBatch)
      this.queue = batch === this.queue ? [] : this.queue.slice(batch.length)
      this.inFlight++
      this.send(batch.map((p) => p.op)).then(
        (replies) => {
          this.settled()
          for (let i = 0; i < batch.length; i++) this.answer(batch[i] as Pending, replies[i])
        },
        (err: unknown) => {
          this.settled()
          const e = this.fail(err)
          for (const p of batch) p.reject(e)
        },
      )
    }
  }

  private settled(): void {
    this.inFlight--
    // Whatever arrived meanwhile goes now, as one call.
    if (this.inFlight === 0 && this.queue.length > 0 && !this.scheduled) this.flush()
  }

  private answer(p: Pending, reply: unknown): void {
    if (reply instanceof Error || reply === undefined) {
      p.reject(this.fail(reply ?? new Error('no reply for this op')))
      return
    }
    try {
      p.resolve(this.decode(reply, p.op))
    } catch (err) {
      p.reject(this.fail(err))
    }
  }
}
