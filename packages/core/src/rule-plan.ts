import type { Rule, RuleAsk, RuleRequest } from './rules/rule.js'

/**
 * A rule as the engine's per-request loop holds it. Rules are objects of many shapes (each built-in is its own
 * literal, a user's may be a class), so reading `rule.check` and `rule.verdict` in one loop is a megamorphic property
 * read per rule per request; an entry of this one class is read monomorphically, and what never changes (whether the
 * rule has a verdict) is read once, here.
 */
export class PlannedRule {
  readonly id: string
  readonly hasVerdict: boolean
  private readonly checkFn: Rule['check']

  constructor(readonly rule: Rule) {
    this.id = rule.id
    this.hasVerdict = rule.verdict !== undefined
    this.checkFn = rule.check
  }

  check(request: RuleRequest): RuleAsk | null {
    return this.checkFn.call(this.rule, request)
  }
}

export function plan(rules: readonly Rule[]): readonly PlannedRule[] {
  return rules.map((r) => new PlannedRule(r))
}
