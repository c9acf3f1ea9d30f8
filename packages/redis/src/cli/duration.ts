const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
}

/** `90` (seconds), `30s`, `15m`, `1h`, `1h30m`, `2d`, `1w` → milliseconds, or null when it is not a duration. */
export function parseDuration(text: string): number | null {
  const t = text.trim().toLowerCase()
  let ms = 0
  if (/^\d+$/.test(t)) ms = Number(t) * 1000
  else if (/^(\d+(ms|s|min|m|h|d|w))+$/.test(t)) {
    for (const [, n, unit] of t.matchAll(/(\d+)(ms|s|min|m|h|d|w)/g))
      ms += Number(n) * (UNITS[unit as string] ?? 0)
  } else return null
  return Number.isSafeInteger(ms) && ms > 0 ? ms : null
}

/** 3_725_000 → `1h 2m`: the two largest units, seconds rounded up. */
export function formatDuration(ms: number): string {
  let s = Math.max(0, Math.ceil(ms / 1000))
  const parts: string[] = []
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    if (s >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  return parts.slice(0, 2).join(' ')
}
