import type { Count } from '@bulwark/core'
import type { ScriptArg } from '../../hit-args.js'

/**
 * One counting algorithm of `hit.lua`: how a count of its kind travels in ARGV and what the script does with it. The
 * script is assembled from these sections (see `lua/hit.ts`), so adding an algorithm is adding a section.
 *
 * In ARGV a count is its spec, `<code><limit>,<windowMs>,<flag>,<key>` and, for a kind that trips, `}<rule>` (the code
 * in lower case for a monitored count, whose trip writes an observed ban; `}` cannot occur in a key), followed by
 * exactly `fields` entries that `encode` appends and `parse` reads: the values that change from request to request.
 * A spec is the same string for every request of a rule, so the script parses it once (per call with EVALSHA, once
 * for good with the function library) into a table `c`: `c.limit`, `c.window`, `c.flag` (true/false), `c.rule`,
 * `c.monitor`.
 *
 * The script assembles each section into one Lua function, `count_<kind>(c, key, a, now)`: its `parse`, then its
 * `count`.
 */
export interface CountSection<C extends Count = Count> {
  readonly kind: C['kind']
  /** One upper-case letter. */
  readonly code: string
  /** ARGV entries after the spec. */
  readonly fields: number
  /** A count of this kind can trip, so its spec carries its rule (written into the ban). */
  readonly trips: boolean
  /** An enforced ban clears this counter (window counters are kept; a ban count has no counter). */
  readonly clearedByBan: boolean
  /** The count's numbers in its spec: limit, window and a flag (`1`/`0`, the kind says what it means). */
  numbers(count: C): readonly [number, number, 0 | 1]
  /** Appends the count's per-request fields (not its spec) to ARGV. */
  encode(args: ScriptArg[], count: C): void
  /**
   * Lua statements reading the per-request fields of the count whose spec is `ARGV[a]` (`ARGV[a + 1]` …
   * `ARGV[a + fields]`) into locals. `key` is the counter key (`<base><key>`).
   */
  readonly parse: string
  /**
   * Lua statements applying the count at `now`, with the locals `parse` declared, then returning its measure (nil:
   * nothing measured) and its trip (nil, or `{ rule, monitor, count, limit, note }`: the ban it asks for). `refused`
   * counts the suspicious refusals of the subject's earlier window counts.
   */
  readonly count: string
}
