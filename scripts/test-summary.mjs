// Adds up the vitest summaries in an `npm test` log and prints one line: `Summary: N passed, N failed, N skipped`.
// A test file that fails before its tests run (an error at import or in a top-level hook) has no failed test to
// count, so failed files are named on the line too when there are any. The failures themselves (vitest's `FAIL` lines
// and the first lines of each error) are repeated after the summary, so the end of a CI log says what failed.
import { readFileSync } from 'node:fs'

const log = readFileSync(process.argv[2] ?? 0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
const total = { passed: 0, failed: 0, skipped: 0 }
let runs = 0
let failedFiles = 0
const lines = log.split('\n')
/** @type {string[]} */
const failures = []
for (const [index, line] of lines.entries()) {
  if (/\bFAIL\b\s+\S/.test(line) && failures.length < 80) {
    failures.push(...lines.slice(index, index + 8).map((l) => `  ${l.slice(0, 300)}`), '')
  }
  const files = /\bTest Files\s+(\d+) failed/.exec(line)
  if (files !== null) failedFiles += Number(files[1])
  const m = /\bTests\s+(.*)\(\d+\)\s*$/.exec(line)
  if (m === null) continue
  runs++
  for (const [, n, kind] of m[1].matchAll(/(\d+) (passed|failed|skipped)/g)) total[kind] += Number(n)
}
console.log(`== ${runs} test runs`)
const files = failedFiles > 0 ? ` (${failedFiles} test file${failedFiles === 1 ? '' : 's'} failed)` : ''
console.log(`Summary: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped${files}`)
if (failures.length > 0) console.log(`== failures (the first lines of each)\n${failures.join('\n')}`)
