import { type Bulwark, type BulwarkOptions, createBulwark, MemoryStore } from '@bulwark/core'
import { type FakeClock, fakeClock } from '@bulwark/testkit'
import { vi } from 'vitest'
import { instrumentStore } from '../../src/index.js'

export const ATTACKER = '203.0.113.7'
export const SCANNER = '203.0.113.66'
export const PROBER = '203.0.113.9'
export const VISITORS = ['198.51.100.1', '198.51.100.2', '198.51.100.3']

/** The engine is an EventEmitter underneath: tests count its listeners. */
export type TestEngine = Bulwark & { listenerCount(event: string): number }

export interface Setup {
  engine: TestEngine
  clock: FakeClock
  /** The instrumented store given to the engine. */
  store: MemoryStore
  /** Calls that reached the memory store's hit(). */
  storeCalls: () => number
}

/** A real engine on an instrumented memory store, with a fake clock and no log output. */
export function setup(options: BulwarkOptions = {}): Setup {
  const clock = fakeClock()
  const inner = new MemoryStore()
  const hit = vi.spyOn(inner, 'hit')
  const store = instrumentStore(inner)
  const engine = createBulwark({ clock, store, logger: false, emitAllows: true, ...options }) as TestEngine
  return { engine, clock, store, storeCalls: () => hit.mock.calls.length }
}

const request = (engine: Bulwark, ip: string, path = '/api/items', headers: Record<string, string> = {}) =>
  engine.inspect({ ip, method: 'GET', path, headers })

/**
 * The scripted attack: a burst of 51 requests from one IP (the 51st is banned), one more request from it (refused
 * from the ban cache, no store call), a scanner user agent (banned at once), three visitors, a probe of `/.env`
 * (a suspicious event) and a request with an untrusted X-Forwarded-For (a diagnostic).
 */
export async function attack(engine: Bulwark): Promise<void> {
  for (let i = 0; i < 51; i++) await request(engine, ATTACKER)
  await request(engine, ATTACKER)
  await request(engine, SCANNER, '/', { 'user-agent': 'sqlmap/1.7.2#stable (https://sqlmap.org)' })
  for (const ip of VISITORS) await request(engine, ip)
  await request(engine, PROBER, '/.env')
  await request(engine, '198.51.100.4', '/api/items', { 'x-forwarded-for': '192.0.2.1' })
}

/** What the attack above must show, with `emitAllows: true`. */
export const EXPECTED = {
  decisions: [
    { labels: { conclusion: 'allow', rule: 'none' }, value: 50 + 3 + 1 },
    { labels: { conclusion: 'block', rule: 'burst' }, value: 2 },
    { labels: { conclusion: 'block', rule: 'scanner' }, value: 1 },
    { labels: { conclusion: 'allow', rule: 'probe' }, value: 1 },
  ],
  bansCreated: [
    { labels: { rule: 'burst' }, value: 1 },
    { labels: { rule: 'scanner' }, value: 1 },
  ],
  bansActive: [
    { labels: { rule: 'burst' }, value: 1 },
    { labels: { rule: 'scanner' }, value: 1 },
  ],
  suspicious: [{ labels: { kind: 'probe' }, value: 1 }],
  diagnostics: [{ labels: { code: 'BULWARK_XFF_UNTRUSTED' }, value: 1 }],
  /** Every request but the one refused from the ban cache went to the store. */
  storeCalls: 51 + 1 + 3 + 1 + 1,
}
