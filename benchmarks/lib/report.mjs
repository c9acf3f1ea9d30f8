// Turns a run's results into markdown (results/latest.md, README) and terminal text.
import { mark, mdTable, textTable } from './common.mjs'

function machineLine(out) {
  const m = out.machine
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}${m.redisServer ? `, ${m.redisServer.replace(/ sha=.*$/, '')}` : ''}; load average ${m.loadAverageAtStart?.join(' / ')} at start`
}

export function collectTargets(out) {
  const targets = []
  for (const [suite, r] of Object.entries(out.suites)) {
    if (r.status !== 'ok')
      targets.push({
        suite,
        name: `${suite} suite`,
        measured: `failed: ${r.error?.split('\n')[0]}`,
        pass: false,
      })
    else for (const t of r.result.targets ?? []) targets.push({ suite, ...t })
  }
  return targets
}

export function renderReport(out) {
  const md = []
  const txt = []
  const head = `Bulwark benchmarks — ${out.profile} run, ${out.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(out.seconds)} s`
  md.push(`### ${head}`, '', `Machine: ${machineLine(out)}.${out.commit ? ` Commit ${out.commit}.` : ''}`, '')
  txt.push(head, `Machine: ${machineLine(out)}`, '')
  const targets = collectTargets(out)
  if (targets.length > 0) {
    const headers = ['target', 'measured', '']
    const rows = targets.map((t) => [t.name, t.measured, t.mark ?? mark(t.pass)])
    md.push('#### Targets', '', mdTable(headers, rows), '')
    txt.push('Targets', textTable(headers, rows), '')
  }
  for (const [suite, r] of Object.entries(out.suites)) {
    if (r.status !== 'ok') {
      md.push(`#### ${suite}`, '', `Failed: ${r.error?.split('\n')[0]}`, '')
      txt.push(`${suite}: FAILED ${r.error?.split('\n')[0]}`, '')
      continue
    }
    for (const t of r.result.tables ?? []) {
      md.push(`#### ${t.title}`, '')
      txt.push(t.title)
      if (t.rows.length > 0) {
        md.push(mdTable(t.headers, t.rows), '')
        txt.push(textTable(t.headers, t.rows))
      }
      for (const n of t.notes ?? []) {
        md.push(`- ${n}`)
        txt.push(`  · ${n}`)
      }
      md.push('')
      txt.push('')
    }
  }
  const versions = Object.entries(out.versions)
    .map(([k, v]) => `${k} ${v ?? '(not installed)'}`)
    .join(', ')
  md.push(`Versions: ${versions}.`, '')
  return { markdown: `${md.join('\n')}\n`, text: txt.join('\n') }
}

/** The "Targets" block of README.md: every target of the run with its number and ✓/✗, and which run it is. */
export function renderTargets(out) {
  const targets = collectTargets(out)
  const when = `${out.startedAt.slice(0, 16).replace('T', ' ')} UTC`
  const lines = [
    `From the ${out.profile} run of ${when}${out.commit ? `, commit ${out.commit}` : ''} (${machineLine(out)}).`,
    '',
  ]
  if (targets.length === 0) lines.push('No targets in this run.')
  else
    lines.push(
      mdTable(
        ['target', 'measured', ''],
        targets.map((t) => [t.name, t.measured, t.mark ?? mark(t.pass)]),
      ),
    )
  const met = targets.filter((t) => t.pass === true).length
  lines.push('', `${met} of ${targets.length} met.`)
  return `${lines.join('\n')}\n`
}
