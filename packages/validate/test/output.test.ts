import { describe, expect, it } from 'vitest'
import {
  escapeCsvCell,
  escapeXmlAttribute,
  escapeXmlText,
  stripInvalidXmlChars,
  toCsvRow,
} from '../src/index.ts'

describe('escapeCsvCell', () => {
  it.each([
    ['=1+1', "'=1+1"],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\r=1', `"'\r=1"`],
    ['  =HYPERLINK("http://x")', `"'  =HYPERLINK(""http://x"")"`],
    ['\uFF1D1+1', "'\uFF1D1+1"],
    ["=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"],
  ])('defuses the formula %j', (input, output) => {
    expect(escapeCsvCell(input)).toBe(output)
  })

  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('quotes %j per RFC 4180 only when needed', (input, output) => {
    expect(escapeCsvCell(input)).toBe(output)
  })

  it('writes numbers, booleans and empty values as they are', () => {
    expect(escapeCsvCell(-5)).toBe('-5')
    expect(escapeCsvCell(true)).toBe('true')
    expect(escapeCsvCell(null)).toBe('')
    expect(escapeCsvCell(undefined)).toBe('')
    expect(escapeCsvCell({ a: 1 })).toBe('"{""a"":1}"')
  })

  it('joins a row with the delimiter', () => {
    expect(toCsvRow(['=x', 'a;b', 3], ';')).toBe(`'=x;"a;b";3`)
    expect(toCsvRow(['a', 'b,c'])).toBe('a,"b,c"')
  })
})

describe('XML escaping', () => {
  it('removes characters XML 1.0 cannot carry, keeping pairs and allowed whitespace', () => {
    expect(stripInvalidXmlChars('a\u0000b\u0008c\u000Bd\tE\nF\rG\uFFFEH\uFFFF')).toBe('abcd\tE\nF\rGH')
    expect(stripInvalidXmlChars('x\uD800y\uDFFFz😀')).toBe('xyz😀')
  })

  it('escapes text and attributes', () => {
    expect(escapeXmlText('<a & b>\u0001')).toBe('&lt;a &amp; b&gt;')
    expect(escapeXmlText(']]>')).toBe(']]&gt;')
    expect(escapeXmlText(null)).toBe('')
    expect(escapeXmlAttribute(`"it's"\n<`)).toBe('&quot;it&apos;s&quot;&#10;&lt;')
  })
})
