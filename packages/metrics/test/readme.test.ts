import { readFileSync } from 'node:fs'
import { testReadme } from '@bulwark/testkit/readme'
import { expect, test } from 'vitest'
import { INSTRUMENTS } from '../src/index.js'

// The framework examples listen on PORT: a free one here. The RedisStore example talks to the Redis the other
// packages' tests use (REDIS_URL, default redis://127.0.0.1:6379).
testReadme(new URL('../README.md', import.meta.url), {
  env: {
    PORT: '0',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    BULWARK_KEY_SECRET: 'readme-example-secret-0123456789',
  },
})

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
