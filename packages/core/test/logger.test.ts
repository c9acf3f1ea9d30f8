import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  type ConsoleSink,
  consoleLogger,
  createConsoleLogger,
  formatLogTime,
  type Logger,
  silentLogger,
} from '../src/logger.ts'

// 2026-03-01 22:05:00 UTC, the specification's example line
const T = Date.UTC(2026, 2, 1, 22, 5, 0)

function capture() {
  const lines: Array<[keyof ConsoleSink, string]> = []
  const sink: ConsoleSink = {
    warn: (line) => lines.push(['warn', line]),
    error: (line) => lines.push(['error', line]),
    info: (line) => lines.push(['info', line]),
  }
  return { lines, sink }
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('console logger', () => {
  it("prints the specification's line: UTC time, level, logger name, en dash, message", () => {
    const { lines, sink } = capture()
    const log = createConsoleLogger({ now: () => T, sink })
    log.warn(
      'Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
    )
    log.error('store failed')
    log.info('store recovered')
    expect(lines).toEqual([
      [
        'warn',
        '2026-03-01 22:05:00 [WARNING] bulwark – Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
      ],
      ['error', '2026-03-01 22:05:00 [ERROR] bulwark – store failed'],
      ['info', '2026-03-01 22:05:00 [INFO] bulwark – store recovered'],
    ])
  })

  it('reads the clock on every line and pads every part to two digits', () => {
    const { lines, sink } = capture()
    let now = Date.UTC(2027, 0, 2, 3, 4, 5, 999)
    const log = createConsoleLogger({ now: () => now, sink, name: 'api' })
    log.warn('a')
    now += 1
    log.warn('b')
    expect(lines.map(([, line]) => line)).toEqual([
      '2027-01-02 03:04:05 [WARNING] api – a',
      '2027-01-02 03:04:06 [WARNING] api – b',
    ])
  })

  it('formats the time in UTC whatever the time zone', () => {
    expect(formatLogTime(T)).toBe('2026-03-01 22:05:00')
    expect(formatLogTime(0)).toBe('1970-01-01 00:00:00')
    expect(formatLogTime(Number.NaN)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/)
  })

  it('takes pino-style (fields, message) calls: the message, then the fields as JSON', () => {
    const { lines, sink } = capture()
    const log = createConsoleLogger({ now: () => T, sink })
    log.warn({ ip: '203.0.113.7', ttlS: 3600 }, 'Security Block activated')
    log.warn({}, 'no fields')
    log.info({ only: 'fields' })
    log.error(new TypeError('boom'), 'store call failed')
    log.error(new Error('bare'))
    const circular: Record<string, unknown> = {}
    circular.self = circular
    log.warn(circular, 'cannot serialize')
    log.warn({ big: 1n }, 'bigint')
    expect(lines.map(([level, line]) => `${level} ${line.slice('2026-03-01 22:05:00 '.length)}`)).toEqual([
      'warn [WARNING] bulwark – Security Block activated {"ip":"203.0.113.7","ttlS":3600}',
      'warn [WARNING] bulwark – no fields',
      'info [INFO] bulwark – {"only":"fields"}',
      'error [ERROR] bulwark – store call failed (TypeError: boom)',
      'error [ERROR] bulwark – Error: bare',
      'warn [WARNING] bulwark – cannot serialize [fields not serializable]',
      'warn [WARNING] bulwark – bigint [fields not serializable]',
    ])
  })

  it('never throws, even when the sink or the clock does', () => {
    const throwing: ConsoleSink = {
      warn: () => {
        throw new Error('EPIPE')
      },
      error: () => {},
      info: () => {},
    }
    expect(() => createConsoleLogger({ sink: throwing }).warn('x')).not.toThrow()
    const badClock = createConsoleLogger({
      now: () => {
        throw new Error('clock')
      },
      sink: capture().sink,
    })
    expect(() => badClock.error('x')).not.toThrow()
  })

  it('the default consoleLogger writes through console.warn / error / info at call time', () => {
    vi.useFakeTimers({ now: T, toFake: ['Date'] })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    const info = vi.spyOn(console, 'info').mockImplementation(() => {})
    try {
      consoleLogger.warn('w')
      consoleLogger.error('e')
      consoleLogger.info('i')
    } finally {
      vi.useRealTimers()
    }
    expect(warn.mock.calls).toEqual([['2026-03-01 22:05:00 [WARNING] bulwark – w']])
    expect(error.mock.calls).toEqual([['2026-03-01 22:05:00 [ERROR] bulwark – e']])
    expect(info.mock.calls).toEqual([['2026-03-01 22:05:00 [INFO] bulwark – i']])
  })

  it('still fits the Logger interface (message-only callers are unchanged)', () => {
    const asLogger: Logger = consoleLogger
    expect(typeof asLogger.warn).toBe('function')
    const plain: Logger = { warn: (message: string) => void message }
    expect(typeof plain.warn).toBe('function')
    expect(() => silentLogger.warn('nothing')).not.toThrow()
  })
})
