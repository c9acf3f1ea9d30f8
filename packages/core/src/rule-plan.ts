import type { Rule, RuleAsk, RuleRequest } from './rules/rule.js'

/** Where a built-in rule whose `check` ignores the request keeps that check and its one answer. */
const CONSTANT_ASK: unique symbol = Symbol('bulwark.constantAsk')

interface ConstantAsk {
  readonly check: Rule['check']
  readonly ask: RuleAsk
}

/**
 * Marks a rule whose `check` answers `ask` for every request (burst): the engine reads the ask once, when it plans its
 * rules, instead of calling `check` per request. Not enumerable: copies of the rule do not inherit the mark.
 */
export function constantAsk<R extends Rule>(rule: R, ask: RuleAsk): R {
  const mark: ConstantAsk = { check: rule.check, ask }
  Object.defineProperty(rule, CONSTANT_ASK, { value: mark })
  return rule
}

/**
 * A rule as the engine's per-request loop holds it. Rules are objects of many shapes (each built-in is its own
 * literal, a user's may be a class), so reading `rule.check` and `rule.verdict` in one loop is a megamorphic property
 * read per rule per request; an entry of this one class is read monomorphically, and what never changes (whether the
 * rule has a verdict) is read once, here.
 */
export class PlannedRule {
  readonly id: string
  readonly hasVerdict: boolean
  /** The ask of a rule whose `check` always answers the same one (see `constantAsk`), or null. */
  readonly constant: RuleAsk | null
  private readonly checkFn: Rule['check']

  constructor(readonly rule: Rule) {
    this.id = rule.id
    this.hasVerdict = rule.verdict !== undefined
    this.checkFn = rule.check
    const c = (rule as { [CONSTANT_ASK]?: ConstantAsk })[CONSTANT_ASK]
    // Only while the rule still has the check that answers it (a copy with its own `check` is asked as usual).
    this.constant = c !== undefined && c.check === rule.check ? c.ask : null
  }

  check(request: RuleRequest): RuleAsk | null {
    return this.checkFn.call(this.rule, request)
  }
}

export function plan(rules: readonly Rule[]): readonly PlannedRule[] {
  return rules.map((r) => new PlannedRule(r))
}
