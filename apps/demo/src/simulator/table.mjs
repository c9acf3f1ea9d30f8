// The simulator's report: one row per scenario and framework.

/** @typedef {import('./run.mjs').Result} Result */

/** @param {string} s @param {number} n */
const pad = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s.padEnd(n))
/** @param {string} s @param {number} n */
const padStart = (s, n) => s.padStart(n)

/**
 * @param {Result[]} results
 * @param {{ color?: boolean }} [options]
 */
export function formatTable(results, { color = false } = {}) {
  const paint = (/** @type {string} */ code, /** @type {string} */ s) =>
    color ? `\x1b[${code}m${s}\x1b[0m` : s
  const w = {
    scenario: Math.max(8, ...results.map((r) => r.scenario.length)),
    expected: Math.min(40, Math.max(8, ...results.map((r) => r.expected.length))),
    framework: 9,
    observed: Math.min(54, Math.max(8, ...results.map((r) => r.observed.length))),
  }
  const header = [
    pad('Scenario', w.scenario),
    pad('Expected', w.expected),
    pad('Framework', w.framework),
    pad('Observed', w.observed),
    padStart('Requests', 8),
    padStart('Time to ban', 11),
    '',
  ].join('  ')
  const lines = [header, '-'.repeat(header.length + 4)]
  let previous = ''
  for (const r of results) {
    const first = r.scenario !== previous
    previous = r.scenario
    lines.push(
      [
        pad(first ? r.scenario : '', w.scenario),
        pad(first ? r.expected : '', w.expected),
        pad(r.framework, w.framework),
        pad(r.observed, w.observed),
        padStart(r.requestsToBan === null ? '-' : String(r.requestsToBan), 8),
        padStart(r.timeToBanMs === null ? '-' : `${r.timeToBanMs} ms`, 11),
        r.pass ? paint('32', 'ok') : paint('31;1', 'MISS'),
      ].join('  '),
    )
  }
  return lines.join('\n')
}

/** @param {Result[]} results @param {number} ms */
export function formatSummary(results, ms) {
  const missed = results.filter((r) => !r.pass)
  const scenarios = new Set(results.map((r) => r.scenario)).size
  const frameworks = new Set(results.map((r) => r.framework)).size
  const plural = (/** @type {number} */ n, /** @type {string} */ word) => `${n} ${word}${n === 1 ? '' : 's'}`
  const time = ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`
  const head = `${results.length - missed.length} of ${results.length} runs as expected (${plural(scenarios, 'scenario')} × ${plural(frameworks, 'framework')}) in ${time}`
  const again = results.filter((r) => r.retried)
  const note =
    again.length === 0
      ? ''
      : `\nRun again because the machine was too busy: ${again.map((r) => `${r.scenario} on ${r.framework} (${r.retried})`).join(', ')}`
  if (missed.length === 0) return head + note
  return `${head}${note}\nMissed: ${missed.map((r) => `${r.scenario} on ${r.framework}${r.error ? ` (${r.error})` : ''}`).join(', ')}`
}
