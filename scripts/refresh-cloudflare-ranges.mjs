#!/usr/bin/env node
// Refreshes packages/core/src/data/cloudflare-ranges.ts, the ranges behind `trustProxy: 'cloudflare'`, from
// Cloudflare's published lists (https://www.cloudflare.com/ips/). Needs internet; run it before a release and commit
// the result with a changeset when the lists changed.
//
//   node scripts/refresh-cloudflare-ranges.mjs            fetch the lists and rewrite the data file
//   node scripts/refresh-cloudflare-ranges.mjs --check    fetch and exit 1 if the data file is out of date
//   --from <v4.txt> <v6.txt>   read the lists from files instead (one CIDR a line), e.g. saved with curl
//   --out <file>               write (or check) another file
//   --date <YYYY-MM-DD>        the retrieval date to record (default: today, UTC)
//   --note "<text>"            where the lists came from, when not from the source directly
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkOrWrite, fetchText, option, runAsCommand } from './refresh-common.mjs'

const SOURCE = 'https://www.cloudflare.com/ips/'
const V4_URL = 'https://www.cloudflare.com/ips-v4'
const V6_URL = 'https://www.cloudflare.com/ips-v6'
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The CIDRs of one list, checked: every line must be a CIDR of the family, and there must be some. */
export function parseList(text, family) {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith('#'))
  const max = family === 4 ? 32 : 128
  for (const line of lines) {
    const [addr, bits, ...rest] = line.split('/')
    const n = Number(bits)
    if (rest.length > 0 || isIP(addr ?? '') !== family || !/^\d{1,3}$/.test(bits ?? '') || n < 1 || n > max) {
      throw new Error(`not an IPv${family} CIDR in the list: ${JSON.stringify(line.slice(0, 80))}`)
    }
  }
  if (lines.length === 0) throw new Error(`the IPv${family} list is empty`)
  if (new Set(lines).size !== lines.length) throw new Error(`the IPv${family} list repeats an entry`)
  return lines
}

export function render({ v4, v6, date, note }) {
  const list = (items) => items.map((r) => `    '${r}',`).join('\n')
  const provenance = note ?? `Read from the source by the script on ${date}.`
  const wrapped = provenance.replace(/(.{1,112})(\s+|$)/g, ' * $1\n').trimEnd()
  return `// Written by scripts/refresh-cloudflare-ranges.mjs: run it again rather than editing by hand.

/**
 * Cloudflare's published edge address ranges: the only addresses Cloudflare connects to an origin from, so the only
 * peers whose \`CF-Connecting-IP\` the \`trustProxy: 'cloudflare'\` preset believes.
 *
 * Source: https://www.cloudflare.com/ips/ (the plain lists https://www.cloudflare.com/ips-v4 and
 * https://www.cloudflare.com/ips-v6; the same data as JSON at https://api.cloudflare.com/client/v4/ips).
 * Cloudflare changes the list rarely and announces it in advance; to trust a newer list without waiting for a
 * release, pass it: \`trustProxy: { preset: 'cloudflare', proxies: [...v4, ...v6] }\`. A maintainer with internet
 * refreshes this file with \`node scripts/refresh-cloudflare-ranges.mjs\`.
 *
${wrapped}
 */
export const CLOUDFLARE_IPS: {
  readonly source: string
  /** The day the lists were read (YYYY-MM-DD). */
  readonly retrieved: string
  readonly v4: readonly string[]
  readonly v6: readonly string[]
} = Object.freeze({
  source: '${SOURCE}',
  retrieved: '${date}',
  v4: Object.freeze([
${list(v4)}
  ]),
  v6: Object.freeze([
${list(v6)}
  ]),
})
`
}

/** The lists in a data file written by render(). */
export function listsIn(text) {
  const block = (name) => {
    const m = new RegExp(`${name}: Object\\.freeze\\(\\[([^\\]]*)\\]`).exec(text)
    return m ? [...m[1].matchAll(/'([^']+)'/g)].map((x) => x[1]) : []
  }
  return { v4: block('v4'), v6: block('v6') }
}

async function main(args) {
  const out = option(args, '--out') ?? join(root, 'packages/core/src/data/cloudflare-ranges.ts')
  const from = option(args, '--from', 2)
  const date = option(args, '--date') ?? new Date().toISOString().slice(0, 10)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('--date must be YYYY-MM-DD')
  const note = option(args, '--note')
  const [v4Text, v6Text] = from
    ? from.map((f) => readFileSync(f, 'utf8'))
    : await Promise.all([
        fetchText(V4_URL, 'refresh-cloudflare-ranges'),
        fetchText(V6_URL, 'refresh-cloudflare-ranges'),
      ])
  const v4 = parseList(v4Text, 4)
  const v6 = parseList(v6Text, 6)
  let current = { v4: [], v6: [] }
  try {
    current = listsIn(readFileSync(out, 'utf8'))
  } catch {}
  const added = [...v4, ...v6].filter((r) => !current.v4.includes(r) && !current.v6.includes(r))
  const removed = [...current.v4, ...current.v6].filter((r) => !v4.includes(r) && !v6.includes(r))
  const same = added.length === 0 && removed.length === 0
  for (const r of added) console.log(`+ ${r}`)
  for (const r of removed) console.log(`- ${r}`)
  return checkOrWrite(args, out, same, render({ v4, v6, date, note }), date)
}

runAsCommand(import.meta.url, 'refresh-cloudflare-ranges', main)
