// Detection measured on public material no one on this project wrote: every entry of OWASP CRS's scanner list, the
// CrowdSec sec-lists probe lists and SecLists' quickhits.txt (test/fixtures/signatures, written by
// scripts/refresh-signatures.mjs with each source's commit). The figures are printed and kept in the core README.
import { readFileSync } from 'node:fs'
import { fakeClock } from '@bulwark/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { type Bulwark, createBulwark, PROBE_SIGNATURES, type RequestFacts } from '../src/index.js'

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/signatures/${name}`, import.meta.url), 'utf8'))

const agents: {
  crs: { entry: string; ua: string; from: string }[]
  tools: { tool: string; ua: string; from: string }[]
} = fixture('scanner-agents.json')
const probeLists: Record<string, string[]> = fixture('probe-paths.json')
const LISTS = Object.keys(probeLists).filter((k) => k !== 'source')

const figures: string[] = []
afterAll(() => {
  console.log(`\nDetection on the vendored lists:\n${figures.map((f) => `  ${f}`).join('\n')}`)
})

const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)} % (${n}/${of})`

let ipCounter = 0
/** A new client for each request, so no ban (and no suspicion) carries over from one entry to the next. */
const nextIp = () => {
  ipCounter++
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}

function engine(): Bulwark {
  return createBulwark({ clock: fakeClock(), logger: false, burst: false, suspicion: false, notFound: false })
}

/** The path a client sends for a list entry: rooted, spaces and non-ASCII percent-encoded, the query dropped. */
export function pathOf(entry: string): string {
  const raw = `/${entry.replace(/^\/+/, '')}`
  return raw.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c))
}

type Outcome = 'strong' | 'weak' | 'missed'

/** How the engine treats one probe: flagged before the response, flagged when the app answered 404, or not at all. */
async function probeOutcome(e: Bulwark, path: string): Promise<Outcome> {
  const facts: RequestFacts = { ip: nextIp(), method: 'GET', path, headers: {} }
  const before = await e.inspect(facts)
  if (before.rule === 'probe') return 'strong'
  const after = await e.report('not-found', facts)
  return after.rule === 'probe' ? 'weak' : 'missed'
}

describe('scanner user agents: every entry of CRS scanners-user-agents.data is refused on the first request', () => {
  it('every CRS entry, as the tool’s real default agent where its source has one', async () => {
    const e = engine()
    const missed: string[] = []
    for (const { entry, ua } of agents.crs) {
      const d = await e.inspect({ ip: nextIp(), method: 'GET', path: '/', headers: { 'user-agent': ua } })
      if (!(d.conclusion === 'block' && d.rule === 'scanner' && d.status === 403))
        missed.push(`${entry}: ${ua}`)
    }
    const refused = agents.crs.length - missed.length
    figures.push(`CRS scanner entries refused on the first request: ${pct(refused, agents.crs.length)}`)
    expect(missed).toEqual([])
    expect(refused / agents.crs.length).toBeGreaterThanOrEqual(0.95)
    await e.close()
  })

  it('every tool’s own default user agent (ffuf, skipfish, gobuster, feroxbuster, wfuzz, medusa …)', async () => {
    const e = engine()
    const missed: string[] = []
    for (const { tool, ua } of agents.tools) {
      const d = await e.inspect({ ip: nextIp(), method: 'GET', path: '/', headers: { 'user-agent': ua } })
      if (d.rule !== 'scanner') missed.push(`${tool}: ${ua}`)
    }
    figures.push(
      `tools' real default agents refused: ${pct(agents.tools.length - missed.length, agents.tools.length)}`,
    )
    expect(missed).toEqual([])
    await e.close()
  })
})

describe('probe paths: CrowdSec sec-lists and SecLists quickhits.txt', () => {
  it('≥ 90 % of the entries are flagged: strong before the response, weak when the app answered 404', async () => {
    const e = engine()
    let total = 0
    let flagged = 0
    const missedByList: Record<string, string[]> = {}
    for (const list of LISTS) {
      const entries = probeLists[list] as string[]
      const counts = { strong: 0, weak: 0, missed: 0 }
      missedByList[list] = []
      for (const entry of entries) {
        const outcome = await probeOutcome(e, pathOf(entry))
        counts[outcome]++
        if (outcome === 'missed') missedByList[list]?.push(entry)
      }
      total += entries.length
      flagged += counts.strong + counts.weak
      figures.push(
        `${list}: ${pct(counts.strong + counts.weak, entries.length)} flagged — ${counts.strong} before the response, ${counts.weak} on 404`,
      )
    }
    figures.push(`all probe lists: ${pct(flagged, total)} flagged`)
    if (process.env.BULWARK_SHOW_MISSED) console.log(JSON.stringify(missedByList, null, 1))
    expect(flagged / total).toBeGreaterThanOrEqual(0.9)
    for (const list of LISTS) {
      const entries = probeLists[list] as string[]
      expect(
        (entries.length - (missedByList[list]?.length ?? 0)) / entries.length,
        list,
      ).toBeGreaterThanOrEqual(0.9)
    }
    await e.close()
  })

  it('every webshell name of CrowdSec backdoors.txt counts before the response', async () => {
    const e = engine()
    const missed: string[] = []
    for (const entry of probeLists['crowdsec:web/backdoors.txt'] as string[]) {
      if ((await probeOutcome(e, pathOf(entry))) !== 'strong') missed.push(entry)
    }
    expect(missed).toEqual([])
    await e.close()
  })

  /** A concrete path for a signature: `*` as `x`, a RegExp's own example. */
  function example(pattern: string | RegExp): string | null {
    if (pattern instanceof RegExp) return null
    return pathOf(pattern.replace(/\*/g, 'x'))
  }

  it('every strong signature counts before the response; every weak one only on 404, never when served', async () => {
    const e = engine()
    const wrong: string[] = []
    for (const s of PROBE_SIGNATURES) {
      const path = example(s.pattern)
      if (path === null) continue
      const outcome = await probeOutcome(e, path)
      if (outcome !== s.strength) wrong.push(`${s.strength} ${String(s.pattern)} (${path}): ${outcome}`)
    }
    expect(wrong).toEqual([])
    await e.close()
  })
})
