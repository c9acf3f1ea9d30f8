import type { HitOp, HitResult } from '@bulwark/core'

interface Pending {
  op: HitOp
  resolve: (result: HitResult) => void
  reject: (err: unknown) => void
}

export interface HitBatcherOptions {
  /** Most ops in one script call. */
  maxBatch: number
  /** Most ops waiting for or in a call; past it `push` fails at once (the engine then falls back or fails closed). */
  maxQueue: number
}

/**
 * Gathers the ops of one event-loop turn (every request whose data arrived together) into one script call, sent when
 * the turn ends, as ioredis' auto-pipelining does for single commands. Calls do not wait for each other: a call
 * leaves every turn that has ops, so no request waits for another's round trip. Each call applies its ops one after
 * another, atomically, so every request gets the answer it would have had from its own call; the call's fixed cost
 * (the script invocation, `TIME`, parsing, one write and one reply) is shared.
 *
 * `send` answers one entry per op: a reply to decode, or an Error for that op alone.
 */
export class HitBatcher {
  private queue: Pending[] = []
  /** Ops in calls not answered yet. */
  private inFlight = 0
  private scheduled = false

  constructor(
    private readonly send: (ops: readonly HitOp[]) => Promise<unknown[]>,
    private readonly decode: (reply: unknown, op: HitOp) => HitResult,
    private readonly fail: (err: unknown) => unknown,
    private readonly options: HitBatcherOptions,
  ) {}

  /** Ops waiting for a call or in one not answered yet. */
  get pending(): number {
    return this.queue.length + this.inFlight
  }

  push(op: HitOp): Promise<HitResult> {
    if (this.pending >= this.options.maxQueue) {
      return Promise.reject(this.fail(new Error(`${this.pending} hits are already waiting for Redis`)))
    }
    return new Promise<HitResult>((resolve, reject) => {
      this.queue.push({ op, resolve, reject })
      if (!this.scheduled) {
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
      this.inFlight += batch.length
      this.send(batch.map((p) => p.op)).then(
        (replies) => {
          this.inFlight -= batch.length
          for (let i = 0; i < batch.length; i++) this.answer(batch[i] as Pending, replies[i])
        },
        (err: unknown) => {
          this.inFlight -= batch.length
          const e = this.fail(err)
          for (const p of batch) p.reject(e)
        },
      )
    }
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
