// Summarise a V8 .cpuprofile: self time per function (top N), and total (inclusive) time for functions in core.
// Usage: node lib/profile-summary.mjs file.cpuprofile [top]
import { readFileSync } from 'node:fs'

export function summarise(profile, top = 25) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map()
  const dt = profile.timeDeltas
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]
    self.set(id, (self.get(id) ?? 0) + (dt[i] ?? 0))
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const key = (n) => {
    const f = n.callFrame
    const file = f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/packages\//, 'packages/')
    return `${f.functionName || '(anonymous)'} ${file}:${f.lineNumber + 1}`
  }
  const selfBy = new Map()
  const inclBy = new Map()
  for (const [id, t] of self) {
    const n = byId.get(id)
    selfBy.set(key(n), (selfBy.get(key(n)) ?? 0) + t)
    const seen = new Set()
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur))
      if (seen.has(k)) continue
      seen.add(k)
      inclBy.set(k, (inclBy.get(k) ?? 0) + t)
    }
  }
  const rows = (m) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, t]) => ({ fn: k, pct: (100 * t) / total }))
  return { totalMs: total / 1000, self: rows(selfBy), inclusive: rows(inclBy) }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarise(JSON.parse(readFileSync(process.argv[2], 'utf8')), Number(process.argv[3] ?? 25))
  console.log(`total ${s.totalMs.toFixed(0)} ms\n-- self`)
  for (const r of s.self) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.fn}`)
  console.log('-- inclusive')
  for (const r of s.inclusive) console.log(`${r.pct.toFixed(1).padStart(5)}%  ${r.fn}`)
}
