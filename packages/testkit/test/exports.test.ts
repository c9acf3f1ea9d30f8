import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as api from '../src/index.js'
import * as readme from '../src/readme.js'

test('the public API is exactly this (a change here is a change for users)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'SPELLINGS',
    'T0',
    'adapterConformanceSuite',
    'chunkedUpload',
    'countBody',
    'fakeClock',
    'fuzzRequest',
    'headOnly',
    'ipv4',
    'ipv6InPrefix',
    'ipv6Prefix',
    'listen',
    'rawExchange',
    'repeat',
    'serve',
    'serveApp',
    'spellingsFor',
    'storeConformanceSuite',
  ])
  expect(Object.keys(readme).sort()).toEqual(['readmeBlocks', 'testReadme', 'withAssertions'])
})

test('the package is public, ESM only, with vitest as a peer', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(pkg.private).toBeUndefined()
  expect(pkg.publishConfig).toEqual({ access: 'public' })
  expect(Object.keys(pkg.exports)).toEqual(['.', './readme', './package.json'])
  expect(pkg.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' })
  expect(pkg.peerDependencies).toEqual({ vitest: '^4.0.0' })
  expect(pkg.engines).toEqual({ node: '>=20.18.1' })
})

test("the README's store example is test/example-store.test.ts, which runs with these tests", () => {
  const md = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const example = readFileSync(new URL('./example-store.test.ts', import.meta.url), 'utf8')
  const blocks = readme.readmeBlocks(md).filter((b) => b.lang === 'ts')
  expect(blocks.map((b) => `${b.code}\n`)).toContain(example)
})
