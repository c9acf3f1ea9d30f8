import { describe, expect, test } from 'vitest'
import { backoffDelay, parseDiscordRetryAfter, parseRetryAfter } from '../src/backoff.js'

const options = { baseMs: 1000, maxMs: 30_000 }

describe('backoffDelay', () => {
  test('doubles per retry, with equal jitter between half and the full step', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, options, () => 0))).toEqual([500, 1000, 2000, 4000])
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, options, () => 0.999999))).toEqual([
      1000, 2000, 4000, 8000,
    ])
    expect(backoffDelay(2, options, () => 0.5)).toBe(1500)
  })

  test('is capped by maxMs, jitter included', () => {
    expect(backoffDelay(10, options, () => 0)).toBe(15_000)
    expect(backoffDelay(30, options, () => 1)).toBe(30_000)
  })

  test('clamps a random source that leaves [0, 1)', () => {
    expect(backoffDelay(1, options, () => -3)).toBe(500)
    expect(backoffDelay(1, options, () => 7)).toBe(1000)
    expect(backoffDelay(1, options, () => Number.NaN)).toBe(750)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 22, 12, 0, 0)
  test('reads delay-seconds, decimals included', () => {
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter(' 0.25 ', now)).toBe(250)
    expect(parseRetryAfter('0', now)).toBe(0)
  })
  test('reads an HTTP date relative to now, never negative', () => {
    expect(parseRetryAfter(new Date(now + 7000).toUTCString(), now)).toBe(7000)
    expect(parseRetryAfter(new Date(now - 7000).toUTCString(), now)).toBe(0)
  })
  test('returns undefined when absent or unreadable', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('', now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-5', now)).toBeUndefined()
  })
})

describe('parseDiscordRetryAfter', () => {
  test('reads retry_after in seconds from the JSON body', () => {
    expect(
      parseDiscordRetryAfter('{"message":"You are being rate limited.","retry_after":0.75,"global":false}'),
    ).toBe(750)
    expect(parseDiscordRetryAfter('{"retry_after":2}')).toBe(2000)
  })
  test('returns undefined for other bodies', () => {
    expect(parseDiscordRetryAfter('rate limited')).toBeUndefined()
    expect(parseDiscordRetryAfter('{"retry_after":"2"}')).toBeUndefined()
    expect(parseDiscordRetryAfter('{"retry_after":-1}')).toBeUndefined()
    expect(parseDiscordRetryAfter('null')).toBeUndefined()
  })
})
