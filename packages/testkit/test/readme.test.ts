import { describe, expect, it } from 'vitest'
import { readmeBlocks, testReadme, withAssertions } from '../src/readme.ts'

testReadme(new URL('./fixtures/README.md', import.meta.url), { env: { README_FIXTURE: 'set' } })
testReadme(new URL('../README.md', import.meta.url))

describe('readmeBlocks', () => {
  it('reads every fenced block with its line, language, heading and skip reason', () => {
    const md = [
      '# Title', // 1
      '```ts', // 2
      'a()', // 3
      '```', // 4
      '## Part', // 5
      '<!-- readme-test: skip (needs Redis) -->', // 6
      '', // 7
      '~~~JS title="x"', // 8
      'b()', // 9
      '~~~', // 10
      '- item', // 11
      '  ```sh', // 12
      '  ls', // 13
      '  ```', // 14
      '<!-- readme-test: skip: starts a server -->', // 15
      '````mjs', // 16
      '```', // 17
      '````', // 18
    ].join('\n')
    expect(readmeBlocks(md)).toEqual([
      { line: 2, lang: 'ts', code: 'a()', heading: 'Title' },
      { line: 8, lang: 'js', code: 'b()', heading: 'Part', skip: 'needs Redis' },
      { line: 12, lang: 'sh', code: 'ls', heading: 'Part' },
      { line: 16, lang: 'mjs', code: '```', heading: 'Part', skip: 'starts a server' },
    ])
  })

  it('refuses a skip without a reason, and an unknown directive', () => {
    expect(() => readmeBlocks('<!-- readme-test: skip -->\n```js\nx\n```', 'X.md')).toThrow(
      'X.md:1: readme-test: skip needs a reason',
    )
    expect(() => readmeBlocks('<!-- readme-test: only -->\n```js\nx\n```')).toThrow(
      /unknown readme-test directive/,
    )
  })
})

describe('withAssertions', () => {
  const where = (offset: number) => `R.md:${10 + offset}`

  it('turns //=> into assertions on the same lines', () => {
    const out = withAssertions(
      ['f(1) //=> 1', 'const x = g(); //=> { a: 1, … }', 'h(2)', '// note', '//=> [1]', 'plain()'].join('\n'),
      where,
    )
    const lines = out.split('\n')
    expect(lines).toHaveLength(6)
    expect(lines[0]).toMatch(/^const __readmeExpect = .*; ;__readmeExpect\(f\(1\), \(1\), "R\.md:10"\);$/)
    expect(lines[1]).toBe('const x = g(); __readmeExpect(x, ({ a: 1 }), "R.md:11");')
    expect(lines[2]).toBe(';__readmeExpect(h(2), ([1]), "R.md:14");')
    expect(lines.slice(3)).toEqual(['// note', '', 'plain()'])
  })

  it('leaves a block without //=> alone', () => {
    expect(withAssertions('a()\nb()', where)).toBe('a()\nb()')
  })

  it('refuses //=> after a multi-line expression or without a value', () => {
    expect(() => withAssertions('f({\n  a: 1,\n})\n//=> 1', where)).toThrow('R.md:13: //=> must follow')
    expect(() => withAssertions('f(1) //=>', where)).toThrow('R.md:10: //=> needs an expected value')
    expect(() => withAssertions("f('(') //=> 1", where)).not.toThrow()
  })
})
