import { Writable } from 'node:stream'
import { fakeClock } from '@bulwark/testkit'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { createBulwark, createConsoleLogger, MemoryStore, type Store } from '../src/index.js'
import { isPinoCompatible, writeLog } from '../src/logger.js'

/** A real pino logger writing JSON lines into an array. */
function pinoLines() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    },
  })
  const logger = pino({ level: 'info', base: null, timestamp: false }, stream)
  return { logger, lines }
}

const facts = (ip = '203.0.113.7') => ({ ip, method: 'GET', path: '/api/items', headers: {} })

/** A memory store whose hit can be made to fail. */
function flakyStore() {
  const state = { fail: false }
  const inner = new MemoryStore()
  const store = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'name') return 'flaky'
      if (key === 'capabilities') return undefined // a shared store, as Redis is
      if (key === 'hit')
        return (op: Parameters<Store['hit']>[0]) =>
          state.fail ? Promise.reject(new Error('ECONNREFUSED')) : target.hit(op)
      const v = Reflect.get(target, key, receiver)
      return typeof v === 'function' ? v.bind(target) : v
    },
  }) as Store
  return { store, state }
}

describe('structured logs through a real pino logger', () => {
  it('a ban is one warn line with event, rule, subject, ttlS, and the human line as msg', async () => {
    const { logger, lines } = pinoLines()
    const engine = createBulwark({ clock: fakeClock(), logger })
    for (let i = 0; i < 51; i++) await engine.inspect(facts())
    await engine.close()
    expect(lines).toEqual([
      {
        level: 40,
        event: 'ban',
        rule: 'burst',
        subject: 'ip:203.0.113.7',
        ttlS: 3600,
        ip: '203.0.113.7',
        reason: expect.stringContaining('Burst'),
        offense: 1,
        enforced: true,
        msg: expect.stringMatching(
          /^Security Block activated \| IP: 203\.0\.113\.7 \| Reason: Burst.* \| Duration: 3600s$/,
        ),
      },
    ])
  })

  it('a diagnostic carries its code; a store outage carries ERR_BULWARK_STORE; an error its code', async () => {
    const { logger, lines } = pinoLines()
    const { store, state } = flakyStore()
    const clock = fakeClock()
    const engine = createBulwark({ clock, logger, store, breaker: { failureThreshold: 1, cooldownMs: 1000 } })
    state.fail = true
    await engine.inspect(facts())
    state.fail = false
    clock.advance(1000)
    await engine.inspect(facts())
    engine.reportError(new Error('adapter callback failed'))
    await engine.close()
    expect(lines.map(({ msg: _m, ...fields }) => fields)).toEqual([
      { level: 40, event: 'diagnostic', code: 'BULWARK_KEY_SECRET_RANDOM', detail: 'store: flaky' },
      {
        level: 40,
        event: 'store',
        state: 'degraded',
        store: 'flaky',
        code: 'ERR_BULWARK_STORE',
        error: 'ECONNREFUSED',
        failureMode: 'open',
      },
      { level: 40, event: 'store', state: 'recovered', store: 'flaky' },
      {
        level: 50,
        event: 'error',
        code: 'ERR_BULWARK_STORE',
        err: expect.objectContaining({ type: 'BulwarkError', code: 'ERR_BULWARK_STORE' }),
      },
    ])
    expect(lines[1]?.msg).toBe(
      'Bulwark store flaky unavailable (ECONNREFUSED): deciding from a local memory store until it recovers',
    )
    expect(lines[2]?.msg).toBe('Bulwark store flaky recovered')
  })

  it('a pino child logger (as fastify.log gives per request) is pino-compatible too', async () => {
    const { logger, lines } = pinoLines()
    const engine = createBulwark({ clock: fakeClock(), logger: logger.child({ app: 'shop' }) })
    await engine.ban('198.51.100.9', { ttlMs: 60_000, reason: 'by hand' })
    for (let i = 0; i < 51; i++) await engine.inspect(facts('198.51.100.10'))
    await engine.close()
    expect(lines.at(-1)).toMatchObject({ app: 'shop', event: 'ban', rule: 'burst', ttlS: 3600 })
  })
})

describe('message-only loggers are unchanged', () => {
  it("the console logger prints the specification's line, no fields appended", async () => {
    const lines: string[] = []
    const sink = { warn: (l: string) => lines.push(l), error: (l: string) => lines.push(l), info: () => {} }
    const T = Date.UTC(2026, 2, 1, 22, 5, 0)
    const logger = createConsoleLogger({ now: () => T, sink })
    const engine = createBulwark({ clock: fakeClock(T), logger })
    for (let i = 0; i < 51; i++) await engine.inspect(facts())
    await engine.close()
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      /^2026-03-01 22:05:00 \[WARNING\] bulwark – Security Block activated \| IP: 203\.0\.113\.7 \| Reason: Burst[^{}]* \| Duration: 3600s$/,
    )
  })

  it('a { warn } object, console and winston-like loggers get one string argument', () => {
    const calls: unknown[][] = []
    const plain = { warn: (...a: unknown[]) => calls.push(a) }
    writeLog(plain, 'error', { event: 'error', code: 'X' }, 'falls back to warn')
    expect(calls).toEqual([['falls back to warn']])
    expect(isPinoCompatible(console)).toBe(false)
    expect(isPinoCompatible({ warn() {}, child() {}, level: 'info' })).toBe(false) // winston's shape
    expect(isPinoCompatible(pino({ enabled: false }))).toBe(true)
    expect(isPinoCompatible(null)).toBe(false)
  })

  it('a throwing logger never reaches the caller', () => {
    const bad = {
      warn: () => {
        throw new Error('EPIPE')
      },
    }
    expect(() => writeLog(bad, 'warn', { event: 'ban' }, 'x')).not.toThrow()
    expect(() => writeLog(null, 'warn', { event: 'ban' }, 'x')).not.toThrow()
  })
})
