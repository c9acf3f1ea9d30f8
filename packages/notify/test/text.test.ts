import { describe, expect, test } from 'vitest'
import { clamp, formatPeriod, formatText, oneLine } from '../src/text.js'
import type { Digest } from '../src/types.js'
import { banEvent, unbanEvent } from './helpers/events.js'

describe('formatText', () => {
  test("writes the seed's line for a ban", () => {
    expect(formatText({ kind: 'ban', id: 'msg_1', event: banEvent() })).toBe(
      'Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
    )
  })

  test('labels a monitor-mode ban', () => {
    expect(formatText({ kind: 'ban', id: 'msg_1', event: banEvent({ enforced: false }) })).toBe(
      'Security Block observed (monitor mode) | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
    )
  })

  test('names an API-key subject and the IP behind it', () => {
    const event = banEvent({
      subject: 'key:9f86d081',
      target: '9f86d081',
      ip: '198.51.100.4',
      rule: 'auth-failures',
    })
    expect(formatText({ kind: 'ban', id: 'm', event })).toMatch(
      /^Security Block activated \| Key: 9f86d081 \| IP: 198\.51\.100\.4 \|/,
    )
  })

  test('keeps one notification on one line (no log injection)', () => {
    const event = banEvent({ reason: 'manual\nSecurity Block activated | IP: 1.1.1.1\r\u2028x' })
    const line = formatText({ kind: 'ban', id: 'm', event })
    expect(line).not.toMatch(/[\n\r\u2028]/)
  })

  test('writes an unban', () => {
    expect(formatText({ kind: 'unban', id: 'm', event: unbanEvent() })).toBe(
      'Security Block lifted | IP: 203.0.113.7',
    )
  })

  test('writes a digest: "37 more IPs banned in the last minute: …"', () => {
    const digest: Digest = {
      at: 0,
      since: 0,
      intervalMs: 60_000,
      banned: 37,
      monitor: 0,
      unbanned: 0,
      targets: ['198.51.100.1', '198.51.100.2'],
      allIps: true,
      rules: { burst: 30, probe: 7 },
    }
    expect(formatText({ kind: 'digest', id: 'm', digest })).toBe(
      'Security Block digest | 37 more IPs banned in the last minute: 198.51.100.1, 198.51.100.2 and 35 more | Rules: burst 30, probe 7',
    )
    const other = {
      ...digest,
      banned: 1,
      targets: ['k1'],
      allIps: false,
      monitor: 1,
      unbanned: 2,
      intervalMs: 300_000,
      rules: { manual: 1 },
    }
    expect(formatText({ kind: 'digest', id: 'm', digest: other })).toBe(
      'Security Block digest | 1 more subject banned in the last 5 minutes (1 in monitor mode), 2 unbans: k1 | Rules: manual 1',
    )
    const onlyUnbans = { ...digest, banned: 0, targets: [], unbanned: 4, rules: {} }
    expect(formatText({ kind: 'digest', id: 'm', digest: onlyUnbans })).toBe(
      'Security Block digest | 4 more unbans in the last minute',
    )
  })
})

describe('helpers', () => {
  test('formatPeriod', () => {
    expect([60_000, 120_000, 1000, 30_000, 3_600_000, 1500].map(formatPeriod)).toEqual([
      'minute',
      '2 minutes',
      'second',
      '30 seconds',
      'hour',
      '1500 ms',
    ])
  })
  test('clamp does not split a surrogate pair', () => {
    expect(clamp('abcdef', 4)).toBe('abc…')
    expect(clamp('ab😀cd', 4)).toBe('ab…')
    expect(clamp('abc', 3)).toBe('abc')
  })
  test('oneLine', () => {
    expect(oneLine('a\r\n\tb\u0000c')).toBe('a b c')
  })
})
