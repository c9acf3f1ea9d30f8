// SVG charts of a run's results, written next to results/latest.md: hand-written SVG (no browser, no dependency).
// Every chart has a title, its unit, a legend, and a footer naming the run (date, commit, machine). Light and dark
// themes: an explicit background with a prefers-color-scheme style, and bar colours readable on both.
import { FONT, PALETTE, SERIES } from './palette.mjs'

const WIDTH = 820
const LABEL_W = 250
const RIGHT_PAD = 90
const BAR_H = 13
const BAR_GAP = 3
const GROUP_GAP = 14

const esc = (s) =>
  String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c],
  )

const r1 = (n) => Math.round(n * 10) / 10

/** A "nice" axis maximum and tick step for values up to `max`. */
export function niceScale(max, ticks = 5) {
  if (!(max > 0)) return { max: 1, step: 0.2 }
  const raw = max / ticks
  const mag = 10 ** Math.floor(Math.log10(raw))
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag
  return { max: Math.ceil(max / step) * step, step }
}

/** The line naming the run a chart comes from. */
export function runLine(out) {
  const m = out.machine ?? {}
  const when = out.startedAt ? `${out.startedAt.slice(0, 16).replace('T', ' ')} UTC` : 'unknown date'
  const parts = [`${out.profile ?? '?'} run ${when}`]
  if (out.commit) parts.push(`commit ${out.commit}`)
  parts.push(`${m.cpu ?? 'unknown CPU'}, ${m.cores ?? '?'} cores, Node ${m.node ?? '?'}`)
  return parts.join(' · ')
}

/**
 * A horizontal grouped bar chart.
 * @param {{ id: string, title: string, unit: string, run: string, series: { key: string, name: string, color: string }[],
 *   groups: { label: string, bars: { series: string, value: number | null, label?: string, text?: string }[] }[],
 *   format: (v: number) => string, notes?: string[] }} spec
 */
export function barChart(spec) {
  const seriesColor = new Map(spec.series.map((s) => [s.key, s.color]))
  const values = spec.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => Number.isFinite(v))
  const scale = niceScale(Math.max(0, ...values))
  const plotW = WIDTH - LABEL_W - RIGHT_PAD
  const x = (v) => LABEL_W + (v / scale.max) * plotW
  // Legend under the title, wrapped onto more rows when it does not fit.
  const legend = []
  let lx = 16
  let ly = 46
  for (const s of spec.series) {
    const w = 17 + 6.6 * s.name.length + 18
    if (lx + w > WIDTH - 16 && lx > 16) {
      lx = 16
      ly += 18
    }
    legend.push(
      `<rect x="${lx}" y="${ly}" width="12" height="12" rx="2" fill="${s.color}"/>`,
      `<text class="ink" x="${lx + 17}" y="${ly + 10.5}" font-size="12">${esc(s.name)}</text>`,
    )
    lx += w
  }
  const top = ly + 32
  let y = top
  const body = []
  for (const g of spec.groups) {
    body.push(`<text class="ink" x="16" y="${r1(y + 11)}" font-weight="600">${esc(g.label)}</text>`)
    y += 17
    for (const b of g.bars) {
      const color = seriesColor.get(b.series) ?? PALETTE.muted
      const name = spec.series.find((s) => s.key === b.series)?.name ?? b.series
      const label = b.label ?? name
      body.push(
        `<text class="muted" x="${LABEL_W - 8}" y="${r1(y + BAR_H - 3)}" text-anchor="end" font-size="11">${esc(label)}</text>`,
      )
      if (Number.isFinite(b.value)) {
        const w = Math.max(1, x(b.value) - LABEL_W)
        body.push(
          `<rect class="bar" data-series="${esc(b.series)}" data-group="${esc(g.label)}" data-value="${r1(b.value)}" x="${LABEL_W}" y="${r1(y)}" width="${r1(w)}" height="${BAR_H}" rx="2" fill="${color}"><title>${esc(`${g.label} · ${label}: ${b.text ?? spec.format(b.value)}`)}</title></rect>`,
          `<text class="ink" x="${r1(LABEL_W + w + 5)}" y="${r1(y + BAR_H - 3)}" font-size="11">${esc(b.text ?? spec.format(b.value))}</text>`,
        )
      } else {
        body.push(
          `<text class="muted" data-series="${esc(b.series)}" x="${LABEL_W + 5}" y="${r1(y + BAR_H - 3)}" font-size="11">${esc(b.text ?? 'not available')}</text>`,
        )
      }
      y += BAR_H + BAR_GAP
    }
    y += GROUP_GAP - BAR_GAP
  }
  const plotBottom = y
  const axis = []
  for (let v = 0; v <= scale.max + scale.step / 1e6; v += scale.step) {
    const xv = r1(x(v))
    axis.push(
      `<line class="grid" x1="${xv}" y1="${top - 6}" x2="${xv}" y2="${r1(plotBottom)}"/>`,
      `<text class="muted" x="${xv}" y="${r1(plotBottom + 14)}" text-anchor="middle" font-size="11">${esc(spec.format(v))}</text>`,
    )
  }
  let fy = plotBottom + 36
  const footer = [
    `<text class="muted" x="16" y="${r1(fy)}" font-size="11">${esc(spec.unit)}</text>`,
    ...(spec.notes ?? []).map((n) => {
      fy += 15
      return `<text class="muted" x="16" y="${r1(fy)}" font-size="11">${esc(n)}</text>`
    }),
  ]
  fy += 15
  footer.push(`<text class="muted" x="16" y="${r1(fy)}" font-size="11">${esc(spec.run)}</text>`)
  const height = Math.ceil(fy + 14)
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-labelledby="${spec.id}-title" font-family='${FONT}' font-size="12">
<title id="${spec.id}-title">${esc(`${spec.title} (${spec.unit})`)}</title>
<style>
.bg { fill: ${PALETTE.card}; }
.ink { fill: ${PALETTE.ink}; }
.muted { fill: ${PALETTE.muted}; }
.grid { stroke: ${PALETTE.line}; stroke-width: 1; }
@media (prefers-color-scheme: dark) {
  .bg { fill: ${PALETTE.top}; }
  .ink { fill: ${PALETTE.darkInk}; }
  .muted { fill: ${PALETTE.topMuted}; }
  .grid { stroke: ${PALETTE.darkLine}; }
}
</style>
<rect class="bg" x="0" y="0" width="${WIDTH}" height="${height}" rx="6"/>
<text class="ink" x="16" y="27" font-size="15" font-weight="600">${esc(spec.title)}</text>
${legend.join('\n')}
${axis.join('\n')}
${body.join('\n')}
${footer.join('\n')}
</svg>
`
}

// ------------------------------------------------------------------ the four charts of a run

const fmtUs = (v) => (v >= 100 ? `${Math.round(v)} µs` : `${r1(v)} µs`)
const fmtMops = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v === 0 ? '0' : `${Math.round(v / 1e3)} k`)
const fmtB = (v) => `${Math.round(v)} B`
const fmtCmd = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(2))
const ok = (out, suite) => (out.suites?.[suite]?.status === 'ok' ? out.suites[suite].result : null)

/** Server CPU per request per framework and store: bare, Bulwark, the usual limiter, rate-limiter-flexible. */
export function httpCpuChart(out) {
  const http = ok(out, 'http')
  if (!http?.frameworks) return null
  const groups = []
  for (const f of http.frameworks) {
    const bare = f.rows.find((r) => r.role === 'bare' || r.key === 'bare')
    for (const store of ['memory', 'redis']) {
      const pick = (role) => f.rows.find((r) => r.role === role && r.store === store)
      const bars = [
        { series: 'bare', row: bare },
        { series: 'bulwark', row: pick('bulwark') },
        { series: 'peer', row: pick('peer'), label: pick('peer')?.label },
        { series: 'rlf', row: pick('rlf') },
      ].map((b) => ({
        series: b.series,
        value: b.row?.available && Number.isFinite(b.row.cpuUs) ? b.row.cpuUs : null,
        ...(b.series === 'peer' && b.label ? { label: b.label.replace(/ \(.*\)$/, '') } : {}),
      }))
      groups.push({ label: `${f.framework} · ${store}`, bars })
    }
  }
  return barChart({
    id: 'http-cpu',
    title: 'HTTP: the server’s CPU time per request (lower is better)',
    unit: 'µs of server process CPU (user + system) per request, median over rounds; Redis rows exclude redis-server’s own CPU',
    run: runLine(out),
    series: [
      { key: 'bare', name: 'no middleware', color: SERIES.bare },
      { key: 'bulwark', name: 'Bulwark (all default rules)', color: SERIES.bulwark },
      { key: 'peer', name: 'the framework’s usual limiter', color: SERIES.peer },
      { key: 'rlf', name: 'rate-limiter-flexible', color: SERIES.rlf },
    ],
    groups,
    format: fmtUs,
    notes: [
      `${http.settings?.requests?.toLocaleString('en-US') ?? '?'} requests per measurement, ${http.settings?.connections ?? '?'} connections, ${http.settings?.rounds ?? '?'} round(s), one trivial JSON route.`,
    ],
  })
}

/** Engine decisions per second: allowed path and banned / over-limit client per limiter. */
export function engineChart(out) {
  const engine = ok(out, 'engine')
  if (!engine?.allowed) return null
  const peerOf = (name) => name.replace(/ \(.*$/, '')
  const groups = []
  for (const r of engine.allowed) {
    if (r.name.startsWith('baseline')) continue
    const isBulwark = r.name.startsWith('bulwark')
    const banned = isBulwark
      ? r.name === 'bulwark (all rules)'
        ? engine.banned?.find((b) => b.name.startsWith('bulwark'))
        : undefined
      : engine.banned?.find((b) => peerOf(b.name) === peerOf(r.name))
    const bars = [{ series: isBulwark ? 'bulwark' : 'peer', value: r.opsPerSec }]
    if (banned) bars.push({ series: 'banned', value: banned.opsPerSec })
    groups.push({ label: r.name, bars })
  }
  return barChart({
    id: 'engine',
    title: 'Engine: decisions per second (higher is better)',
    unit: 'decisions per second, memory stores, one process, median over rounds (M = million)',
    run: runLine(out),
    series: [
      { key: 'bulwark', name: 'Bulwark, client allowed', color: SERIES.bulwark },
      { key: 'peer', name: 'peer, client allowed', color: SERIES.peer },
      { key: 'banned', name: 'client banned / over the limit', color: PALETTE.blocked },
    ],
    groups,
    format: fmtMops,
    notes: [
      `${engine.settings?.clients ?? 200} client IPs, ${engine.settings?.hot ?? 10} hot ones take ${Math.round((engine.settings?.hotShare ?? 0.2) * 100)} % of the calls; nothing in the mix is ever limited.`,
    ],
  })
}

/** Bytes per tracked client: heap (+ typed arrays) per scenario, and Redis used_memory per client. */
export function memoryChart(out) {
  const memory = ok(out, 'memory')
  if (!memory?.heap) return null
  const groups = []
  for (const scenario of [...new Set(memory.heap.map((r) => r.scenario))]) {
    // The capped Bulwark row is its preallocation, not a per-client cost.
    const rows = memory.heap.filter(
      (r) =>
        r.scenario === scenario &&
        !r.error &&
        Number.isFinite(r.bytesPerClient) &&
        !(r.limiter === 'bulwark' && !r.perSubject),
    )
    // Where a limiter groups addresses (Bulwark by /64, express-rate-limit by /56) per tracked key would mislead:
    // the whole group is then shown per flooding address.
    const perAddress = rows.some((r) => !(r.tracked >= r.clients / 2))
    groups.push({
      label: `heap · ${scenario}${perAddress ? ' (per flooding address: some limiters group addresses)' : ''}`,
      bars: rows.map((r) => ({
        series: r.limiter === 'bulwark' ? 'bulwark' : 'peer',
        value: perAddress ? r.bytesPerClient : r.bytesPerTracked,
        label: r.label.replace(/ \(.*\)$/, ''),
      })),
    })
  }
  const redisRows = (memory.redis ?? []).filter((r) => !r.error && Number.isFinite(r.bytesPerClient))
  if (redisRows.length > 0)
    groups.push({
      label: 'Redis · ipv4',
      bars: redisRows.map((r) => ({
        series: r.limiter === 'bulwark' ? 'bulwark' : 'peer',
        value: r.bytesPerClient,
        label: r.limiter,
      })),
    })
  return barChart({
    id: 'memory',
    title: 'Memory: bytes per tracked client (lower is better)',
    unit: 'bytes per tracked client: heapUsed + ArrayBuffers after a flood of distinct clients (Redis: used_memory per client)',
    run: runLine(out),
    series: [
      { key: 'bulwark', name: 'Bulwark', color: SERIES.bulwark },
      { key: 'peer', name: 'peers', color: SERIES.peer },
    ],
    groups,
    format: fmtB,
    notes: [
      `${memory.heap[0]?.clients?.toLocaleString('en-US') ?? '?'} clients per flood, one request each; Bulwark with maxSubjects = clients (its preallocated typed arrays count).`,
    ],
  })
}

/** Redis commands executed per decision (table 3b), per traffic shape. */
export function redisCommandsChart(out) {
  const cost = ok(out, 'redis-cost')
  const rows = (cost?.rows ?? []).filter((r) => r.available)
  if (rows.length === 0) return null
  const groups = [...new Set(rows.map((r) => r.shape))].map((shape) => ({
    label: shape,
    bars: rows
      .filter((r) => r.shape === shape)
      .map((r) => ({ series: r.name === 'bulwark' ? 'bulwark' : 'peer', value: r.commands, label: r.name })),
  }))
  return barChart({
    id: 'redis-commands',
    title: 'Redis: commands executed per decision (lower is better)',
    unit: 'commands per decision (INFO commandstats delta ÷ decisions; commands inside scripts included)',
    run: runLine(out),
    series: [
      { key: 'bulwark', name: 'Bulwark (all default rules)', color: SERIES.bulwark },
      { key: 'peer', name: 'peers (one limit)', color: SERIES.peer },
    ],
    groups,
    format: fmtCmd,
    notes: [
      'Library level, no HTTP, 10 decisions in flight (concurrent Bulwark decisions share one script call).',
    ],
  })
}

export const CHARTS = [
  { file: 'http-cpu.svg', render: httpCpuChart },
  { file: 'engine.svg', render: engineChart },
  { file: 'memory.svg', render: memoryChart },
  { file: 'redis-commands.svg', render: redisCommandsChart },
]

/** Every chart the run has data for: `[{ file, svg }]`. */
export function renderCharts(out) {
  const charts = []
  for (const c of CHARTS) {
    const svg = c.render(out)
    if (svg) charts.push({ file: c.file, svg })
  }
  return charts
}
