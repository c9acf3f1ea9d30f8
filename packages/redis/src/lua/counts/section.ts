import type { Count } from '@bulwark/core'
import type { ScriptArg } from '../../hit-args.js'

/**
 * One counting algorithm of `hit.lua`: how a count of its kind travels in ARGV and what the script does with it. The
 * script is assembled from these sections (see `lua/hit.ts`), so adding an algorithm is adding a section.
 *
 * In ARGV a count is its head, `<code><key>` and, for a kind that trips, `}<rule>` (the code in lower case for a
 * monitored count, whose trip writes an observed ban; `}` cannot occur in a key), followed by exactly `fields`
 * entries that `encode` appends and `parse` reads.
 *
 * The script assembles each section into one Lua function, `count_<kind>(s, a, now, monitor, key, sep)`: its
 * `parse`, then its `count`. Redis runs a script's whole chunk on every call, so every function it defines is a
 * closure built per call; one function per section keeps that cost at one closure.
 */
export interface CountSection<C extends Count = Count> {
  readonly kind: C['kind']
  /** One upper-case letter. */
  readonly code: string
  /** ARGV entries after the head. */
  readonly fields: number
  /** A count of this kind can trip, so its head carries its rule (written into the ban). */
  readonly trips: boolean
  /** An enforced ban clears this counter (window counters are kept; a ban count has no counter). */
  readonly clearedByBan: boolean
  /** Appends the count's fields (not its head) to ARGV. */
  encode(args: ScriptArg[], count: C): void
  /**
   * Lua statements reading the fields of the count whose head is `ARGV[a]` (`ARGV[a + 1]` … `ARGV[a + fields]`) into
   * locals. The dispatcher has read the head: `key` is the counter key (`<base><key>`), the rule is
   * `string.sub(ARGV[a], sep + 1)`.
   */
  readonly parse: string
  /**
   * Lua statements applying the count to subject `s` at `now`, with the locals `parse` declared, then returning its
   * measure (nil: nothing measured) and its trip (nil, or `{ rule, monitor, count, limit, note }`: the ban it asks
   * for). `s.refused` counts the suspicious refusals of the subject's earlier window counts.
   */
  readonly count: string
}
