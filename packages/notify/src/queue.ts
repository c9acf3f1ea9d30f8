/** A FIFO with a fixed capacity: pushing onto a full queue drops (and returns) the oldest entry. */
export interface BoundedQueue<T> {
  readonly capacity: number
  readonly length: number
  /** Adds at the tail. Returns the entry pushed out of the head when the queue was full. */
  push(item: T): { dropped: T } | undefined
  shift(): T | undefined
  /** Empties the queue and returns what it held, oldest first. */
  clear(): T[]
}

export function createBoundedQueue<T>(capacity: number): BoundedQueue<T> {
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('capacity must be a positive integer')
  const ring: (T | undefined)[] = new Array(capacity)
  let head = 0
  let size = 0
  return {
    capacity,
    get length() {
      return size
    },
    push(item) {
      if (size === capacity) {
        const dropped = ring[head] as T
        ring[head] = item
        head = (head + 1) % capacity
        return { dropped }
      }
      ring[(head + size) % capacity] = item
      size++
      return undefined
    },
    shift() {
      if (size === 0) return undefined
      const item = ring[head]
      ring[head] = undefined
      head = (head + 1) % capacity
      size--
      return item
    },
    clear() {
      const out: T[] = []
      while (size > 0) {
        out.push(ring[head] as T)
        ring[head] = undefined
        head = (head + 1) % capacity
        size--
      }
      return out
    },
  }
}
