import type { BanEvent, UnbanEvent } from '@bulwark/core'
import type { RateOptions } from './options.js'
import type { Digest } from './types.js'

/**
 * A sliding-window rate gate that folds what it refuses into a digest.
 * At most `limit` events pass per `intervalMs`; the rest are counted into the open digest,
 * which keeps only counters and the first `sample` targets, so its size is bounded.
 */
export interface Digester {
  /** 'send' when the event may be notified on its own (and is counted against the rate), else 'folded'. */
  offer(event: BanEvent | UnbanEvent, now: number): 'send' | 'folded'
  /** True while a digest is open. */
  readonly open: boolean
  /** Closes the open digest and returns it, or undefined when nothing was folded. */
  take(now: number): Digest | undefined
}

interface Open {
  since: number
  banned: number
  monitor: number
  unbanned: number
  targets: Set<string>
  allIps: boolean
  rules: Digest['rules']
}

export function createDigester(options: RateOptions): Digester {
  // Times of the last `limit` individual sends, as a ring; `next` is the oldest once full.
  const times = new Array<number>(options.limit).fill(0)
  let filled = 0
  let next = 0
  let open: Open | undefined

  function admit(now: number): boolean {
    if (filled < options.limit) {
      times[(next + filled) % options.limit] = now
      filled++
      return true
    }
    if (now - times[next]! >= options.intervalMs) {
      times[next] = now
      next = (next + 1) % options.limit
      return true
    }
    return false
  }

  return {
    offer(event, now) {
      if (admit(now)) return 'send'
      open ??= {
        since: now,
        banned: 0,
        monitor: 0,
        unbanned: 0,
        targets: new Set(),
        allIps: true,
        rules: {},
      }
      if (event.type === 'ban') {
        open.banned++
        if (!event.enforced) open.monitor++
        open.rules[event.rule] = (open.rules[event.rule] ?? 0) + 1
        if (!event.subject.startsWith('ip:')) open.allIps = false
        if (open.targets.size < options.sample) open.targets.add(event.target)
      } else {
        open.unbanned++
      }
      return 'folded'
    },
    get open() {
      return open !== undefined
    },
    take(now) {
      if (!open) return undefined
      const { since, banned, monitor, unbanned, targets, allIps, rules } = open
      open = undefined
      return {
        at: now,
        since,
        intervalMs: options.intervalMs,
        banned,
        monitor,
        unbanned,
        targets: [...targets],
        allIps,
        rules,
      }
    },
  }
}
