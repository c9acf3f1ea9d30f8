import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { checkFilename, FilenameCode, sanitizeFilename } from '../src/index.ts'

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8')
const codeOf = (input: unknown, options?: Parameters<typeof checkFilename>[1]): string => {
  const result = checkFilename(input, options)
  return result.ok ? 'ok' : result.code
}

describe('checkFilename', () => {
  it.each([
    [42, FilenameCode.NOT_STRING],
    ['a%2fb', FilenameCode.PERCENT_ENCODED],
    ['a%5Cb', FilenameCode.PERCENT_ENCODED],
    ['x%e0%80%afy', FilenameCode.PERCENT_ENCODED],
    ['a%3a%3a$DATA', FilenameCode.PERCENT_ENCODED],
    ['name\u2028.txt', FilenameCode.CONTROL_CHARACTER],
    ['\u00adsoft.txt', FilenameCode.INVISIBLE_CHARACTER],
    ['a\u{E0041}.txt', FilenameCode.INVISIBLE_CHARACTER],
    ['a\uFFFE.txt', FilenameCode.INVALID_UNICODE],
    ['a\u2044b', FilenameCode.SEPARATOR],
    ['a\uFE68b', FilenameCode.SEPARATOR],
    ['a\u20A9b', FilenameCode.SEPARATOR],
    ['a\uFF1Ab', FilenameCode.FORBIDDEN_CHARACTER],
    ['\uFF0Drf', FilenameCode.LEADING_CHARACTER],
    [' lead.txt', FilenameCode.LEADING_CHARACTER],
    ['trail\u3000', FilenameCode.TRAILING_DOT_OR_SPACE],
    ['LPT\u00B3.txt', FilenameCode.RESERVED_NAME],
    ['clock$', FilenameCode.RESERVED_NAME],
    ['PRN  .x.y', FilenameCode.RESERVED_NAME],
  ])('rejects %j with %s', (input, code) => {
    expect(codeOf(input)).toBe(code)
  })

  it('counts the limit in UTF-8 bytes', () => {
    expect(codeOf(`${'😀'.repeat(62)}.txt`)).toBe('ok') // 62 × 4 + 4 = 252 bytes
    expect(codeOf(`${'😀'.repeat(63)}.txt`)).toBe(FilenameCode.TOO_LONG) // 256 bytes
  })

  it('takes maxBytes and allowLeadingDot from options', () => {
    expect(codeOf('abcdef', { maxBytes: 5 })).toBe(FilenameCode.TOO_LONG)
    expect(codeOf('.env', { allowLeadingDot: true })).toBe('ok')
    expect(codeOf('..', { allowLeadingDot: true })).toBe(FilenameCode.DOTS)
    expect(() => checkFilename('a', { maxBytes: 256 })).toThrow(TypeError)
  })
})

describe('sanitizeFilename', () => {
  it.each([
    ['../../etc/passwd', '_.._etc_passwd'],
    ['CON.txt', '_CON.txt'],
    ['report\u202Etxt.exe', 'reporttxt.exe'],
    ['cafe\u0301.txt', 'café.txt'],
    ['  .hidden.  ', 'hidden'],
    ['', 'file'],
    ['...', 'file'],
    ['\u200B', 'file'],
  ])('repairs %j into %j', (input, output) => {
    expect(sanitizeFilename(input)).toBe(output)
  })

  it('returns the fallback for non-strings', () => {
    expect(sanitizeFilename(undefined)).toBe('file')
    expect(sanitizeFilename({ name: 'x' }, { fallback: 'upload.bin' })).toBe('upload.bin')
  })

  it('uses the replacement, which may be empty', () => {
    expect(sanitizeFilename('a/b:c', { replacement: '-' })).toBe('a-b-c')
    expect(sanitizeFilename('a/b:c', { replacement: '' })).toBe('abc')
  })

  it('refuses unsafe options', () => {
    expect(() => sanitizeFilename('x', { replacement: '/' })).toThrow(TypeError)
    expect(() => sanitizeFilename('x', { replacement: '.' })).toThrow(TypeError)
    expect(() => sanitizeFilename('x', { replacement: '%' })).toThrow(TypeError)
    expect(() => sanitizeFilename('x', { replacement: '\u202E' })).toThrow(TypeError)
    expect(() => sanitizeFilename('x', { fallback: 'CON' })).toThrow(TypeError)
    expect(() => sanitizeFilename('x', { fallback: '' })).toThrow(TypeError)
  })

  it('cuts long names on a grapheme boundary and keeps the extension', () => {
    const family = '👨\u200D👩\u200D👧' // the joiners are dropped (invisible), the three emoji stay
    const flag = '🇫🇷'
    const accented = 'e\u0301'.normalize('NFC')
    const long = `${'ab'.repeat(100)}${flag.repeat(20)}${accented.repeat(10)}.jpeg`
    const out = sanitizeFilename(long)
    expect(bytes(out)).toBeLessThanOrEqual(255)
    expect(out.endsWith('.jpeg')).toBe(true)
    expect(out).not.toContain('\u{1F1EB}.') // a regional indicator never loses its pair
    expect(
      [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(out)].every(
        (s) => s.segment !== '\u{1F1EB}',
      ),
    ).toBe(true)
    expect(checkFilename(out).ok).toBe(true)
    expect(sanitizeFilename(`${family}.png`)).toBe('👨👩👧.png')
  })

  it('re-runs the checks after truncation', () => {
    // Cutting to 7 bytes keeps "CON.txt"... which is reserved, so it is prefixed and cut again.
    const out = sanitizeFilename('CONSOLE.txt', { maxBytes: 7 })
    expect(checkFilename(out, { maxBytes: 7 }).ok).toBe(true)
    // A cut that ends in a dot or space is trimmed.
    const dotted = sanitizeFilename(`${'a'.repeat(250)}. b.txt`, { maxBytes: 255 })
    expect(checkFilename(dotted).ok).toBe(true)
  })

  it('drops an over-long extension rather than the whole name', () => {
    const out = sanitizeFilename(`name.${'x'.repeat(300)}`)
    expect(bytes(out)).toBeLessThanOrEqual(255)
    expect(out.startsWith('name.')).toBe(true)
  })

  const hostile = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.string({ unit: 'grapheme', maxLength: 300 }),
    fc
      .array(
        fc.constantFrom(
          '.',
          '..',
          '/',
          '\\',
          ' ',
          '-',
          '%',
          '%2e',
          '%2f',
          '%25',
          '%c0',
          '%u2215',
          'CON',
          'con',
          'COM¹',
          'LPT9',
          '\u0000',
          '\u202E',
          '\u200B',
          '\uFF0F',
          '\u2215',
          '¥',
          '\uFF0E',
          '‥',
          'é',
          'e\u0301',
          '😀',
          '🇫🇷',
          '\uD800',
          'a',
          'txt',
          ':',
          '*',
          '\u3000',
          '\u00A0',
          '\u3164',
        ),
        { maxLength: 120 },
      )
      .map((parts) => parts.join('')),
  )

  it('always returns a name that passes checkFilename, within 255 bytes, never empty', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const out = sanitizeFilename(input)
        expect(checkFilename(out)).toEqual({ ok: true, value: out })
        expect(bytes(out)).toBeLessThanOrEqual(255)
        expect(out.length).toBeGreaterThan(0)
      }),
      { numRuns: 1500 },
    )
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(hostile, (input) => {
        const once = sanitizeFilename(input)
        expect(sanitizeFilename(once)).toBe(once)
      }),
      { numRuns: 1500 },
    )
  })

  it('holds the same properties with a small byte limit', () => {
    fc.assert(
      fc.property(hostile, fc.integer({ min: 8, max: 40 }), (input, maxBytes) => {
        const out = sanitizeFilename(input, { maxBytes })
        expect(checkFilename(out, { maxBytes }).ok).toBe(true)
        expect(bytes(out)).toBeLessThanOrEqual(maxBytes)
        expect(sanitizeFilename(out, { maxBytes })).toBe(out)
      }),
      { numRuns: 500 },
    )
  })

  it('checkFilename never throws', () => {
    fc.assert(
      fc.property(fc.oneof(hostile, fc.anything()), (input) => {
        expect(typeof checkFilename(input).ok).toBe('boolean')
      }),
      { numRuns: 500 },
    )
  })
})
