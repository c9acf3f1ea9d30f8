import { BulwarkError } from './errors.js'
import type { MemoryStore } from './memory-store.js'
import type { HitOp, HitResult, MaybePromise, Store } from './store.js'

export interface StoreGuardOptions {
  timeoutMs: number
  failureThreshold: number
  cooldownMs: number
  clock: () => number
  /** Called once per change of health. */
  onChange: (state: 'degraded' | 'recovered', error?: unknown) => void
}

export type GuardedHit =
  | { result: HitResult; source: 'primary' | 'fallback' }
  | { result: null; error: unknown }

/**
 * Puts a deadline on every call to a shared store and a circuit breaker around it. After `failureThreshold`
 * consecutive failures (errors or missed deadlines) the store is degraded: calls go to the local fallback store for
 * `cooldownMs`, then one call probes the primary again; success recovers it. `onChange` fires once per change.
 */
export class StoreGuard {
  private failures = 0
  private degradedUntil = 0
  private degraded = false
  private probing = false

  constructor(
    readonly primary: Store,
    private readonly fallback: MemoryStore | null,
    private readonly options: StoreGuardOptions,
  ) {}

  get isDegraded(): boolean {
    return this.degraded
  }

  hit(op: HitOp): MaybePromise<GuardedHit> {
    if (this.degraded) {
      const now = this.options.clock()
      if (this.probing || now < this.degradedUntil) return this.fromFallback(op, null)
      this.probing = true
    }
    let pending: MaybePromise<HitResult>
    try {
      pending = this.primary.hit(op)
    } catch (error) {
      this.failed(error)
      return this.fromFallback(op, error)
    }
    if (!(pending instanceof Promise)) {
      this.succeeded()
      return { result: pending, source: 'primary' }
    }
    return this.withDeadline(pending, `store.hit`).then(
      (result): GuardedHit => {
        this.succeeded()
        return { result, source: 'primary' }
      },
      (error: unknown) => {
        this.failed(error)
        return this.fromFallback(op, error)
      },
    )
  }

  /** Run a management call with the deadline (no fallback: an operator should see the failure). */
  async call<T>(name: string, fn: (store: Store) => MaybePromise<T>): Promise<T> {
    try {
      const value = fn(this.primary)
      return value instanceof Promise ? await this.withDeadline(value, name) : value
    } catch (error) {
      if (error instanceof BulwarkError) throw error
      throw new BulwarkError('ERR_BULWARK_STORE', `The ${this.primary.name} store failed during ${name}`, {
        cause: error,
      })
    }
  }

  private withDeadline<T>(pending: Promise<T>, name: string): Promise<T> {
    const ms = this.options.timeoutMs
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new BulwarkError(
            'ERR_BULWARK_STORE_TIMEOUT',
            `The ${this.primary.name} store did not answer ${name} in ${ms} ms`,
          ),
        )
      }, ms)
      timer.unref?.()
      pending.then(
        (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        (e: unknown) => {
          clearTimeout(timer)
          reject(e)
        },
      )
    })
  }

  private fromFallback(op: HitOp, error: unknown): GuardedHit {
    if (this.fallback === null) return { result: null, error }
    return { result: this.fallback.hit(op), source: 'fallback' }
  }

  private succeeded(): void {
    this.failures = 0
    this.probing = false
    if (this.degraded) {
      this.degraded = false
      this.options.onChange('recovered')
    }
  }

  private failed(error: unknown): void {
    this.probing = false
    this.failures++
    if (this.degraded) {
      this.degradedUntil = this.options.clock() + this.options.cooldownMs
      return
    }
    if (this.failures >= this.options.failureThreshold) {
      this.degraded = true
      this.degradedUntil = this.options.clock() + this.options.cooldownMs
      this.options.onChange('degraded', error)
    }
  }
}
