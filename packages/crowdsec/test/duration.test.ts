import { expect, test } from 'vitest'
import { formatGoDuration, parseGoDuration } from '../src/duration.js'

test('reads the durations the Local API writes', () => {
  expect(parseGoDuration('59m58.599541954s')).toBeCloseTo(3_598_599.541954, 5)
  expect(parseGoDuration('3h59m58.5s')).toBe(4 * 3_600_000 - 1500)
  expect(parseGoDuration('1h0m0s')).toBe(3_600_000)
  expect(parseGoDuration('500ms')).toBe(500)
  expect(parseGoDuration('1.5µs')).toBeCloseTo(0.0015, 10)
  expect(parseGoDuration('0')).toBe(0)
  // an expired decision in `deleted`
  expect(parseGoDuration('-51.472791ms')).toBeCloseTo(-51.472791, 6)
})

test('anything else is undefined, never NaN or a throw', () => {
  for (const bad of [
    '',
    '1',
    '1d',
    'h',
    '1h-2m',
    ' 1h',
    '1h ',
    'NaN',
    '9'.repeat(70),
    3600,
    null,
    undefined,
    {},
  ]) {
    expect(parseGoDuration(bad)).toBeUndefined()
  }
})

test('writes whole seconds, at least 1s', () => {
  expect(formatGoDuration(3_600_000)).toBe('3600s')
  expect(formatGoDuration(1500)).toBe('2s')
  expect(formatGoDuration(0)).toBe('1s')
})
