// How the dashboard test and the screenshot script start Debian's Chromium: headless, and quiet on a machine
// with no network (without the background-networking flags it keeps trying to reach Google).
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
