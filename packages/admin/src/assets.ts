import { readFileSync } from 'node:fs'

/** The dashboard's files, served from the package's `public/` folder. */
export const ASSETS = Object.freeze({
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  /** The colours and font stack, shared with the benchmark charts. */
  '/palette.css': { file: 'palette.css', type: 'text/css; charset=utf-8' },
} as const)

export type AssetPath = keyof typeof ASSETS

/**
 * The page's Content-Security-Policy: its own script and stylesheet only, no inline code, no other origin, no
 * framing. The page talks to the API on the same origin.
 */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const cache = new Map<string, Buffer>()

/** An asset's bytes, read once (four small files). */
export function readAsset(path: AssetPath): Buffer {
  const file = ASSETS[path].file
  let bytes = cache.get(file)
  if (bytes === undefined) {
    bytes = readFileSync(new URL(`../public/${file}`, import.meta.url))
    cache.set(file, bytes)
  }
  return bytes
}

export function isAsset(path: string): path is AssetPath {
  return Object.hasOwn(ASSETS, path)
}
