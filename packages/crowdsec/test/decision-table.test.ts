import { expect, test } from 'vitest'
import { DecisionTable, type HeldDecision, readDecision } from '../src/decision-table.js'

const BAN = new Set(['ban'])
const T0 = 1_800_000_000_000

function held(id: number, value: string, untilMs: number, scope: 'ip' | 'range' = 'ip'): HeldDecision {
  return { id, scope, value, until: T0 + untilMs, type: 'ban', origin: 'cscli', scenario: 's' }
}

test('reads Ip and Range bans, with their remaining duration', () => {
  expect(
    readDecision(
      {
        id: 7,
        type: 'ban',
        scope: 'Ip',
        value: '198.51.100.7',
        duration: '59m58.5s',
        origin: 'crowdsec',
        scenario: 'x',
      },
      T0,
      BAN,
    ),
  ).toEqual({
    id: 7,
    scope: 'ip',
    value: '198.51.100.7',
    until: T0 + 3_598_500,
    type: 'ban',
    origin: 'crowdsec',
    scenario: 'x',
  })
  expect(
    readDecision({ id: 8, type: 'ban', scope: 'Range', value: '2001:db8::/32', duration: '10m' }, T0, BAN),
  ).toMatchObject({ scope: 'range', value: '2001:db8::/32', until: T0 + 600_000 })
})

test('skips what it cannot apply: other scopes and types, bad addresses, bad durations', () => {
  const base = { id: 1, type: 'ban', scope: 'Ip', value: '192.0.2.1', duration: '1h' }
  for (const bad of [
    { ...base, scope: 'Username', value: 'bob' },
    { ...base, scope: 'Country', value: 'FR' },
    { ...base, type: 'captcha' },
    { ...base, value: '192.0.2.300' },
    { ...base, value: '192.0.2.1/24' },
    { ...base, scope: 'Range', value: '192.0.2.0/33' },
    { ...base, scope: 'Range', value: '192.0.2.0' },
    { ...base, scope: 'Range', value: '192.0.2.0/x' },
    { ...base, duration: '4 hours' },
    { ...base, id: '1' },
    null,
    'ban',
  ]) {
    expect(readDecision(bad, T0, BAN)).toBeUndefined()
  }
  expect(readDecision({ ...base, type: 'captcha' }, T0, new Set(['ban', 'captcha']))).toBeDefined()
})

test('a target stays banned until its last decision ends, and its end is the latest', () => {
  const table = new DecisionTable(100)
  let r = table.apply([held(1, '192.0.2.1', 60_000), held(2, '192.0.2.1', 120_000)], [], T0)
  expect([...r.changes.upserts]).toEqual([
    ['192.0.2.1', { scope: 'ip', until: T0 + 120_000, scenario: 's', origin: 'cscli' }],
  ])
  r = table.apply([], [2], T0)
  expect(r.changes.upserts.get('192.0.2.1')?.until).toBe(T0 + 60_000)
  expect(r.changes.removals.size).toBe(0)
  r = table.apply([], [1, 99], T0)
  expect([...r.changes.removals]).toEqual(['192.0.2.1'])
  expect(table.size).toBe(0)
})

test('a full resync removes what is gone and keeps what is still there', () => {
  const table = new DecisionTable(100)
  table.apply([held(1, '192.0.2.1', 60_000), held(2, '203.0.113.0/24', 60_000, 'range')], [], T0)
  const r = table.replace([held(5, '203.0.113.0/24', 90_000, 'range')], T0)
  expect([...r.changes.removals]).toEqual(['192.0.2.1'])
  expect(r.changes.upserts.get('203.0.113.0/24')?.until).toBe(T0 + 90_000)
  expect([...table.targets().keys()]).toEqual(['203.0.113.0/24'])
})

test('bounded: beyond maxDecisions new decisions are refused and counted; ended ones are pruned', () => {
  const table = new DecisionTable(2)
  const r = table.apply(
    [held(1, '192.0.2.1', 1000), held(2, '192.0.2.2', 5000), held(3, '192.0.2.3', 5000)],
    [],
    T0,
  )
  expect(r.refused).toBe(1)
  expect(table.size).toBe(2)
  expect(table.prune(T0 + 1000)).toBe(1)
  expect(table.apply([held(3, '192.0.2.3', 5000)], [], T0 + 1000).refused).toBe(0)
  // an already-ended decision is not taken
  expect(table.apply([held(4, '192.0.2.4', 10)], [], T0 + 1000).changes.upserts.size).toBe(0)
})
