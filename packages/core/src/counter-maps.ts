import { BoundedMap } from './bounded-map.js'

/** Counters kept apart at most (rules and route limits: fixed by the app); past it the least used are forgotten. */
const MAX_COUNTERS = 1024

/**
 * Per-subject state of each counter (`a`, `s`, `i`, `e:<id>`, `r:<id>` …): one bounded map per counter, looked up by
 * the subject's own key string. Keying one map by `subject + counter` would build a new string, and hash it, on
 * every request; the subject and counter strings are reused from request to request, so their hashes are cached.
 */
export class CounterMaps<V> {
  private readonly maps: BoundedMap<BoundedMap<V>>

  constructor(private readonly maxSubjects: number) {
    this.maps = new BoundedMap(MAX_COUNTERS)
  }

  get(counter: string, subject: string): V | undefined {
    return this.maps.get(counter)?.get(subject)
  }

  set(counter: string, subject: string, value: V): void {
    let map = this.maps.get(counter)
    if (map === undefined) {
      map = new BoundedMap(this.maxSubjects)
      this.maps.set(counter, map)
    }
    map.set(subject, value)
  }

  delete(counter: string, subject: string): void {
    this.maps.get(counter)?.delete(subject)
  }

  clear(): void {
    this.maps.clear()
  }
}
