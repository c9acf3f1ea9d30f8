import type { BanEvent } from '@bulwark/core'
import { afterEach, beforeEach, expect, test, vi } from 'vitest'
import { type CrowdSecError, crowdsecSource } from '../src/index.js'

const T0 = Date.UTC(2026, 0, 1)

function ban(ip: string, extra: Partial<BanEvent> = {}): BanEvent {
  return {
    type: 'ban',
    at: T0,
    subject: `ip:${ip}`,
    target: ip,
    ip,
    rule: 'burst',
    reason: 'Burst: 51 req/s (limit 50)',
    ttlS: 3600,
    expiresAt: T0 + 3_600_000,
    offense: 1,
    enforced: true,
    method: 'GET',
    path: '/api',
    ...extra,
  }
}

/** A Local API as a fetch function: `down` refuses connections; every request is recorded. */
function fakeLapi() {
  const calls: { method: string; path: string; auth?: string; body?: unknown }[] = []
  const state = { down: false, tokens: 0, rejectToken: '' }
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    const path = url.replace('http://lapi.test', '')
    const auth = (init.headers as Record<string, string>).authorization
    calls.push({
      method: String(init.method),
      path,
      auth,
      body: init.body ? JSON.parse(String(init.body)) : undefined,
    })
    if (state.down)
      throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:8080') })
    if (path === '/v1/watchers/login') {
      state.tokens++
      return Response.json({
        code: 200,
        token: `jwt-${state.tokens}`,
        expire: new Date(T0 + 3_600_000).toISOString(),
      })
    }
    if (auth === `Bearer ${state.rejectToken}`)
      return Response.json({ code: 401, message: 'Token is expired' }, { status: 401 })
    if (path === '/v1/alerts')
      return Response.json(
        ((init.body && JSON.parse(String(init.body))) as unknown[]).map((_, i) => String(i + 1)),
      )
    if (path.startsWith('/v1/decisions?')) return Response.json({ nbDeleted: '1' })
    return new Response('not found', { status: 404 })
  }
  return { calls, state, fetch }
}

let lapi: ReturnType<typeof fakeLapi>
beforeEach(() => {
  vi.useFakeTimers({ now: T0 })
  lapi = fakeLapi()
})
afterEach(() => {
  vi.useRealTimers()
})

function source(extra: Record<string, unknown> = {}) {
  const errors: CrowdSecError[] = []
  const s = crowdsecSource({
    url: 'http://lapi.test',
    machineId: 'm',
    password: 'p',
    fetch: lapi.fetch,
    random: () => 0.5,
    ...extra,
  })
  s.on('error', (e) => errors.push(e))
  return { s, errors }
}

test('one login, then the alert with its decision: scope, value, remaining duration, origin, scenario', async () => {
  const { s, errors } = source()
  s.push(ban('198.51.100.7', { expiresAt: T0 + 1_800_000 }))
  await s.flush()
  expect(errors).toEqual([])
  expect(lapi.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
    'POST /v1/watchers/login',
    'POST /v1/alerts',
  ])
  expect(lapi.calls[0]?.body).toEqual({
    machine_id: 'm',
    password: 'p',
    scenarios: ['bulwark/manual', 'bulwark/burst'],
  })
  expect(lapi.calls[1]?.auth).toBe('Bearer jwt-1')
  expect(lapi.calls[1]?.body).toEqual([
    expect.objectContaining({
      scenario: 'bulwark/burst',
      simulated: false,
      remediation: true,
      source: { scope: 'Ip', value: '198.51.100.7', ip: '198.51.100.7' },
      decisions: [
        {
          type: 'ban',
          duration: '1800s',
          value: '198.51.100.7',
          scope: 'Ip',
          origin: 'crowdsec',
          scenario: 'bulwark/burst',
          simulated: false,
        },
      ],
    }),
  ])
  expect(s.stats()).toMatchObject({ sent: 1, queued: 0, failures: 0, state: 'idle' })
  await s.close()
})

test('an IPv6 group is a Range; key, user and monitor-mode bans are not sent; expired bans are not sent', async () => {
  const { s } = source()
  s.push(ban('2001:db8:1:2::/64'))
  s.push({ ...ban('x'), subject: 'key:abc', target: 'key:abc' })
  s.push({ ...ban('x'), subject: 'user:42', target: 'user:42' })
  s.push(ban('192.0.2.9', { enforced: false }))
  s.push(ban('192.0.2.10', { expiresAt: T0 - 1 }))
  s.push({ nonsense: true } as unknown as BanEvent)
  await s.flush()
  const alerts = lapi.calls
    .filter((c) => c.path === '/v1/alerts')
    .flatMap((c) => c.body as { source: unknown }[])
  expect(alerts.map((a) => a.source)).toEqual([
    { scope: 'Range', value: '2001:db8:1:2::/64', range: '2001:db8:1:2::/64' },
  ])
  await s.close()
})

test('while the Local API is down: kept in order, retried with capped exponential backoff, sent when it is back', async () => {
  const { s, errors } = source({ backoff: { baseMs: 1000, maxMs: 4000 } })
  lapi.state.down = true
  s.push(ban('192.0.2.1'))
  s.push(ban('192.0.2.2'))
  await vi.advanceTimersByTimeAsync(0)
  expect(lapi.calls).toHaveLength(1)
  expect(s.stats()).toMatchObject({ state: 'retrying', queued: 2, failures: 1 })
  expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_CROWDSEC_NETWORK'])
  expect(errors[0]?.message).toContain('ECONNREFUSED')
  // random 0.5 → 3/4 of each step: 750, 1500, 3000, 3000 (capped at 4000)
  for (const wait of [750, 1500, 3000, 3000]) {
    const before = lapi.calls.length
    await vi.advanceTimersByTimeAsync(wait - 1)
    expect(lapi.calls.length).toBe(before)
    await vi.advanceTimersByTimeAsync(1)
    expect(lapi.calls.length).toBe(before + 1)
  }
  lapi.state.down = false
  await vi.advanceTimersByTimeAsync(3000)
  await s.flush()
  const alerts = lapi.calls.filter((c) => c.path === '/v1/alerts' && !lapi.state.down).at(-1)?.body as {
    source: { value: string }
  }[]
  expect(alerts.map((a) => a.source.value)).toEqual(['192.0.2.1', '192.0.2.2'])
  expect(s.stats()).toMatchObject({ state: 'idle', queued: 0, sent: 2, failures: 5 })
  await s.close()
})

test('bounded: a full queue drops the oldest ban and says so once', async () => {
  const { s, errors } = source({ queueSize: 3 })
  lapi.state.down = true
  for (let i = 1; i <= 5; i++) s.push(ban(`192.0.2.${i}`))
  await vi.advanceTimersByTimeAsync(0)
  expect(s.stats()).toMatchObject({ queued: 3, dropped: 2 })
  expect(errors.filter((e) => e.code === 'ERR_BULWARK_CROWDSEC_QUEUE_FULL')).toHaveLength(1)
  lapi.state.down = false
  await vi.advanceTimersByTimeAsync(60_000)
  const sent = lapi.calls.filter((c) => c.path === '/v1/alerts').at(-1)?.body as {
    source: { value: string }
  }[]
  expect(sent.map((a) => a.source.value)).toEqual(['192.0.2.3', '192.0.2.4', '192.0.2.5'])
  await s.close()
})

test('an expired token is renewed once, then the alert goes through', async () => {
  const { s, errors } = source()
  s.push(ban('192.0.2.1'))
  await s.flush()
  lapi.state.rejectToken = 'jwt-1'
  s.push(ban('192.0.2.2'))
  await s.flush()
  expect(errors).toEqual([])
  expect(lapi.calls.map((c) => `${c.method} ${c.path} ${c.auth ?? ''}`.trim())).toEqual([
    'POST /v1/watchers/login',
    'POST /v1/alerts Bearer jwt-1',
    'POST /v1/alerts Bearer jwt-1',
    'POST /v1/watchers/login',
    'POST /v1/alerts Bearer jwt-2',
  ])
  await s.close()
})

test('unban deletes the decisions of every scenario of the engine, for that address only', async () => {
  const { s } = source()
  const listeners = new Map<string, (e: unknown) => void>()
  const engine = {
    options: { rules: [{ id: 'burst' }, { id: 'scanner' }] },
    on: (event: string, fn: (e: unknown) => void) => listeners.set(event, fn),
    off: (event: string) => listeners.delete(event),
  }
  const detach = s.attach(engine as never)
  listeners.get('unban')?.({ type: 'unban', at: T0, subject: 'ip:192.0.2.1', target: '192.0.2.1' })
  listeners.get('unban')?.({ type: 'unban', at: T0, subject: 'key:abc', target: 'key:abc' })
  await s.flush()
  expect(lapi.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([
    '/v1/decisions?ip=192.0.2.1&scenario=bulwark%2Fmanual',
    '/v1/decisions?ip=192.0.2.1&scenario=bulwark%2Fburst',
    '/v1/decisions?ip=192.0.2.1&scenario=bulwark%2Fscanner',
  ])
  expect(s.stats().deleted).toBe(3)
  detach()
  expect(listeners.size).toBe(0)
  await s.close()
})

test('close() gives up at its deadline, drops what is left, and leaves no timer behind', async () => {
  const { s, errors } = source()
  lapi.state.down = true
  s.push(ban('192.0.2.1'))
  await vi.advanceTimersByTimeAsync(0)
  const closing = s.close({ timeoutMs: 2000 })
  await vi.advanceTimersByTimeAsync(2000)
  await closing
  expect(s.stats()).toMatchObject({ state: 'closed', queued: 0, dropped: 1 })
  expect(errors.map((e) => e.code)).toContain('ERR_BULWARK_CROWDSEC_CLOSE_TIMEOUT')
  expect(vi.getTimerCount()).toBe(0)
  s.push(ban('192.0.2.2'))
  expect(s.stats().queued).toBe(0)
  expect(() => s.attach({ on() {}, off() {} } as never)).toThrow(/ERR_BULWARK_CROWDSEC_CLOSED/)
})

test('bad options are errors with a code that say what to pass', () => {
  expect(() => crowdsecSource({ url: 'ftp://x', machineId: 'm', password: 'p' })).toThrow(
    /ERR_BULWARK_CROWDSEC_OPTIONS/,
  )
  expect(() => crowdsecSource({ url: 'http://u:p@x', machineId: 'm', password: 'p' })).toThrow(
    /plain base URL/,
  )
  expect(() => crowdsecSource({ url: 'http://x', machineId: '', password: 'p' })).toThrow(
    /cscli machines add/,
  )
  expect(() => crowdsecSource({ url: 'http://x', machineId: 'm', password: 'p', queueSize: 0 })).toThrow(
    /queueSize/,
  )
})
