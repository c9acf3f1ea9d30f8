import { rename, rm, writeFile } from 'node:fs/promises'
import type { BanInfo } from '@bulwark/core'
import type { ExportFormat } from './args.js'

/** What an export holds: the bans an edge can enforce (enforced, by IP or range), and what it left out. */
export interface ExportPlan {
  v4: string[]
  v6: string[]
  /** Bans of API keys or users, and monitor-mode bans: no address to give the edge. */
  skipped: number
  bans: BanInfo[]
}

const V4 = /^\d{1,3}(\.\d{1,3}){3}(\/\d{1,2})?$/
const V6 = /^[0-9a-f:.]+(\/\d{1,3})?$/i

export function planExport(bans: readonly BanInfo[]): ExportPlan {
  const v4 = new Set<string>()
  const v6 = new Set<string>()
  let skipped = 0
  const kept: BanInfo[] = []
  for (const b of bans) {
    const t = b.target
    if (!b.enforced) skipped++
    else if (V4.test(t)) v4.add(t)
    else if (t.includes(':') && !t.startsWith('key:') && !t.startsWith('user:') && V6.test(t)) v6.add(t)
    else skipped++
    if (b.enforced) kept.push(b)
  }
  const sort = (s: Set<string>) => [...s].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
  return { v4: sort(v4), v6: sort(v6), skipped, bans: kept }
}

/**
 * The file for the edge. Deterministic for the same bans (no timestamp), so `--watch` rewrites and reloads only
 * when something changed.
 */
export function renderExport(plan: ExportPlan, format: ExportFormat, name: string): string {
  const all = [...plan.v4, ...plan.v6]
  const head = `# bulwark export --format ${format}: ${all.length} banned addresses and ranges. Rewritten by bulwark; do not edit.\n`
  switch (format) {
    case 'nginx':
      // `include` it in a server or location block.
      return `${head}${all.map((a) => `deny ${a};\n`).join('')}`
    case 'nginx-geo':
      // `include` it in the http block; then `if ($bulwark_banned) { return 403; }` in a server.
      return `${head}geo $${name} {\n    default 0;\n${all.map((a) => `    ${a} 1;\n`).join('')}}\n`
    case 'ipset': {
      // `ipset restore -exist < file`: two sets, filled afresh on each run.
      const lines = [
        `create ${name} hash:net family inet -exist`,
        `create ${name}6 hash:net family inet6 -exist`,
        `flush ${name}`,
        `flush ${name}6`,
        ...plan.v4.map((a) => `add ${name} ${a}`),
        ...plan.v6.map((a) => `add ${name}6 ${a}`),
      ]
      return `${head}${lines.join('\n')}\n`
    }
    case 'json':
      return `${JSON.stringify(
        plan.bans.map((b) => ({
          target: b.target,
          rule: b.rule,
          source: typeof b.source === 'string' && b.source !== '' ? b.source : b.rule,
          reason: b.reason,
          since: b.since,
          expiresAt: b.expiresAt,
        })),
        null,
        2,
      )}\n`
  }
}

/** Write the file atomically: a temporary file next to it, then a rename over it. */
export async function writeAtomic(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`
  try {
    await writeFile(temp, text, { mode: 0o644 })
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true }).catch(() => {})
    throw error
  }
}
