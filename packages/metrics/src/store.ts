import type { HitOp, HitResult, MaybePromise, Store } from '@bulwark/core'

/** Receives one timing of `store.hit()`: seconds, whether it answered or failed, and the store's name. */
export type StoreTimer = (seconds: number, outcome: 'ok' | 'error', store: string) => void

// A registered symbol, so the prom-client and OpenTelemetry entry points (separate bundles in CommonJS) share it.
const TIMERS = Symbol.for('@bulwark/metrics:store-timers')

type Timed = { readonly [TIMERS]?: Set<StoreTimer> }

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  )
}

/**
 * Wraps a store so a collector can time its `hit()` calls: give the result to `createBulwark({ store })` and to the
 * collector's `store` option. Everything else is the store itself: its `name`, `capabilities`, `subscribe` (present
 * only when the store has it), its other methods and `instanceof`. A synchronous `hit()` (the memory store) stays
 * synchronous, and a promise is passed on as it is; with no collector attached, nothing is timed.
 */
export function instrumentStore<S extends Store>(store: S): S {
  if (store === null || typeof store !== 'object' || typeof store.hit !== 'function') {
    throw new TypeError('instrumentStore(store): expected a Bulwark store (an object with a hit() method)')
  }
  if ((store as Timed)[TIMERS] !== undefined) return store
  const timers = new Set<StoreTimer>()
  const bound = new WeakMap<object, unknown>()
  const record = (start: number, outcome: 'ok' | 'error') => {
    const seconds = (performance.now() - start) / 1000
    const name = String(store.name)
    for (const timer of timers) {
      try {
        timer(seconds, outcome, name)
      } catch {
        // a collector's failure must never reach a request
      }
    }
  }
  const hit = (op: HitOp): MaybePromise<HitResult> => {
    if (timers.size === 0) return store.hit(op)
    const start = performance.now()
    let result: MaybePromise<HitResult>
    try {
      result = store.hit(op)
    } catch (error) {
      record(start, 'error')
      throw error
    }
    if (isThenable(result)) {
      result.then(
        () => record(start, 'ok'),
        () => record(start, 'error'),
      )
    } else record(start, 'ok')
    return result
  }
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'hit') return hit
      if (prop === TIMERS) return timers
      // read with the store itself as `this`, so getters and private fields work
      const value: unknown = Reflect.get(target, prop, target)
      if (typeof value !== 'function') return value
      let fn = bound.get(value)
      if (fn === undefined) {
        fn = (value as (...args: unknown[]) => unknown).bind(target)
        bound.set(value, fn)
      }
      return fn
    },
  })
}

/** Adds a timer to a store wrapped by `instrumentStore()`; returns the function that removes it. */
export function timeStore(store: Store, timer: StoreTimer): () => void {
  const timers = (store as Timed | null)?.[TIMERS]
  if (timers === undefined) {
    throw new TypeError(
      'options.store: pass the store returned by instrumentStore(), the same one given to createBulwark({ store })',
    )
  }
  timers.add(timer)
  return () => {
    timers.delete(timer)
  }
}
