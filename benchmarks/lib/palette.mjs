// The visual language shared with the demo dashboard (@bulwark/admin's dashboard.css: --allow, --limit, --block,
// --accent, --ink, --muted, --line and its font stack). Charts use these and nothing else, so a reader who knows the
// dashboard reads the charts the same way: green allowed, amber limited, red blocked, blue for Bulwark.

export const PALETTE = Object.freeze({
  allowed: '#3f9b6e',
  limited: '#e0a21b',
  blocked: '#d64545',
  accent: '#2f5bd3',
  ink: '#1c2330',
  muted: '#6b7385',
  line: '#e3e6ec',
  card: '#ffffff',
  /** The dashboard's top bar and its muted text: the dark theme's background and second grey. */
  top: '#161b26',
  topMuted: '#9aa3b5',
  /** Text and grid lines on the dark background. */
  darkInk: '#e6e9ef',
  darkLine: '#2c3445',
})

export const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'

/** Series colours of the charts: Bulwark in the accent, the peers in the dashboard's two greys. */
export const SERIES = Object.freeze({
  bulwark: PALETTE.accent,
  peer: PALETTE.muted,
  rlf: PALETTE.topMuted,
  bare: '#c3c8d2',
})
