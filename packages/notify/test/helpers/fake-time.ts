import { vi } from 'vitest'
import { T0 } from './events.js'

/**
 * Fakes setTimeout/clearTimeout and Date only: setImmediate and real sockets keep working,
 * so local HTTP servers answer while retry waits and attempt timeouts are under test control.
 */
export function useFakeTime(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: T0 })
}
