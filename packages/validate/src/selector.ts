/**
 * `checkSelector`: parses a CSS selector with css-what (the parser behind cheerio and css-select),
 * walks the parsed tree against an allowlist, and returns the canonical re-serialisation.
 */
import { parse, type Selector, stringify } from 'css-what'
import { SelectorCode } from './codes.js'
import { type Fail, fail, ok, type Result } from './result.js'

/** Options of `checkSelector`. */
export interface SelectorOptions {
  /** Longest accepted selector, in UTF-16 code units. Default 1,000. */
  readonly maxLength?: number
  /** Most comma-separated selectors in one list, at any level. Default 20. */
  readonly maxListSize?: number
  /** Deepest nesting of `:not()`, `:is()`, `:where()`, `:has()`. Default 3 (e.g. `:not(:is(:has(a)))`). */
  readonly maxDepth?: number
  /** Most simple selectors and combinators in total. Default 200. */
  readonly maxTokens?: number
}

/** Pseudo-classes without an argument that static HTML (cheerio) can evaluate. */
export const SIMPLE_PSEUDO_CLASSES: readonly string[] = Object.freeze([
  'root',
  'empty',
  'first-child',
  'last-child',
  'only-child',
  'first-of-type',
  'last-of-type',
  'only-of-type',
  'checked',
  'disabled',
  'enabled',
  'required',
  'optional',
  'selected',
  'link',
  'any-link',
  'header',
  'parent',
  'first',
  'last',
  'even',
  'odd',
])
/** Pseudo-classes taking a selector list, which is checked by the same rules one level deeper. */
export const NESTING_PSEUDO_CLASSES: readonly string[] = Object.freeze([
  'not',
  'is',
  'where',
  'matches',
  'has',
])
/** Pseudo-classes taking an `An+B` formula. */
export const NTH_PSEUDO_CLASSES: readonly string[] = Object.freeze([
  'nth-child',
  'nth-last-child',
  'nth-of-type',
  'nth-last-of-type',
])
/** Pseudo-classes taking a non-negative integer (cheerio's positional extensions). */
export const INDEX_PSEUDO_CLASSES: readonly string[] = Object.freeze(['eq', 'gt', 'lt', 'nth'])
/** Pseudo-classes taking a text argument. */
export const TEXT_PSEUDO_CLASSES: readonly string[] = Object.freeze(['contains', 'icontains'])

const simple = new Set(SIMPLE_PSEUDO_CLASSES)
const nesting = new Set(NESTING_PSEUDO_CLASSES)
const nth = new Set(NTH_PSEUDO_CLASSES)
const index = new Set(INDEX_PSEUDO_CLASSES)
const text = new Set(TEXT_PSEUDO_CLASSES)

const NTH_FORMULA = /^\s*(?:even|odd|[+-]?\d{1,6}|[+-]?\d{0,6}n(?:\s*[+-]\s*\d{1,6})?)\s*$/i
const INDEX = /^\s*\d{1,6}\s*$/
// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/

interface Limits {
  readonly maxListSize: number
  readonly maxDepth: number
  readonly maxTokens: number
}

interface Walk {
  tokens: number
}

function checkList(
  list: Selector[][],
  depth: number,
  limits: Limits,
  walk: Walk,
): Fail<SelectorCode> | undefined {
  if (list.length > limits.maxListSize) {
    return fail(SelectorCode.TOO_MANY, `more than ${limits.maxListSize} selectors in one list`)
  }
  for (const compound of list) {
    for (const token of compound) {
      walk.tokens += 1
      if (walk.tokens > limits.maxTokens)
        return fail(SelectorCode.TOO_MANY, `more than ${limits.maxTokens} parts`)
      const problem = checkToken(token, depth, limits, walk)
      if (problem) return problem
    }
  }
  return undefined
}

function checkToken(
  token: Selector,
  depth: number,
  limits: Limits,
  walk: Walk,
): Fail<SelectorCode> | undefined {
  switch (token.type) {
    case 'tag':
    case 'universal':
    case 'attribute':
      if (token.namespace !== null)
        return fail(SelectorCode.UNSUPPORTED, 'namespaced selectors are not allowed')
      return undefined
    case 'descendant':
    case 'child':
    case 'sibling':
    case 'adjacent':
      return undefined
    case 'parent':
      return fail(SelectorCode.PARENT_COMBINATOR, 'the `<` parent combinator is not allowed')
    case 'column-combinator':
      return fail(SelectorCode.UNSUPPORTED, 'the `||` column combinator is not allowed')
    case 'pseudo-element':
      return fail(SelectorCode.PSEUDO_ELEMENT, `pseudo-element ::${token.name} is not allowed`)
    case 'pseudo':
      return checkPseudo(token.name, token.data, depth, limits, walk)
    default:
      return fail(SelectorCode.UNSUPPORTED, 'unsupported selector part')
  }
}

function checkPseudo(
  name: string,
  data: Selector[][] | string | null,
  depth: number,
  limits: Limits,
  walk: Walk,
): Fail<SelectorCode> | undefined {
  const denied = fail(SelectorCode.PSEUDO_NOT_ALLOWED, `pseudo-class :${name} is not allowed here`)
  if (simple.has(name)) return data === null ? undefined : denied
  if (nesting.has(name)) {
    if (!Array.isArray(data)) return denied
    if (depth + 1 > limits.maxDepth)
      return fail(SelectorCode.TOO_DEEP, `nesting deeper than ${limits.maxDepth}`)
    return checkList(data, depth + 1, limits, walk)
  }
  if (typeof data !== 'string') return denied
  if (nth.has(name))
    return NTH_FORMULA.test(data) ? undefined : fail(SelectorCode.INVALID, `:${name}() needs An+B`)
  if (index.has(name))
    return INDEX.test(data) ? undefined : fail(SelectorCode.INVALID, `:${name}() needs an integer`)
  if (text.has(name)) return undefined
  return denied
}

/**
 * Checks a CSS selector a client sent and returns its canonical form. Never throws for bad input.
 * Accepts tag, id, class, attribute (any operator, any quoted value), universal, the descendant,
 * `>`, `+` and `~` combinators, and the pseudo-classes in the exported allowlists; `:not()`,
 * `:is()`, `:where()`, `:matches()` and `:has()` are checked recursively.
 */
export function checkSelector(input: unknown, options: SelectorOptions = {}): Result<string, SelectorCode> {
  const maxLength = options.maxLength ?? 1000
  if (typeof input !== 'string') return fail(SelectorCode.NOT_STRING, 'selector must be a string')
  if (input.length > maxLength)
    return fail(SelectorCode.TOO_LONG, `selector longer than ${maxLength} characters`)
  if (CONTROL.test(input))
    return fail(SelectorCode.CONTROL_CHARACTER, 'selector contains a control character')
  if (input.trim() === '') return fail(SelectorCode.EMPTY, 'selector is empty')
  let parsed: Selector[][]
  try {
    parsed = parse(input)
  } catch (error) {
    return fail(
      SelectorCode.INVALID,
      `not a selector: ${error instanceof Error ? error.message : 'parse error'}`,
    )
  }
  if (parsed.length === 0 || parsed.some((compound) => compound.length === 0)) {
    return fail(SelectorCode.EMPTY, 'selector is empty')
  }
  const limits: Limits = {
    maxListSize: options.maxListSize ?? 20,
    maxDepth: options.maxDepth ?? 3,
    maxTokens: options.maxTokens ?? 200,
  }
  const problem = checkList(parsed, 0, limits, { tokens: 0 })
  if (problem) return problem
  let canonical: string
  try {
    canonical = stringify(parsed)
    // The canonical form must mean the same thing: re-parse it and compare the trees.
    if (JSON.stringify(parse(canonical)) !== JSON.stringify(parsed)) {
      return fail(SelectorCode.INVALID, 'selector has no unambiguous canonical form')
    }
  } catch {
    return fail(SelectorCode.INVALID, 'selector has no unambiguous canonical form')
  }
  if (canonical.length > maxLength)
    return fail(SelectorCode.TOO_LONG, `selector longer than ${maxLength} characters`)
  return ok(canonical)
}
