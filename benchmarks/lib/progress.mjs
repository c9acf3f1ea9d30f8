// Progress of a benchmark run: which suite, round and variant is being measured, and about how long is left.
// On a terminal (stream.isTTY, CI not set) one status line at the bottom is rewritten in place (\r + ANSI clear-line)
// while the suites' own lines scroll above it; otherwise (a pipe, a log file, CI) the start of each suite and every
// change of step is one plain line, so logs stay readable. The clock and the stream are injected, so tests check
// both formats without timing.

/** Typical seconds per suite on the development machine (2 shared cores), to estimate what is left. */
export const SUITE_ESTIMATES = {
  full: {
    engine: 85,
    http: 210,
    'redis-trips': 15,
    'redis-cost': 70,
    memory: 65,
    accuracy: 5,
    validators: 15,
  },
  quick: { engine: 10, http: 60, 'redis-trips': 10, 'redis-cost': 8, memory: 12, accuracy: 3, validators: 5 },
  smoke: { engine: 3, http: 12, 'redis-trips': 5, 'redis-cost': 3, memory: 5, accuracy: 3, validators: 3 },
}

/** Whether progress is shown live: a TTY, and `CI` unset (or "false"/"0"). */
export function isLive(stream, env = process.env) {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  return stream?.isTTY === true && !ci
}

/** "about 40 s left", "about 2 min 10 s left" (5-second steps above a minute), "almost done". */
export function formatLeft(seconds) {
  if (!Number.isFinite(seconds)) return ''
  if (seconds < 1.5) return 'almost done'
  if (seconds < 60) return `about ${Math.round(seconds)} s left`
  const s = Math.round(seconds / 5) * 5
  const min = Math.floor(s / 60)
  const rest = s % 60
  return `about ${min} min${rest ? ` ${rest} s` : ''} left`
}

const CLEAR = '\r\x1b[2K'

/**
 * @param {{ stream?: NodeJS.WritableStream & { isTTY?: boolean }, live?: boolean, now?: () => number,
 *   suites: string[], profile?: string, estimates?: Record<string, number>, refreshMs?: number }} options
 */
export function createProgress(options) {
  const stream = options.stream ?? process.stdout
  const live = options.live ?? isLive(stream)
  const now = options.now ?? Date.now
  const suites = options.suites
  const estimates = options.estimates ?? SUITE_ESTIMATES[options.profile ?? 'full'] ?? {}
  const refreshMs = options.refreshMs ?? (live ? 1000 : 0)
  let index = -1
  let suite = null
  let suiteStarted = 0
  let phaseStarted = 0
  let step = null
  let status = ''
  let lastPlain = ''
  let spent = 0 // seconds taken by finished suites
  let estimatedFinished = 0 // what those were estimated to take
  let ticker = null

  const estimateOf = (name) => estimates[name] ?? 10
  /** Seconds left: this suite (from its own steps when it reports them) plus the suites not yet started. */
  function secondsLeft() {
    // Scale the estimates by how the finished suites compared with theirs (a busier machine takes longer).
    const scale = estimatedFinished > 0 ? Math.min(3, Math.max(0.5, spent / estimatedFinished)) : 1
    const elapsed = (now() - suiteStarted) / 1000
    let current = Math.max(0, estimateOf(suite) * scale - elapsed)
    // From the suite's own steps: the time per step of this phase so far, never less than the estimate says is left.
    if (step?.total > 0 && step.done > 0) {
      const phase = (now() - phaseStarted) / 1000
      current = Math.max(current, (phase / step.done) * (step.total - step.done))
    }
    let rest = 0
    for (const s of suites.slice(index + 1)) rest += estimateOf(s) * scale
    return current + rest
  }

  function describe() {
    const parts = [`${suite} (suite ${index + 1}/${suites.length})`]
    if (step?.round !== undefined && step.rounds !== undefined)
      parts.push(`round ${step.round}/${step.rounds}`)
    if (step?.label) parts.push(step.label)
    if (step?.total > 0) parts.push(`${step.done ?? 0}/${step.total}`)
    const left = formatLeft(secondsLeft())
    if (left) parts.push(left)
    return parts.join(' · ')
  }

  function draw() {
    if (!live || suite === null) return
    status = `  ⏳ ${describe()}`
    const width = stream.columns ?? 0
    const line =
      width > 0 && [...status].length >= width ? `${[...status].slice(0, width - 2).join('')}…` : status
    stream.write(`${CLEAR}${line}`)
  }

  function clear() {
    if (live && status) {
      stream.write(CLEAR)
      status = ''
    }
  }

  function stopTicker() {
    if (ticker) clearInterval(ticker)
    ticker = null
  }

  return {
    live,
    /** A suite begins. */
    suiteStart(name) {
      index = suites.indexOf(name)
      suite = name
      suiteStarted = now()
      step = null
      lastPlain = ''
      if (!live) {
        // Where the run is and what is left, once per suite even when the suite reports no steps of its own.
        lastPlain = `  … ${describe()}`
        stream.write(`${lastPlain}\n`)
      }
      if (live) {
        draw()
        if (refreshMs > 0 && !ticker) {
          ticker = setInterval(draw, refreshMs)
          ticker.unref?.()
        }
      }
    },
    /** The suite reports where it is: `{ label, done, total, round, rounds }` (any of them). */
    step(s) {
      if (suite === null) return
      if (s.total !== undefined && s.total !== step?.total) phaseStarted = now()
      step = { ...step, ...s }
      if (s.label === undefined && s.done === s.total) step.label = undefined
      if (live) return draw()
      if (!s.label) return
      const line = `  … ${describe()}`
      if (line !== lastPlain) {
        stream.write(`${line}\n`)
        lastPlain = line
      }
    },
    /** A line that stays (the suite's own output): printed above the status line. */
    line(text) {
      clear()
      stream.write(`${text}\n`)
      draw()
    },
    /** A suite ended after `seconds`. */
    suiteEnd(name, seconds) {
      spent += seconds
      estimatedFinished += estimateOf(name)
      clear()
      step = null
      suite = null // no status line between suites
    },
    secondsLeft,
    /** No status line and no timer left. */
    end() {
      stopTicker()
      clear()
      suite = null
    },
  }
}
