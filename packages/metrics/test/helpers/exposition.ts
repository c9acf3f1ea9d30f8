/** One sample of the Prometheus text format: `name{a="x",b="y"} value`. */
export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g

/** Parses the text format (what `registry.metrics()` returns) into samples; comments are skipped. */
export function parse(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const m = LINE.exec(line)
    if (!m) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (m[2] ?? '').matchAll(LABEL)) labels[k!] = v!
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return samples
}

/** The samples of one metric, as `{ labels, value }` sorted by their labels, for `toEqual`. */
export function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  return parse(text)
    .filter((s) => s.name === name)
    .map(({ labels, value }) => ({ labels, value }))
    .sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
}

export function sorted<T extends { labels: Record<string, string> }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)))
}
