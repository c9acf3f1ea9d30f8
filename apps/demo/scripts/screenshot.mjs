// Makes docs/dashboard.png, the README's picture: a demo on free ports, the whole attack, then the dashboard.
// node scripts/screenshot.mjs (needs /usr/bin/chromium, or CHROMIUM_PATH)
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { startDemo } from '../src/demo.mjs'
import { runAttack } from '../src/simulator/run.mjs'
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.mjs'

const token = 'screenshot-token-0123456789'
const out = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url))
const demo = await startDemo({
  ports: { express: 0, fastify: 0, koa: 0 },
  trustProxy: 'loopback',
  adminToken: token,
  log: { warn() {} },
})
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 860 } })
  await page.goto(demo.dashboardUrl)
  await page.fill('#token', token)
  await page.click('#login button[type=submit]')
  await page.waitForSelector('#conn.on')
  const report = await runAttack({ targets: demo.urls, adminUrl: demo.adminUrl, token })
  if (!report.pass) throw new Error('the attack missed a scenario')
  await page.waitForTimeout(2500) // a couple of stats pushes, so the last seconds are in the chart
  await page.screenshot({ path: out })
  console.log(`wrote ${out}`)
} finally {
  await browser.close()
  await demo.close()
}
