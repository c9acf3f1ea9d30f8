// Progress of `npm run attack`: a line per scenario and framework as it starts and finishes. On a terminal (a TTY,
// CI unset) the runs in progress stay at the bottom with a live status (requests sent, refusals, time) redrawn in
// place, and each one becomes a permanent line when it ends; otherwise (a pipe, a log, CI) one plain line when a run
// starts and one when it ends. The stream and the clock are injected, so tests check both formats without timing.

/**
 * @typedef {object} RunStats live counts of one run, updated by the simulator as answers arrive
 * @property {number} sent
 * @property {number} ok 2xx and 3xx
 * @property {number} limited 429
 * @property {number} blocked 403
 * @property {number} other anything else (401, 404, 413, …)
 */

/**
 * @typedef {object} RunEvent
 * @property {'start' | 'end'} type
 * @property {string} scenario
 * @property {string} framework
 * @property {RunStats} stats
 * @property {number} [attempt] 2 and 3 when a timing-bound scenario is run again
 * @property {string} [error]
 */

/** @param {{ isTTY?: boolean } | undefined} stream @param {Record<string, string | undefined>} [env] */
export function isLive(stream, env = process.env) {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  return stream?.isTTY === true && !ci
}

/** @param {RunStats} s */
export function describeStats(s) {
  const parts = [`${s.sent} sent`]
  if (s.ok > 0) parts.push(`${s.ok} ok`)
  if (s.limited > 0) parts.push(`${s.limited} limited (429)`)
  if (s.blocked > 0) parts.push(`${s.blocked} blocked (403)`)
  if (s.other > 0) parts.push(`${s.other} other`)
  return parts.join(', ')
}

/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

/**
 * @param {{ stream: { write(s: string): unknown, isTTY?: boolean, rows?: number, columns?: number }, live?: boolean,
 *   now?: () => number, refreshMs?: number, width?: number }} options
 */
export function createAttackProgress(options) {
  const { stream } = options
  const live = options.live ?? isLive(stream)
  const now = options.now ?? (() => performance.now())
  const refreshMs = options.refreshMs ?? (live ? 150 : 0)
  const width = options.width ?? 20 // scenario column
  /** @type {Map<string, { event: RunEvent, started: number }>} */
  const running = new Map()
  let drawn = 0
  let frame = 0
  /** @type {ReturnType<typeof setInterval> | null} */
  let ticker = null

  /** @param {string} scenario @param {string} framework */
  const name = (scenario, framework) => `${scenario.padEnd(width)} ${framework.padEnd(7)}`
  /** @param {string} s */
  const fit = (s) => {
    const cols = stream.columns ?? 0
    return cols > 0 && [...s].length >= cols ? `${[...s].slice(0, cols - 2).join('')}…` : s
  }

  /** Redraw the live area (runs in progress), after writing `above` as permanent lines. @param {string[]} above */
  function render(above = []) {
    if (!live) return
    const rows = Math.max(3, (stream.rows || 24) - 2)
    const area = [...running.values()].map(
      ({ event, started }) =>
        `  ${FRAMES[frame % FRAMES.length]} ${name(event.scenario, event.framework)} running  ${describeStats(event.stats)} · ${seconds(now() - started)}`,
    )
    const shown =
      area.length > rows
        ? [...area.slice(0, rows - 1), `  … and ${area.length - rows + 1} more running`]
        : area
    const up = drawn > 0 ? `\x1b[${drawn}F` : '\r'
    const lines = [...above, ...shown].map((l) => `${fit(l)}\n`).join('')
    stream.write(`${up}\x1b[J${lines}`)
    drawn = shown.length
  }

  return {
    live,
    /** @param {RunEvent} event */
    start(event) {
      const key = `${event.scenario}/${event.framework}`
      running.set(key, { event, started: now() })
      const again = event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''
      if (live) {
        render()
        if (refreshMs > 0 && ticker === null) {
          ticker = setInterval(() => {
            frame++
            render()
          }, refreshMs)
          ticker.unref?.()
        }
      } else stream.write(`start  ${name(event.scenario, event.framework).trimEnd()}${again}\n`)
    },
    /** @param {RunEvent} event */
    end(event) {
      const key = `${event.scenario}/${event.framework}`
      const started = running.get(key)?.started ?? now()
      running.delete(key)
      const what = event.error ? `error: ${event.error}` : describeStats(event.stats)
      const again = event.attempt && event.attempt > 1 ? ` (attempt ${event.attempt})` : ''
      const tail = `${what} in ${seconds(now() - started)}${again}`
      if (live) render([`  ✔ ${name(event.scenario, event.framework)} done     ${tail}`])
      else stream.write(`done   ${name(event.scenario, event.framework)} ${tail}\n`)
    },
    /** Redraw now (the timer does this on a terminal). */
    refresh() {
      frame++
      render()
    },
    /** No live area and no timer left. */
    close() {
      if (ticker !== null) clearInterval(ticker)
      ticker = null
      if (live && drawn > 0) {
        stream.write(`\x1b[${drawn}F\x1b[J`)
        drawn = 0
      }
      running.clear()
    },
  }
}
