/** `1s`, `60s`, `5 min`, `24h`: a window as people say it. */
export function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms % 60_000 === 0 && ms >= 120_000) return `${ms / 60_000} min`
  if (ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}
