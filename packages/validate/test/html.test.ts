import fc from 'fast-check'
import { parseFragment } from 'parse5'
import { describe, expect, it } from 'vitest'
import { DEFAULT_HTML_TAGS, sanitizeHtml } from '../src/index.ts'
import { elementsAndAttributes } from './html-tree.ts'

const defaults = new Set<string>(DEFAULT_HTML_TAGS)

function assertSafe(output: string, allowed: ReadonlySet<string> = defaults): void {
  const { elements, attributes } = elementsAndAttributes(parseFragment(output))
  expect(elements.filter((name) => !allowed.has(name))).toEqual([])
  expect(attributes).toEqual([])
}

describe('sanitizeHtml', () => {
  it('keeps b i u em strong p br without attributes and escapes text', () => {
    expect(sanitizeHtml('<p class="x" style="color:red">1 < 2 & 3 > 2</p><br/><b id=a>b</b>')).toBe(
      '<p>1 &lt; 2 &amp; 3 &gt; 2</p><br /><b>b</b>',
    )
  })

  it('keeps the text of removed elements but drops raw-text and foreign content', () => {
    expect(sanitizeHtml('<div><span>kept</span></div><script>gone()</script><style>x{}</style>')).toBe('kept')
    expect(sanitizeHtml('<svg><text>gone</text></svg><math><mi>gone</mi></math>ok')).toBe('ok')
    expect(sanitizeHtml('a<!-- comment -->b')).toBe('ab')
  })

  it('takes a narrower or wider allowlist from the permitted set', () => {
    expect(sanitizeHtml('<b>x</b><i>y</i>', { allowedTags: ['i'] })).toBe('x<i>y</i>')
    expect(sanitizeHtml('<ul><li>one</li></ul><hr>', { allowedTags: ['ul', 'li', 'hr'] })).toBe(
      '<ul><li>one</li></ul><hr />',
    )
    expect(sanitizeHtml('<b>x</b>', { allowedTags: [] })).toBe('x')
  })

  it('refuses tags outside the permitted set', () => {
    for (const tag of ['a', 'img', 'textarea', 'xmp', 'svg', 'style', 'script', 'iframe']) {
      expect(() => sanitizeHtml('x', { allowedTags: [tag as 'b'] })).toThrow(TypeError)
    }
  })

  it('returns an empty string for non-strings and strips NUL', () => {
    expect(sanitizeHtml(undefined)).toBe('')
    expect(sanitizeHtml({ toString: () => '<script>' })).toBe('')
    expect(sanitizeHtml('a\u0000b')).toBe('ab')
  })

  const htmlish = fc
    .array(
      fc.oneof(
        fc.constantFrom(
          '<',
          '>',
          '&',
          '"',
          "'",
          '=',
          '/',
          '<b>',
          '</b>',
          '<p>',
          '</p>',
          '<br>',
          '<i ',
          'onclick=',
          '<script>',
          '</script>',
          '<svg>',
          '<math>',
          '<style>',
          '</style>',
          '<textarea>',
          '</textarea/>',
          '<xmp>',
          '<!--',
          '-->',
          '<![CDATA[',
          ']]>',
          '<noscript>',
          '<img src=x onerror=alert(1)>',
          '&lt;',
          '&amp;',
          '&#0;',
          '&#x3c;',
          'javascript:',
          '<table>',
          '<a href=',
          '<title>',
          '<template>',
          '<plaintext>',
          '\u0000',
          '\n',
        ),
        fc.string({ maxLength: 6 }),
      ),
      { maxLength: 40 },
    )
    .map((parts) => parts.join(''))

  it('never outputs anything but allowed elements without attributes', () => {
    fc.assert(
      fc.property(htmlish, (input) => {
        assertSafe(sanitizeHtml(input))
      }),
      { numRuns: 1500 },
    )
  })

  it('is idempotent on markup the library first nests wrongly (a counterexample fast-check found in CI)', () => {
    const once = sanitizeHtml('<p><a href=<p><p>')
    expect(sanitizeHtml(once)).toBe(once)
    expect(once).toBe('<p></p><p></p><p></p>')
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(htmlish, (input) => {
        const once = sanitizeHtml(input)
        expect(sanitizeHtml(once)).toBe(once)
      }),
      { numRuns: 1500 },
    )
  })

  it('holds with a wider allowlist too', () => {
    const tags = ['b', 'p', 'ul', 'li', 'pre', 'code', 'blockquote', 'hr'] as const
    const allowed = new Set<string>(tags)
    fc.assert(
      fc.property(htmlish, (input) => {
        const once = sanitizeHtml(input, { allowedTags: tags })
        assertSafe(once, allowed)
        expect(sanitizeHtml(once, { allowedTags: tags })).toBe(once)
      }),
      { numRuns: 500 },
    )
  })
})
