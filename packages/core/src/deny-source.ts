/**
 * Deny sources: something outside the engine (a deny list file or URL, a CrowdSec bouncer, your own feed) that hands
 * the engine addresses and CIDR ranges to refuse. The engine keeps every source's entries in one in-memory prefix
 * set, checked before any store work, so a listed client costs no store round trip and a lookup stays well under a
 * microsecond at 100,000 entries. Entries are local to the process: every engine loads its own sources.
 */

/** One address or CIDR a deny source refuses. */
export interface DenyEntry {
  /** An address or a CIDR, IPv4 or IPv6: `203.0.113.7`, `203.0.113.0/24`, `2001:db8::/32`. */
  target: string
  /**
   * How long the entry lasts, in ms from when the sink receives it. Absent: until the source removes it or replaces
   * its entries.
   */
  ttlMs?: number
  /** Why, in the source's words (a list's comment, a CrowdSec scenario). Shown in decisions and `listBans()`. */
  reason?: string
}

/** How many entries a `replace` took, and how many it refused (not an address or CIDR, or over the cap). */
export interface DenyReplaceResult {
  added: number
  rejected: number
}

/**
 * The engine's side of one source. Every method is synchronous, never throws for bad input (a bad target is
 * skipped and counted), and touches only the entries of the source it was given to.
 */
export interface DenySink {
  /** Replace every entry this source gave before with `entries` (a full load or a resync). */
  replace(entries: Iterable<DenyEntry>): DenyReplaceResult
  /** Add one entry, or replace this source's entry for the same target (a new TTL or reason). False when refused. */
  add(entry: DenyEntry): boolean
  /** Remove this source's entry for `target` (spelled in any form that parses to the same range). */
  remove(target: string): boolean
  /** How many entries this source holds now. */
  readonly size: number
  /**
   * Report a failure after `start` (a refresh that failed, a feed that went away): the engine emits it as an
   * `error` event (or logs it). The source's entries stay as they are.
   */
  error(error: unknown): void
}

/**
 * A feed of addresses and ranges to refuse. Register it with `createBulwark({ deny: [source] })`; the engine calls
 * `start(sink)` once, at construction, and `close()` from its own `close()`. `engine.ready` waits for every
 * source's `start` to settle (a rejection is reported through the `error` event and does not stop the engine).
 */
export interface DenySource {
  /**
   * The source's name, shown as the source of its bans (`listBans()`, decisions' `evidence.source`): a deny
   * list's name, `crowdsec`. Unique among an engine's sources.
   */
  readonly name: string
  /** Observe instead of refusing: matching requests are decided as bans marked `enforced: false`. Default false. */
  readonly monitor?: boolean
  /** Start feeding `sink`. Resolve once the first load is done (or has failed: the source keeps trying). */
  start(sink: DenySink): void | Promise<void>
  /** Stop timers and connections. Called once by `engine.close()`. */
  close?(): void | Promise<void>
}
