// 6. Validators: checks per second of @bulwark/validate, measured by benchmarks/validators.mjs (owned by the
// validate package's engineer; imported, never edited here).
import { fmtInt, optionalImport } from '../lib/common.mjs'

export async function run({ profile, log = () => {} }) {
  const r = await optionalImport('../validators.mjs')
  const runBench = r.mod?.runValidatorBench
  if (typeof runBench !== 'function') {
    const reason = r.error ?? 'not available (benchmarks/validators.mjs exports no runValidatorBench)'
    log(`validators: ${reason}`)
    return { available: false, reason, rows: [], targets: [], tables: [table([], [reason])] }
  }
  const quick = profile !== 'full'
  const rows = (await runBench({ quick })).map((x) => ({
    name: String(x.name),
    opsPerSec: Number(x.opsPerSec),
    samples: Number(x.samples),
  }))
  return { available: true, rows, targets: [], tables: [table(rows, [])] }
}

function table(rows, notes) {
  return {
    title: '6. Validators (@bulwark/validate, from benchmarks/validators.mjs)',
    headers: ['validator', 'checks/s', 'samples'],
    rows: rows.map((x) => [x.name, fmtInt(x.opsPerSec), x.samples]),
    notes: [
      ...notes,
      'Median of the samples of benchmarks/validators.mjs on its mix of benign and hostile inputs.',
    ],
  }
}
