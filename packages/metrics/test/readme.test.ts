import { readFileSync } from 'node:fs'
import { testReadme } from '@bulwark/testkit/readme'
import { expect, test } from 'vitest'
import { INSTRUMENTS } from '../src/index.js'

// The framework examples listen on PORT: a free one here.
testReadme(new URL('../README.md', import.meta.url), { env: { PORT: '0' } })

test('the instrument table lists every instrument, with its type and labels', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const rows = readme
    .split('\n')
    .filter((line) => /^\| `bulwark_/.test(line))
    .map((line) => line.split('|').map((cell) => cell.trim()))
  expect(rows.map(([, name, type, labels]) => [name, type, labels]).sort()).toEqual(
    Object.values(INSTRUMENTS)
      .map((s) => [`\`bulwark_${s.name}\``, s.type, s.labels.map((l) => `\`${l}\``).join(', ')])
      .sort(),
  )
})
