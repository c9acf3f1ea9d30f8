import { createBulwark, type DenyEntry, type DenySink, silentLogger } from '@bulwark/core'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { type CrowdSecError, crowdsecBouncer } from '../src/index.js'

const T0 = Date.UTC(2026, 0, 1)

/** The engine's side, recording what the bouncer did. */
function sink() {
  const bans = new Map<string, DenyEntry>()
  const log: string[] = []
  const s: DenySink = {
    replace(entries) {
      bans.clear()
      let added = 0
      for (const e of entries) {
        bans.set(e.target, e)
        added++
      }
      log.push(`replace ${added}`)
      return { added, rejected: 0 }
    },
    add(e) {
      bans.set(e.target, e)
      log.push(`add ${e.target}`)
      return true
    },
    remove(target) {
      log.push(`remove ${target}`)
      return bans.delete(target)
    },
    get size() {
      return bans.size
    },
    error(e) {
      log.push(`error ${(e as CrowdSecError).code}`)
    },
  }
  return { bans, log, sink: s }
}

/** A Local API as a fetch function, answering what `answers` holds next (or failing while `down`). */
function fakeLapi() {
  const paths: string[] = []
  const state: { down: boolean; answers: (string | object)[] } = { down: false, answers: [] }
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    paths.push(url.replace('http://lapi.test', ''))
    expect((init.headers as Record<string, string>)['x-api-key']).toBe('key')
    if (state.down) throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })
    const next = state.answers.shift() ?? { new: null, deleted: null }
    return new Response(typeof next === 'string' ? next : JSON.stringify(next), { status: 200 })
  }
  return { paths, state, fetch }
}

const decision = (id: number, value: string, duration = '1h', scope = 'Ip') => ({
  id,
  type: 'ban',
  scope,
  value,
  duration,
  origin: 'cscli',
  scenario: 'manual',
})

let lapi: ReturnType<typeof fakeLapi>
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  lapi = fakeLapi()
})
afterEach(() => {
  vi.useRealTimers()
})

function bouncer(extra: Record<string, unknown> = {}) {
  const errors: CrowdSecError[] = []
  const b = crowdsecBouncer({
    url: 'http://lapi.test',
    apiKey: 'key',
    intervalMs: 10_000,
    fetch: lapi.fetch,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 4000 },
    ...extra,
  })
  b.on('error', (e) => errors.push(e))
  return { b, errors }
}

test('pulls startup first, then deltas every intervalMs; TTLs are what is left of each decision', async () => {
  const { b } = bouncer()
  const { bans, log, sink: s } = sink()
  lapi.state.answers.push({
    new: [decision(1, '192.0.2.1', '59m30s'), decision(2, '203.0.113.0/24', '10m', 'Range')],
  })
  await b.start(s)
  expect(lapi.paths).toEqual(['/v1/decisions/stream?startup=true&scopes=ip,range'])
  expect(bans.get('192.0.2.1')).toEqual({
    target: '192.0.2.1',
    ttlMs: 3_570_000,
    reason: 'CrowdSec manual (cscli)',
  })
  expect(bans.get('203.0.113.0/24')?.ttlMs).toBe(600_000)

  lapi.state.answers.push({ new: [decision(3, '192.0.2.3')], deleted: [decision(1, '192.0.2.1', '-1s')] })
  await vi.advanceTimersByTimeAsync(9_999)
  expect(lapi.paths).toHaveLength(1)
  await vi.advanceTimersByTimeAsync(1)
  expect(lapi.paths.at(-1)).toBe('/v1/decisions/stream?startup=false&scopes=ip,range')
  expect(log).toEqual(['replace 2', 'remove 192.0.2.1', 'add 192.0.2.3'])
  expect(b.stats()).toMatchObject({
    decisions: 2,
    targets: 2,
    pulls: 2,
    resyncs: 1,
    state: 'synced',
    lastPullAt: T0 + 10_000,
  })
  await b.close()
})

test('a failed pull keeps the bans, retries with backoff, and the next success is a full resync', async () => {
  const { b, errors } = bouncer()
  const { bans, log, sink: s } = sink()
  lapi.state.answers.push({ new: [decision(1, '192.0.2.1'), decision(2, '192.0.2.2')] })
  await b.start(s)
  lapi.state.down = true
  await vi.advanceTimersByTimeAsync(10_000)
  expect(b.stats()).toMatchObject({ state: 'retrying', failures: 1 })
  expect(bans.size).toBe(2)
  // random 0.5 → 3/4 of each step: 750, 1500, 3000, then capped
  for (const wait of [750, 1500, 3000, 3000]) {
    const before = lapi.paths.length
    await vi.advanceTimersByTimeAsync(wait - 1)
    expect(lapi.paths.length).toBe(before)
    await vi.advanceTimersByTimeAsync(1)
    expect(lapi.paths.length).toBe(before + 1)
  }
  expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['ERR_BULWARK_CROWDSEC_NETWORK']))
  lapi.state.down = false
  lapi.state.answers.push({ new: [decision(2, '192.0.2.2'), decision(5, '192.0.2.5')] })
  await vi.advanceTimersByTimeAsync(3000)
  expect(lapi.paths.at(-1)).toBe('/v1/decisions/stream?startup=true&scopes=ip,range')
  expect([...bans.keys()].sort()).toEqual(['192.0.2.2', '192.0.2.5'])
  expect(log.at(-1)).toBe('replace 2')
  expect(b.stats()).toMatchObject({ state: 'synced', resyncs: 2, failures: 5 })
  await b.close()
})

test('an unreadable answer is an error and changes nothing; bad decisions inside a good answer are skipped', async () => {
  const { b, errors } = bouncer()
  const { bans, sink: s } = sink()
  lapi.state.answers.push({ new: [decision(1, '192.0.2.1')] })
  await b.start(s)
  lapi.state.answers.push('<html>proxy error</html>')
  await b.sync()
  lapi.state.answers.push({ new: 'nope' })
  await b.sync()
  expect(errors.map((e) => e.code)).toEqual([
    'ERR_BULWARK_CROWDSEC_RESPONSE',
    'ERR_BULWARK_CROWDSEC_RESPONSE',
  ])
  expect([...bans.keys()]).toEqual(['192.0.2.1'])
  // after a failure the next pull is a full list
  lapi.state.answers.push({
    new: [
      decision(1, '192.0.2.1'),
      decision(7, 'not-an-ip'),
      { ...decision(8, 'bob'), scope: 'Username' },
      { ...decision(9, '192.0.2.9'), type: 'captcha' },
      decision(10, '192.0.2.10', 'forever'),
      null,
      decision(11, '192.0.2.11'),
    ],
  })
  await b.sync()
  expect(lapi.paths.at(-1)).toBe('/v1/decisions/stream?startup=true&scopes=ip,range')
  expect([...bans.keys()].sort()).toEqual(['192.0.2.1', '192.0.2.11'])
  await b.close()
})

test('bounded: over maxDecisions new decisions are ignored and said once; over maxResponseBytes the answer is refused', async () => {
  const { b, errors } = bouncer({ maxDecisions: 2, maxResponseBytes: 2000 })
  const { bans, sink: s } = sink()
  lapi.state.answers.push({
    new: [decision(1, '192.0.2.1'), decision(2, '192.0.2.2'), decision(3, '192.0.2.3')],
  })
  await b.start(s)
  expect(bans.size).toBe(2)
  expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_CROWDSEC_TOO_MANY'])
  lapi.state.answers.push({ new: Array.from({ length: 50 }, (_, i) => decision(100 + i, `198.51.100.${i}`)) })
  await b.sync()
  expect(errors.at(-1)?.code).toBe('ERR_BULWARK_CROWDSEC_RESPONSE')
  expect(errors.at(-1)?.message).toContain('maxResponseBytes')
  expect(bans.size).toBe(2)
  await b.close()
})

test('close() stops pulling and leaves no timer; start() after close() rejects', async () => {
  const { b } = bouncer()
  await b.start(sink().sink)
  expect(vi.getTimerCount()).toBe(1)
  await b.close()
  expect(vi.getTimerCount()).toBe(0)
  expect(b.stats().state).toBe('closed')
  await vi.advanceTimersByTimeAsync(60_000)
  expect(lapi.paths).toHaveLength(1)
  await expect(b.start(sink().sink)).rejects.toThrow(/ERR_BULWARK_CROWDSEC_CLOSED/)
})

test('a LAPI that does not answer within timeoutMs is a timeout error, and start() still resolves', async () => {
  vi.useRealTimers()
  const b = crowdsecBouncer({
    url: 'http://lapi.test',
    apiKey: 'key',
    timeoutMs: 50,
    fetch: (_url, init) =>
      new Promise((_, reject) => init.signal?.addEventListener('abort', () => reject(new Error('aborted')))),
  })
  const errors: CrowdSecError[] = []
  b.on('error', (e) => errors.push(e))
  await b.start(sink().sink)
  expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_CROWDSEC_TIMEOUT'])
  await b.close()
})

test('bad options are errors with a code that say what to pass', () => {
  expect(() => crowdsecBouncer({ url: 'http://x', apiKey: '' })).toThrow(/cscli bouncers add/)
  expect(() => crowdsecBouncer({ url: 'nope', apiKey: 'k' })).toThrow(/ERR_BULWARK_CROWDSEC_OPTIONS/)
  expect(() => crowdsecBouncer({ url: 'http://x', apiKey: 'k', types: [] })).toThrow(/types/)
  expect(() => crowdsecBouncer({ url: 'http://x', apiKey: 'k', intervalMs: 0.5 })).toThrow(/intervalMs/)
  expect(() => crowdsecBouncer({ url: 'http://x', apiKey: 'k', origins: [''] })).toThrow(/origins/)
})

test('a full list is asked for again every resyncMs, even when every pull succeeds', async () => {
  const { b } = bouncer({ intervalMs: 10_000, resyncMs: 30_000 })
  const { bans, sink: s } = sink()
  lapi.state.answers.push({ new: [decision(1, '192.0.2.1')] })
  await b.start(s)
  await vi.advanceTimersByTimeAsync(30_000)
  expect(lapi.paths.map((p) => p.includes('startup=true'))).toEqual([true, false, false, true])
  // the LAPI forgot decision 1 (a new database): the resync says so
  expect(bans.size).toBe(0)
  await b.close()
})

test('without an error listener, errors go to the engine (sink.error) once per kind until the next success', async () => {
  const b = crowdsecBouncer({
    url: 'http://lapi.test',
    apiKey: 'key',
    fetch: lapi.fetch,
    random: () => 0.5,
    backoff: { baseMs: 1000, maxMs: 1000 },
  })
  const { log, sink: s } = sink()
  lapi.state.down = true
  await b.start(s)
  await vi.advanceTimersByTimeAsync(5000)
  expect(lapi.paths.length).toBeGreaterThan(3)
  expect(log).toEqual(['error ERR_BULWARK_CROWDSEC_NETWORK'])
  lapi.state.down = false
  await vi.advanceTimersByTimeAsync(1000)
  lapi.state.down = true
  await vi.advanceTimersByTimeAsync(10_000)
  expect(log).toEqual([
    'error ERR_BULWARK_CROWDSEC_NETWORK',
    'replace 0',
    'error ERR_BULWARK_CROWDSEC_NETWORK',
  ])
  await b.close()
})

test("in an engine: a LAPI that is down is one 'error' event, the engine starts and decides meanwhile", async () => {
  vi.useRealTimers()
  const bouncer = crowdsecBouncer({
    url: 'http://lapi.test',
    apiKey: 'key',
    fetch: async () => {
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8080') })
    },
  })
  const engine = createBulwark({ deny: [bouncer], logger: silentLogger })
  const errors: unknown[] = []
  engine.on('error', (e) => errors.push(e))
  await engine.ready
  expect(await engine.inspect({ ip: '192.0.2.1', method: 'GET', path: '/', headers: {} })).toMatchObject({
    conclusion: 'allow',
  })
  await engine.close()
  expect(errors).toHaveLength(1)
  // the engine may report it as is or wrapped in its own error: either way it names the cause
  const error = errors[0] as Error & { code?: string; cause?: { code?: string } }
  expect([error.code, error.cause?.code]).toContain('ERR_BULWARK_CROWDSEC_NETWORK')
  expect(error.message).toContain('ECONNREFUSED')
  expect(bouncer.stats().state).toBe('closed')
})
