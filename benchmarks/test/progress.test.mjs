// The run's progress: the output format on a terminal (one status line rewritten in place) and in CI or a pipe
// (plain lines), with an injected stream and clock. Never timing.
import { describe, expect, it } from 'vitest'
import { createProgress, formatLeft, isLive } from '../lib/progress.mjs'

const SUITES = ['engine', 'http', 'memory']
const ESTIMATES = { engine: 60, http: 200, memory: 60 }

function setup(live) {
  const stream = {
    isTTY: live,
    columns: 200,
    text: '',
    write(s) {
      this.text += s
    },
  }
  let t = 1_000_000
  const clock = {
    now: () => t,
    advance: (s) => {
      t += s * 1000
    },
  }
  const p = createProgress({
    stream,
    live,
    now: clock.now,
    suites: SUITES,
    estimates: ESTIMATES,
    refreshMs: 0,
  })
  return { stream, clock, p }
}

describe('formatLeft', () => {
  it('rounds to seconds under a minute and to 5 s above', () => {
    expect(formatLeft(0.4)).toBe('almost done')
    expect(formatLeft(42.4)).toBe('about 42 s left')
    expect(formatLeft(60)).toBe('about 1 min left')
    expect(formatLeft(131)).toBe('about 2 min 10 s left')
    expect(formatLeft(Number.NaN)).toBe('')
  })
})

describe('isLive', () => {
  it('is live on a TTY unless CI is set', () => {
    expect(isLive({ isTTY: true }, {})).toBe(true)
    expect(isLive({ isTTY: true }, { CI: 'true' })).toBe(false)
    expect(isLive({ isTTY: true }, { CI: '1' })).toBe(false)
    expect(isLive({ isTTY: true }, { CI: 'false' })).toBe(true)
    expect(isLive({ isTTY: false }, {})).toBe(false)
    expect(isLive({}, {})).toBe(false)
  })
})

describe('plain progress (CI, a pipe)', () => {
  it('prints one line per step with suite, round, variant, count and the time left; no escape codes', () => {
    const { stream, clock, p } = setup(false)
    p.line('▶ engine')
    p.suiteStart('engine')
    clock.advance(50)
    p.suiteEnd('engine', 50) // faster than its 60 s estimate: the rest is scaled by 50/60
    p.line('  ok in 50.0 s')
    p.line('▶ http')
    p.suiteStart('http')
    p.step({ label: 'express: warm-up' })
    p.step({ round: 1, rounds: 3, label: 'express, memory: Bulwark', done: 0, total: 63 })
    p.step({ round: 1, rounds: 3, label: 'express, memory: Bulwark', done: 0, total: 63 }) // unchanged: no line
    clock.advance(30)
    p.step({ round: 1, rounds: 3, label: 'express, redis: Bulwark (RedisStore)', done: 10, total: 63 })
    p.end()
    expect(stream.text).toBe(
      [
        '▶ engine',
        // engine 60 s + http 200 s + memory 60 s
        '  … engine (suite 1/3) · about 5 min 20 s left',
        '  ok in 50.0 s',
        '▶ http',
        '  … http (suite 2/3) · about 3 min 35 s left',
        // http 200 s × 50/60 = 167 s, memory 60 × 50/60 = 50 s: 217 s → 215 (5-second steps)
        '  … http (suite 2/3) · express: warm-up · about 3 min 35 s left',
        '  … http (suite 2/3) · round 1/3 · express, memory: Bulwark · 0/63 · about 3 min 35 s left',
        // 30 s for 10 of 63 steps: 159 s for the rest of http, + 50 s for memory
        '  … http (suite 2/3) · round 1/3 · express, redis: Bulwark (RedisStore) · 10/63 · about 3 min 30 s left',
        '',
      ].join('\n'),
    )
    expect(stream.text).not.toContain('\x1b')
  })

  it('prints one line for a suite that reports no named steps: where the run is and what is left', () => {
    const { stream, p } = setup(false)
    p.suiteStart('memory')
    p.step({ done: 3, total: 18 })
    p.end()
    expect(stream.text).toBe('  … memory (suite 3/3) · about 1 min left\n')
  })
})

describe('live progress (a terminal)', () => {
  it('rewrites one status line in place and keeps the suite lines above it', () => {
    const { stream, clock, p } = setup(true)
    p.suiteStart('engine')
    expect(stream.text).toBe('\r\x1b[2K  ⏳ engine (suite 1/3) · about 5 min 20 s left')
    stream.text = ''
    clock.advance(10)
    p.step({ round: 2, rounds: 5, label: 'allowed: bulwark (all rules)', done: 9, total: 40 })
    expect(stream.text).toBe(
      // the estimate (60 − 10 s) is more than the steps say (10 s / 9 × 31 = 34 s): 50 + 260 = 310 s
      '\r\x1b[2K  ⏳ engine (suite 1/3) · round 2/5 · allowed: bulwark (all rules) · 9/40 · about 5 min 10 s left',
    )
    stream.text = ''
    p.line('  engine: 8 allowed-path variants')
    expect(stream.text).toBe(
      '\r\x1b[2K  engine: 8 allowed-path variants\n\r\x1b[2K  ⏳ engine (suite 1/3) · round 2/5 · allowed: bulwark (all rules) · 9/40 · about 5 min 10 s left',
    )
    stream.text = ''
    p.suiteEnd('engine', 10)
    p.line('  ok in 10.0 s') // between suites: no status line is drawn again
    p.end()
    expect(stream.text).toBe('\r\x1b[2K  ok in 10.0 s\n')
  })

  it('cuts the status line to the terminal width', () => {
    const { stream, p } = setup(true)
    stream.columns = 30
    p.suiteStart('http')
    expect(stream.text).toBe('\r\x1b[2K  ⏳ http (suite 2/3) · about…')
    p.end()
  })
})
