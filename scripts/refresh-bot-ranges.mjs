#!/usr/bin/env node
// Refreshes packages/core/src/data/good-bot-ranges.ts, the crawler address ranges behind `GOOD_BOT_RANGES`, from the
// files the operators publish (Google's googlebot.json, Bing's bingbot.json, Apple's applebot.json: one format,
// `{ creationTime, prefixes: [{ ipv4Prefix } | { ipv6Prefix }] }`). Needs internet; run it before a release and commit
// the result with a changeset when the ranges changed.
//
//   node scripts/refresh-bot-ranges.mjs             fetch every file and rewrite the data file
//   node scripts/refresh-bot-ranges.mjs --check     fetch and exit 1 if the data file is out of date
//   --from <dir>               read <dir>/googlebot.json, bingbot.json, applebot.json instead (e.g. saved with curl)
//   --out <file>               write (or check) another file
//   --date <YYYY-MM-DD>        the retrieval date to record (default: today, UTC)
//   --via <bot>=<text>         where a bot's file came from, when not from its URL directly (repeatable)
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkOrWrite, fetchText, option, runAsCommand } from './refresh-common.mjs'

/** The operators' files: the same URLs as `GOOD_BOT_SIGNATURES[].rangesUrl`. */
export const SOURCES = {
  googlebot: 'https://developers.google.com/static/search/apis/ipranges/googlebot.json',
  bingbot: 'https://www.bing.com/toolbox/bingbot.json',
  applebot: 'https://search.developer.apple.com/applebot.json',
}
const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The CIDRs and creation time of one operator file, checked: every prefix a CIDR, and at least one. */
export function parseFile(text, bot) {
  const doc = JSON.parse(text)
  if (!Array.isArray(doc?.prefixes)) throw new Error(`${bot}: not a { prefixes: [...] } document`)
  const out = []
  for (const p of doc.prefixes) {
    const cidr = p?.ipv4Prefix ?? p?.ipv6Prefix
    const [addr, bits, ...rest] = String(cidr).split('/')
    const family = isIP(addr ?? '')
    const n = Number(bits)
    if (rest.length > 0 || family === 0 || !/^\d{1,3}$/.test(bits ?? '') || n > (family === 4 ? 32 : 128)) {
      throw new Error(`${bot}: not a CIDR: ${JSON.stringify(String(cidr).slice(0, 80))}`)
    }
    if (!out.includes(cidr)) out.push(cidr)
  }
  if (out.length === 0) throw new Error(`${bot}: no prefixes`)
  const created = typeof doc.creationTime === 'string' ? doc.creationTime.slice(0, 19) : 'unknown'
  return { ranges: out, created }
}

export function render({ bots, date }) {
  const entries = Object.entries(bots)
  const sources = entries
    .map(([bot, b]) => {
      const via =
        b.via === undefined ? '' : `\n    via: '${b.via.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}',`
      return `  ${bot}: {\n    url: '${SOURCES[bot]}',\n    created: '${b.created}',\n    retrieved: '${date}',${via}\n  },`
    })
    .join('\n')
  const lists = entries
    .map(([bot, b]) => `  ${bot}: Object.freeze([\n${b.ranges.map((r) => `    '${r}',`).join('\n')}\n  ]),`)
    .join('\n')
  return `// Written by scripts/refresh-bot-ranges.mjs: run it again rather than editing by hand.

/** Where one bot's ranges come from. */
export interface BotRangesSource {
  /** The operator's published file. */
  readonly url: string
  /** The file's own \`creationTime\` (UTC, to the second). */
  readonly created: string
  /** The day the file was read (YYYY-MM-DD). */
  readonly retrieved: string
  /** How it was read, when not from \`url\` directly. */
  readonly via?: string
}

/**
 * Where each list of \`GOOD_BOT_RANGES\` comes from: the operator's URL, the file's creation time and the day it was
 * read. A maintainer with internet refreshes both with \`node scripts/refresh-bot-ranges.mjs\`.
 */
export const GOOD_BOT_RANGE_SOURCES: Readonly<Record<string, BotRangesSource>> = Object.freeze({
${sources}
})

/**
 * The address ranges Google, Bing and Apple publish for their crawlers, as shipped with this release: pass them as
 * \`goodBots: { ranges: GOOD_BOT_RANGES }\` to verify those crawlers without the network. The operators change them
 * now and then (Google's file is regenerated daily); \`await fetchBotRanges()\` downloads the current ones.
 * DuckDuckBot's list (single addresses that change often, https://duckduckgo.com/duckduckbot.json) is not
 * shipped: load it and pass it as \`ranges.duckduckbot\`.
 */
export const GOOD_BOT_RANGES: Readonly<Record<string, readonly string[]>> = Object.freeze({
${lists}
})
`
}

/** The lists in a data file written by render(). */
export function listsIn(text) {
  const out = {}
  for (const m of text.matchAll(/^ {2}(\w+): Object\.freeze\(\[([^\]]*)\]\)/gm)) {
    out[m[1]] = [...m[2].matchAll(/'([^']+)'/g)].map((x) => x[1])
  }
  return out
}

async function main(args) {
  const out = option(args, '--out') ?? join(root, 'packages/core/src/data/good-bot-ranges.ts')
  const from = option(args, '--from')
  const date = option(args, '--date') ?? new Date().toISOString().slice(0, 10)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Error('--date must be YYYY-MM-DD')
  const via = {}
  args.forEach((a, i) => {
    if (a !== '--via') return
    const [bot, ...text] = String(args[i + 1]).split('=')
    if (!(bot in SOURCES) || text.length === 0) throw new Error('--via takes <bot>=<text>')
    via[bot] = text.join('=')
  })
  const bots = {}
  for (const [bot, url] of Object.entries(SOURCES)) {
    const text = from
      ? readFileSync(join(from, `${bot}.json`), 'utf8')
      : await fetchText(url, 'refresh-bot-ranges')
    bots[bot] = { ...parseFile(text, bot), via: via[bot] }
  }
  let current = {}
  try {
    current = listsIn(readFileSync(out, 'utf8'))
  } catch {}
  let same = true
  for (const [bot, b] of Object.entries(bots)) {
    const was = current[bot] ?? []
    for (const r of b.ranges.filter((x) => !was.includes(x))) console.log(`+ ${bot} ${r}`)
    for (const r of was.filter((x) => !b.ranges.includes(x))) console.log(`- ${bot} ${r}`)
    if (was.length !== b.ranges.length || was.some((x) => !b.ranges.includes(x))) same = false
  }
  return checkOrWrite(args, out, same, render({ bots, date }), date)
}

runAsCommand(import.meta.url, 'refresh-bot-ranges', main)
