// Adds up the vitest summaries in an `npm test` log and prints one line: `Summary: N passed, N failed, N skipped`.
// A test file that fails before its tests run (an error at import or in a top-level hook) has no failed test to
// count, so failed files are named on the line too when there are any.
import { readFileSync } from 'node:fs'

const log = readFileSync(process.argv[2] ?? 0, 'utf8').replace(/\x1b\[[0-9;]*m/g, '')
const total = { passed: 0, failed: 0, skipped: 0 }
let runs = 0
let failedFiles = 0
for (const line of log.split('\n')) {
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
