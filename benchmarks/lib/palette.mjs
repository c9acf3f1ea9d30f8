// The visual language shared with the dashboard: its colours and font stack, read from the one file that defines
// them, @bulwark/admin's public/palette.css (the dashboard loads it before its layout). Nothing is copied here, so a
// colour changed there changes the charts too: green allowed, amber limited, red blocked, blue for Bulwark.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

/** The palette file's path (`public/palette.css` of the installed @bulwark/admin). */
export const PALETTE_FILE = join(
  dirname(createRequire(import.meta.url).resolve('@bulwark/admin/package.json')),
  'public',
  'palette.css',
)

/** The custom properties of a stylesheet's `:root` block: `{ allow: '#3f9b6e', font: 'system-ui, …', … }`. */
export function readVariables(css) {
  const root = css.replace(/\/\*[\s\S]*?\*\//g, '').match(/:root\s*\{([^}]*)\}/)
  if (!root) throw new Error(`${PALETTE_FILE}: no :root block`)
  const vars = {}
  for (const m of root[1].matchAll(/--([a-z0-9-]+)\s*:\s*([^;]+);/gi)) vars[m[1]] = m[2].trim()
  return vars
}

const vars = readVariables(readFileSync(PALETTE_FILE, 'utf8'))
const need = (name) => {
  const v = vars[name]
  if (v === undefined) throw new Error(`${PALETTE_FILE} defines no --${name}, which the charts use`)
  return v
}
const colour = (name) => {
  const v = need(name).toLowerCase()
  if (!/^#[0-9a-f]{6}$/.test(v)) throw new Error(`${PALETTE_FILE}: --${name} is ${v}, not a #rrggbb colour`)
  return v
}

/** The charts' names for the palette's variables. */
export const PALETTE = Object.freeze({
  allowed: colour('allow'),
  limited: colour('limit'),
  blocked: colour('block'),
  accent: colour('accent'),
  ink: colour('ink'),
  muted: colour('muted'),
  line: colour('line'),
  card: colour('card'),
  /** The dashboard's top bar and its muted text: the dark theme's background and second grey. */
  top: colour('top'),
  topMuted: colour('top-muted'),
  /** Text and grid lines on the dark background. */
  darkInk: colour('dark-ink'),
  darkLine: colour('dark-line'),
  faint: colour('faint'),
})

/** The font stack, as written in the palette (`--font`). */
export const FONT = need('font')

/** Series colours of the charts: Bulwark in the accent, the peers in the palette's greys. */
export const SERIES = Object.freeze({
  bulwark: PALETTE.accent,
  peer: PALETTE.muted,
  rlf: PALETTE.topMuted,
  bare: PALETTE.faint,
})
