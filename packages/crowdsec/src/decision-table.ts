import { isIP } from 'node:net'
import { parseGoDuration } from './duration.js'

/** A decision as the Local API streams it (`models.Decision`). Fields are checked, never trusted. */
export interface LapiDecision {
  id: number
  type: string
  scope: string
  value: string
  duration: string
  origin: string
  scenario: string
}

/** A decision the bouncer holds. */
export interface HeldDecision {
  id: number
  scope: 'ip' | 'range'
  /** An address or a CIDR, as the Local API spelled it. */
  value: string
  /** When it ends, in ms since the epoch. */
  until: number
  type: string
  origin: string
  scenario: string
}

/** What changed for the engine: targets now banned (with their end), and targets no longer banned. */
export interface TableChanges {
  upserts: Map<string, { scope: 'ip' | 'range'; until: number; scenario: string; origin: string }>
  removals: Set<string>
}

/** Scenario and origin names repeat across thousands of decisions: one string each (at most 1000 names). */
const names = new Map<string, string>()
function intern(text: string): string {
  const known = names.get(text)
  if (known !== undefined) return known
  if (names.size < 1000) names.set(text, text)
  return text
}

/** Reads one streamed decision; undefined when it is not a ban this bouncer applies (scope, type, malformed). */
export function readDecision(
  raw: unknown,
  now: number,
  types: ReadonlySet<string>,
): HeldDecision | undefined {
  if (raw === null || typeof raw !== 'object') return undefined
  const d = raw as Partial<Record<keyof LapiDecision, unknown>>
  if (typeof d.id !== 'number' || !Number.isSafeInteger(d.id)) return undefined
  if (typeof d.type !== 'string' || !types.has(d.type.toLowerCase())) return undefined
  if (typeof d.value !== 'string' || d.value.length > 64) return undefined
  const scope = typeof d.scope === 'string' ? d.scope.toLowerCase() : ''
  const value = d.value.trim()
  if (scope === 'ip') {
    if (isIP(value) === 0) return undefined
  } else if (scope === 'range') {
    const slash = value.indexOf('/')
    const bits = Number(value.slice(slash + 1))
    const version = slash > 0 ? isIP(value.slice(0, slash)) : 0
    if (version === 0 || !/^\d{1,3}$/.test(value.slice(slash + 1)) || bits > (version === 4 ? 32 : 128)) {
      return undefined
    }
  } else {
    return undefined
  }
  const ms = parseGoDuration(d.duration)
  if (ms === undefined) return undefined
  return {
    id: d.id,
    scope,
    value,
    until: now + ms,
    type: d.type.toLowerCase(),
    origin: typeof d.origin === 'string' ? intern(d.origin.slice(0, 64)) : '',
    scenario: typeof d.scenario === 'string' ? intern(d.scenario.slice(0, 200)) : '',
  }
}

/**
 * The decisions a bouncer holds, by id, and which targets they ban. Several decisions may ban one target (two
 * alerts on one address): the target stays banned until the last one ends, and its end is the latest of theirs.
 */
export class DecisionTable {
  readonly #byId = new Map<number, HeldDecision>()
  /** target -> the id of its one decision, or the ids of its several (rare) */
  readonly #byValue = new Map<string, number | Set<number>>()
  readonly #max: number

  constructor(maxDecisions: number) {
    this.#max = maxDecisions
  }

  get size(): number {
    return this.#byId.size
  }

  /** The targets banned now and until when. */
  targets(): Map<string, HeldDecision> {
    const out = new Map<string, HeldDecision>()
    for (const d of this.#byId.values()) {
      const held = out.get(d.value)
      if (held === undefined || held.until < d.until) out.set(d.value, d)
    }
    return out
  }

  /**
   * Applies a delta: deletions first, then new decisions. Returns what changed, and how many new decisions were
   * refused because the table is full.
   */
  apply(
    added: HeldDecision[],
    deletedIds: number[],
    now: number,
  ): { changes: TableChanges; refused: number } {
    const touched = new Set<string>()
    for (const id of deletedIds) {
      const d = this.#byId.get(id)
      if (d === undefined) continue
      this.#remove(d)
      touched.add(d.value)
    }
    let refused = 0
    for (const d of added) {
      if (d.until <= now) continue
      const old = this.#byId.get(d.id)
      if (old !== undefined) {
        this.#remove(old)
        touched.add(old.value)
      } else if (this.#byId.size >= this.#max) {
        refused++
        continue
      }
      this.#byId.set(d.id, d)
      const ids = this.#byValue.get(d.value)
      if (ids === undefined) this.#byValue.set(d.value, d.id)
      else if (typeof ids === 'number') this.#byValue.set(d.value, new Set([ids, d.id]))
      else ids.add(d.id)
      touched.add(d.value)
    }
    return { changes: this.#changesFor(touched), refused }
  }

  /** Replaces everything (a `startup=true` answer). Returns what changed from the previous content. */
  replace(all: HeldDecision[], now: number): { changes: TableChanges; refused: number } {
    const before = new Set(this.#byValue.keys())
    this.#byId.clear()
    this.#byValue.clear()
    const result = this.apply(all, [], now)
    for (const value of before) {
      if (!this.#byValue.has(value)) result.changes.removals.add(value)
    }
    return result
  }

  /** Forgets decisions that have ended (the engine has expired them on its own). Returns how many. */
  prune(now: number): number {
    let n = 0
    for (const d of this.#byId.values()) {
      if (d.until <= now) {
        this.#remove(d)
        n++
      }
    }
    return n
  }

  #remove(d: HeldDecision): void {
    this.#byId.delete(d.id)
    const ids = this.#byValue.get(d.value)
    if (ids === d.id) {
      this.#byValue.delete(d.value)
    } else if (typeof ids === 'object') {
      ids.delete(d.id)
      if (ids.size === 1) this.#byValue.set(d.value, ids.values().next().value as number)
    }
  }

  #changesFor(values: Iterable<string>): TableChanges {
    const changes: TableChanges = { upserts: new Map(), removals: new Set() }
    for (const value of values) {
      const ids = this.#byValue.get(value)
      if (ids === undefined) {
        changes.removals.add(value)
        continue
      }
      let best: HeldDecision | undefined
      for (const id of typeof ids === 'number' ? [ids] : ids) {
        const d = this.#byId.get(id) as HeldDecision
        if (best === undefined || d.until > best.until) best = d
      }
      const b = best as HeldDecision
      changes.upserts.set(value, { scope: b.scope, until: b.until, scenario: b.scenario, origin: b.origin })
    }
    return changes
  }
}
