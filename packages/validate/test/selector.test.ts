import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkSelector, SelectorCode } from '../src/index.ts'

const codeOf = (input: unknown, options?: Parameters<typeof checkSelector>[1]): string => {
  const result = checkSelector(input, options)
  return result.ok ? 'ok' : result.code
}

describe('checkSelector', () => {
  it.each([
    ['div', 'div'],
    ['DIV.item >  a[href^="https://"]', 'DIV.item > a[href^="https://"]'],
    ['#main  .title', '#main .title'],
    ['ul li:nth-child(2n+1)', 'ul li:nth-child(2n+1)'],
    ['h1 + p ~ span', 'h1 + p ~ span'],
    ['[title="expression(x)"]', '[title="expression(x)"]'],
    ['[data-x="</style><script>"]', '[data-x="</style><script>"]'],
    ['a:not(.ad, [rel~=nofollow])', 'a:not(.ad, [rel~="nofollow"])'],
    ['article:has(> h2)', 'article:has(> h2)'],
    ['li:is(.a, .b):first-child', 'li:is(.a, .b):first-child'],
    ['p:contains("price")', 'p:contains(price)'],
    ['tr:eq(3) td:last-of-type', 'tr:eq(3) td:last-of-type'],
    ['input[type=checkbox i]:checked', 'input[type="checkbox" i]:checked'],
    ['*', '*'],
    ['a, b , c', 'a, b, c'],
  ])('accepts %j as %j', (input, canonical) => {
    expect(checkSelector(input)).toEqual({ ok: true, value: canonical })
  })

  it.each([
    [null, SelectorCode.NOT_STRING],
    [['div'], SelectorCode.NOT_STRING],
    ['', SelectorCode.EMPTY],
    ['   ', SelectorCode.EMPTY],
    ['div\u0000', SelectorCode.CONTROL_CHARACTER],
    ['div\n.a', SelectorCode.CONTROL_CHARACTER],
    ['div\u2028', SelectorCode.CONTROL_CHARACTER],
    ['a < b', SelectorCode.PARENT_COMBINATOR],
    [':not(a < b)', SelectorCode.PARENT_COMBINATOR],
    ['a || b', SelectorCode.UNSUPPORTED],
    ['svg|circle', SelectorCode.UNSUPPORTED],
    ['[xlink|href]', SelectorCode.UNSUPPORTED],
    ['p::before', SelectorCode.PSEUDO_ELEMENT],
    ['a:hover', SelectorCode.PSEUDO_NOT_ALLOWED],
    [':has(:hover)', SelectorCode.PSEUDO_NOT_ALLOWED],
    [':first-child(x)', SelectorCode.PSEUDO_NOT_ALLOWED],
    [':not', SelectorCode.PSEUDO_NOT_ALLOWED],
    [':nth-child(2n+1 of .x)', SelectorCode.INVALID],
    [':eq(-1)', SelectorCode.INVALID],
    ['div)', SelectorCode.INVALID],
    ['a,', SelectorCode.INVALID],
    ['<script>alert(1)</script>', SelectorCode.INVALID],
    ['javascript:alert(1)', SelectorCode.PSEUDO_NOT_ALLOWED],
    ['expression(alert(1))', SelectorCode.INVALID],
    ['{}', SelectorCode.INVALID],
    [`div${' span'.repeat(200)}`, SelectorCode.TOO_LONG],
    [':not(:not(:not(:not(a))))', SelectorCode.TOO_DEEP],
    [Array.from({ length: 21 }, (_, i) => `.c${i}`).join(','), SelectorCode.TOO_MANY],
    [`:is(${Array.from({ length: 21 }, (_, i) => `.c${i}`).join(',')})`, SelectorCode.TOO_MANY],
  ])('rejects %j with %s', (input, code) => {
    expect(codeOf(input)).toBe(code)
  })

  it('limits length at 1,000 characters by default', () => {
    expect(codeOf(`#${'a'.repeat(999)}`)).toBe('ok')
    expect(codeOf(`#${'a'.repeat(1000)}`)).toBe(SelectorCode.TOO_LONG)
  })

  it('takes its limits from options', () => {
    expect(codeOf(':not(:not(a))', { maxDepth: 1 })).toBe(SelectorCode.TOO_DEEP)
    expect(codeOf('a, b, c', { maxListSize: 2 })).toBe(SelectorCode.TOO_MANY)
    expect(codeOf('a b c d', { maxTokens: 5 })).toBe(SelectorCode.TOO_MANY)
    expect(codeOf('abcdef', { maxLength: 5 })).toBe(SelectorCode.TOO_LONG)
  })

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything({ maxDepth: 2 })),
        (input) => {
          expect(typeof checkSelector(input).ok).toBe('boolean')
        },
      ),
      { numRuns: 1000 },
    )
  }, 60_000)

  it('returns a canonical form that checks to itself', () => {
    const ident = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/)
    const simple = fc.oneof(
      ident,
      ident.map((s) => `.${s}`),
      ident.map((s) => `#${s}`),
      fc
        .tuple(ident, fc.constantFrom('=', '~=', '^=', '$=', '*=', '|='), fc.string({ maxLength: 8 }))
        .map(([name, op, value]) => `[${name}${op}${JSON.stringify(value)}]`),
      fc.constantFrom(':first-child', ':nth-of-type(2n)', ':empty'),
    )
    const compound = fc.array(simple, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''))
    const selector = fc
      .array(fc.tuple(compound, fc.constantFrom(' ', ' > ', ' + ', ' ~ ')), { minLength: 1, maxLength: 4 })
      .map((pairs) => pairs.map(([c, comb], i) => (i === 0 ? c : comb + c)).join(''))
    fc.assert(
      fc.property(selector, (input) => {
        const first = checkSelector(input)
        if (!first.ok) return
        expect(checkSelector(first.value)).toEqual(first)
      }),
      { numRuns: 300 },
    )
  })
})
