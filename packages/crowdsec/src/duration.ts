const UNITS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Parses a Go duration as the Local API writes them (`3h59m58.5s`, `-51.4ms` for an expired decision) into
 * milliseconds. Returns undefined for anything else.
 */
export function parseGoDuration(text: unknown): number | undefined {
  if (typeof text !== 'string' || text.length === 0 || text.length > 64) return undefined
  let i = 0
  let sign = 1
  if (text[0] === '-' || text[0] === '+') {
    sign = text[0] === '-' ? -1 : 1
    i = 1
  }
  if (text.slice(i) === '0') return 0
  let total = 0
  let parts = 0
  while (i < text.length) {
    PART.lastIndex = i
    const m = PART.exec(text)
    if (m === null) return undefined
    total += Number(m[1]) * (UNITS[m[2] as string] as number)
    i = PART.lastIndex
    parts++
  }
  if (parts === 0 || !Number.isFinite(total)) return undefined
  return sign * total
}

/** Milliseconds as a Go duration in whole seconds (`3600s`), at least `1s`. */
export function formatGoDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`
}
