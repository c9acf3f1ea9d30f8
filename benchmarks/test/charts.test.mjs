// The charts of a run, rendered from a fixed results file (a smoke run's latest.json, tables left out): each is
// valid SVG (parsed by fast-xml-parser with validation), names its unit and its run, reads in light and dark
// themes, and carries the expected series. Also: the palette is the dashboard's own file, not a copy.
import { readFileSync } from 'node:fs'
import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { CHARTS, niceScale, renderCharts, runLine } from '../lib/charts.mjs'
import { FONT, PALETTE, PALETTE_FILE, readVariables, SERIES } from '../lib/palette.mjs'

const out = JSON.parse(readFileSync(new URL('./fixtures/results.json', import.meta.url), 'utf8'))
const RUN = 'smoke run 2026-12-03 13:32 UTC · commit 4e2c356 · AMD EPYC, 2 cores, Node v20.20.2'

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', textNodeName: '#text' })
const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])

function parse(svg) {
  expect(XMLValidator.validate(svg)).toBe(true)
  const doc = parser.parse(svg)
  expect(doc.svg).toBeDefined()
  return doc.svg
}

/** The bars of a chart: `{ series, group, value }` from each <rect class="bar">. */
const bars = (root) =>
  list(root.rect)
    .filter((r) => r.class === 'bar')
    .map((r) => ({ series: r['data-series'], group: r['data-group'], value: Number(r['data-value']) }))
const texts = (root) => list(root.text).map((t) => (typeof t === 'object' ? String(t['#text']) : String(t)))

function render(file) {
  const chart = CHARTS.find((c) => c.file === file)
  const svg = chart.render(out)
  expect(typeof svg).toBe('string')
  return { svg, root: parse(svg) }
}

describe('charts of a run', () => {
  it('renders all four from a full set of results', () => {
    expect(renderCharts(out).map((c) => c.file)).toEqual([
      'http-cpu.svg',
      'engine.svg',
      'memory.svg',
      'redis-commands.svg',
    ])
  })

  it.each(CHARTS.map((c) => c.file))(
    '%s is valid SVG with a title, its unit, its run and both themes',
    (file) => {
      const { svg, root } = render(file)
      expect(root.xmlns).toBe('http://www.w3.org/2000/svg')
      expect(Number(root.width)).toBe(820)
      expect(Number(root.height)).toBeGreaterThan(150)
      expect(root.viewBox).toBe(`0 0 820 ${root.height}`)
      expect(root['font-family']).toBe(FONT)
      // An explicit background, and a dark variant of it and of the text colours.
      expect(list(root.rect).some((r) => r.class === 'bg')).toBe(true)
      expect(root.style).toContain(`.bg { fill: ${PALETTE.card}; }`)
      expect(root.style).toMatch(/@media \(prefers-color-scheme: dark\) \{\s*\.bg \{ fill: #161b26; \}/)
      const t = texts(root)
      expect(t).toContain(RUN)
      expect(t.some((x) => /per request|per second|per tracked client|per decision/.test(x))).toBe(true)
      expect(svg).not.toMatch(/NaN|undefined|Infinity/)
    },
  )

  it('http-cpu: server CPU per request, bare, Bulwark, the usual limiter and rate-limiter-flexible per framework and store', () => {
    const { root } = render('http-cpu.svg')
    const b = bars(root)
    const groups = ['express', 'fastify', 'koa'].flatMap((f) => [`${f} · memory`, `${f} · redis`])
    expect([...new Set(b.map((x) => x.group))]).toEqual(groups)
    for (const g of groups)
      expect(b.filter((x) => x.group === g).map((x) => x.series)).toEqual(['bare', 'bulwark', 'peer', 'rlf'])
    // The value of each bar is the row's CPU per request.
    const fastify = out.suites.http.result.frameworks.find((f) => f.framework === 'fastify')
    const bw = fastify.rows.find((r) => r.key === 'bulwark-redis')
    expect(b.find((x) => x.group === 'fastify · redis' && x.series === 'bulwark')?.value).toBe(
      Math.round(bw.cpuUs * 10) / 10,
    )
    const colors = list(root.rect).filter((r) => r.class === 'bar')
    expect(colors.filter((r) => r['data-series'] === 'bulwark').every((r) => r.fill === SERIES.bulwark)).toBe(
      true,
    )
    expect(texts(root)).toContain(
      'µs of server process CPU (user + system) per request, median over rounds; Redis rows exclude redis-server’s own CPU',
    )
  })

  it('engine: decisions/s for each limiter, allowed and banned', () => {
    const { root } = render('engine.svg')
    const b = bars(root)
    expect(b.filter((x) => x.series === 'bulwark').map((x) => x.group)).toEqual([
      'bulwark (all rules)',
      'bulwark (burst only)',
      'bulwark decide() (all rules)',
    ])
    expect(b.filter((x) => x.series === 'peer').map((x) => x.group)).toEqual([
      'rate-limiter-flexible',
      'express-rate-limit',
      '@fastify/rate-limit',
      'koa-ratelimit',
    ])
    expect(b.filter((x) => x.series === 'banned')).toHaveLength(5)
    expect(list(root.rect).find((r) => r['data-series'] === 'banned')?.fill).toBe(PALETTE.blocked)
  })

  it('memory: bytes per tracked client per scenario, and Redis', () => {
    const { root } = render('memory.svg')
    const b = bars(root)
    expect([...new Set(b.map((x) => x.group))]).toEqual([
      'heap · ipv4',
      'heap · ipv6-in-64 (per flooding address: some limiters group addresses)',
      'heap · ipv6-across-64 (per flooding address: some limiters group addresses)',
      'Redis · ipv4',
    ])
    // Bulwark once per group (the maxSubjects = clients row; the capped row is left out).
    for (const g of new Set(b.map((x) => x.group)))
      expect(b.filter((x) => x.group === g && x.series === 'bulwark')).toHaveLength(1)
    expect(b.every((x) => x.value > 0)).toBe(true)
  })

  it('redis-commands: commands per decision for every limiter and both traffic shapes', () => {
    const { root } = render('redis-commands.svg')
    const b = bars(root)
    expect([...new Set(b.map((x) => x.group))]).toEqual(['one client', '200 clients (hot/cold mix)'])
    expect(b.filter((x) => x.series === 'bulwark')).toHaveLength(2)
    expect(b.filter((x) => x.series === 'peer')).toHaveLength(8)
  })

  it('leaves out a chart whose suite failed, and escapes text', () => {
    const failed = { ...out, suites: { ...out.suites, http: { status: 'failed', error: 'x' } } }
    expect(renderCharts(failed).map((c) => c.file)).not.toContain('http-cpu.svg')
    const odd = { ...out, commit: '<a&b>' }
    expect(runLine(odd)).toContain('commit <a&b>')
    parse(CHARTS[1].render(odd))
  })

  it('picks round axis steps', () => {
    expect(niceScale(947)).toEqual({ max: 1000, step: 200 })
    expect(niceScale(1153)).toEqual({ max: 1250, step: 250 })
    expect(niceScale(0)).toEqual({ max: 1, step: 0.2 })
  })
})

describe('the charts in README.md', () => {
  const latest = JSON.parse(readFileSync(new URL('../results/latest.json', import.meta.url), 'utf8'))

  it.each(CHARTS.map((c) => c.file))(
    '%s is embedded, valid SVG, from the run of results/latest.json',
    (file) => {
      const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
      expect(readme).toMatch(new RegExp(`!\\[[^\\]]+\\]\\(results/${file.replace('.', '\\.')}\\)`))
      const root = parse(readFileSync(new URL(`../results/${file}`, import.meta.url), 'utf8'))
      expect(texts(root)).toContain(runLine(latest))
    },
  )
})

describe('the palette', () => {
  const admin = (file) =>
    readFileSync(new URL(`../../packages/admin/public/${file}`, import.meta.url), 'utf8')

  it("is the dashboard's, read from @bulwark/admin's palette.css: allowed, limited, blocked, accent, the font stack", () => {
    expect(PALETTE_FILE).toMatch(/[\\/]admin[\\/]public[\\/]palette\.css$/)
    const vars = readVariables(readFileSync(PALETTE_FILE, 'utf8'))
    expect(vars.allow).toBe(PALETTE.allowed)
    expect(vars.limit).toBe(PALETTE.limited)
    expect(vars.block).toBe(PALETTE.blocked)
    expect(vars.accent).toBe(PALETTE.accent)
    expect(vars.ink).toBe(PALETTE.ink)
    expect(vars.font).toBe(FONT)
    expect(FONT).toMatch(/^system-ui, /)
    // The charts draw with it: Bulwark's bars in the accent, a banned client in the blocked red.
    expect(SERIES.bulwark).toBe(PALETTE.accent)
    const svg = renderCharts(out)
      .map((c) => c.svg)
      .join('\n')
    for (const c of [PALETTE.accent, PALETTE.blocked, PALETTE.card, PALETTE.top]) expect(svg).toContain(c)
  })

  it('is defined once: the dashboard links palette.css before its layout, which only uses the variables', () => {
    const html = admin('index.html')
    expect(html.indexOf('href="palette.css"')).toBeGreaterThan(0)
    expect(html.indexOf('href="palette.css"')).toBeLessThan(html.indexOf('href="dashboard.css"'))
    const css = admin('dashboard.css')
    expect(css).not.toMatch(/--[a-z-]+\s*:/)
    for (const c of Object.values(PALETTE).filter((v) => v !== PALETTE.card))
      expect(css.toLowerCase(), `${c} copied into dashboard.css`).not.toContain(c)
    expect(css).toContain('font-family: var(--font);')
    for (const v of ['allow', 'limit', 'block', 'accent']) expect(css).toContain(`var(--${v})`)
  })

  it('reads the variables of a :root block, comments left out', () => {
    expect(readVariables(':root {\n  /* --x: #000; */\n  --allow: #3F9B6E;\n  --font: a, "b c";\n}')).toEqual(
      {
        allow: '#3F9B6E',
        font: 'a, "b c"',
      },
    )
    expect(() => readVariables('body { color: red; }')).toThrow(/no :root block/)
  })
})
