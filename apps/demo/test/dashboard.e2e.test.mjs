// The dashboard in a real browser (Debian's Chromium through playwright-core): enter the token, run a burst, see the
// ban appear with its countdown, unban it, see it go; then see the deny list's refusals and the verified crawler.
import { existsSync, mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { GOOD_BOT_RANGES } from '@bulwark/core'
import { chromium } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHROMIUM_ARGS as ARGS, CHROMIUM } from '../scripts/chromium.mjs'
import { runAttack } from '../src/simulator/run.mjs'
import { TOKEN, testDemo, waitFor } from './helpers.mjs'

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url))

const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`)
  console.warn(
    `[demo tests] ${CHROMIUM} is missing (apt-get install chromium): skipping the dashboard browser test`,
  )
}

describe.skipIf(!haveChromium)('the dashboard in Chromium', () => {
  /** @type {Awaited<ReturnType<typeof testDemo>>} */
  let demo
  /** @type {import('playwright-core').Browser} */
  let browser
  /** @type {import('playwright-core').Page} */
  let page
  /** @type {string[]} */
  const pageErrors = []

  beforeAll(async () => {
    mkdirSync(OUTPUT, { recursive: true })
    demo = await testDemo()
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()))
  })
  afterAll(async () => {
    await browser?.close()
    await demo?.close()
  })

  it('asks for the token and refuses a wrong one', async () => {
    await page.goto(demo.dashboardUrl)
    await expect.poll(() => page.isVisible('#gate')).toBe(true)
    expect(await page.isVisible('#main')).toBe(false)
    await page.fill('#token', 'not-the-token-at-all')
    await page.click('#login button[type=submit]')
    await page.waitForSelector('#login-error:not([hidden])')
    expect(await page.textContent('#login-error')).toContain('not right')
  })

  it('shows a burst ban with a live countdown, and unbans it', async () => {
    pageErrors.length = 0 // the wrong token's 401 above
    await page.fill('#token', TOKEN)
    await page.click('#login button[type=submit]')
    await page.waitForSelector('#conn.on', { timeout: 10_000 })
    expect(await page.textContent('#store')).toBe('store: memory')

    const report = await runAttack({
      targets: { express: demo.urls.express },
      adminUrl: demo.adminUrl,
      token: TOKEN,
      only: ['burst'],
    })
    expect(report.pass).toBe(true)
    // One ban (a burst repeated on a busy machine leaves one per attempt: keep the last). The deny list's entries are
    // listed too (rule 'deny'), and stay: they are the list's, not bans to lift.
    const bans = async () => (await demo.engine.listBans()).filter((b) => b.rule !== 'deny')
    const [ban, ...others] = (await bans()).sort((a, b) => b.since - a.since)
    for (const extra of others) await demo.engine.unban(extra.target)
    expect(ban?.rule).toBe('burst')
    const target = /** @type {string} */ (ban?.target)

    const row = page.locator(`#bans tr[data-target="${target}"]`)
    await row.waitFor({ timeout: 10_000 })
    expect(await row.locator('.rule').textContent()).toBe('burst')
    expect(await row.locator('.reason').textContent()).toBe('Burst: 51 req/s (limit 50)')
    // The countdown starts near one hour and goes down.
    const countdown = row.locator('.countdown')
    const first = /** @type {string} */ (await countdown.textContent())
    expect(first).toMatch(/^(1:00:00|59:[0-5]\d)$/)
    await expect.poll(() => countdown.textContent(), { timeout: 5000 }).not.toBe(first)
    expect(await countdown.textContent()).toMatch(/^59:[0-5]\d$/)

    // The rest of the page saw it too: the rule count, the chart, the feed.
    await expect.poll(() => page.locator('#rules li .rule').allTextContents()).toContain('burst')
    expect(await page.locator('#chart svg rect.block').count()).toBeGreaterThan(0)
    await expect.poll(() => page.locator('#feed li .c.block').count()).toBeGreaterThan(0)
    await page.screenshot({ path: `${OUTPUT}dashboard-e2e-ban.png` })

    await row.locator('button.unban').click()
    await row.waitFor({ state: 'detached', timeout: 5000 })
    await waitFor(async () => (await bans()).length === 0, { what: 'the ban to be lifted' })
    // The next stats push does not bring it back.
    await page.waitForTimeout(1200)
    expect(await page.locator(`#bans tr[data-target="${target}"]`).count()).toBe(0)
    // What is left are the deny list's entries, with their source and no unban button.
    expect(await page.locator('#bans tr:not([data-source])').count()).toBe(0)
    const listed = page.locator('#bans tr[data-source="demo-deny-list"]')
    expect((await listed.locator('td.client').allTextContents()).sort()).toEqual([
      '192.0.2.0/24',
      '3fff:0:dead::/48',
    ])
    expect(await listed.locator('button.unban').count()).toBe(0)
    expect(await listed.first().locator('.countdown').textContent()).toBe('listed')
    await page.screenshot({ path: `${OUTPUT}dashboard-e2e-unbanned.png` })
    expect(pageErrors).toEqual([])
  })

  it("shows the deny list's refusals with their source, and the verified and the fake Googlebot", async () => {
    const report = await runAttack({
      targets: { express: demo.urls.express },
      adminUrl: demo.adminUrl,
      token: TOKEN,
      only: ['deny-list', 'good-bot'],
    })
    expect(report.results.map((r) => `${r.scenario}: ${r.pass ? 'ok' : r.observed}`)).toEqual([
      'deny-list: ok',
      'good-bot: ok',
    ])
    // The live feed: a refusal tagged with the list's name, and the verified crawler's requests tagged with the bot.
    const refusal = page.locator('#feed li', { has: page.locator('.tag.source') }).first()
    await refusal.waitFor({ timeout: 10_000 })
    expect(await refusal.locator('.tag.source').textContent()).toBe('demo-deny-list')
    expect(await refusal.locator('.c').textContent()).toBe('block')
    expect(await refusal.locator('.reason').textContent()).toMatch(/^ · Denied by demo-deny-list: /)
    const crawled = page.locator('#feed li', { has: page.locator('.tag.bot') }).first()
    await crawled.waitFor({ timeout: 10_000 })
    expect(await crawled.locator('.tag.bot').textContent()).toBe('✓ googlebot')
    expect(await crawled.locator('.reason').textContent()).toMatch(
      /^ · Verified googlebot \(range \d+\.\d+\.\d+\.\d+\/2[78]\)$/,
    )

    // The deny lists panel: the list, its two entries, the three refusals.
    const list = page.locator('#deny tr[data-source="demo-deny-list"]')
    await expect.poll(() => list.locator('.refused').textContent(), { timeout: 5000 }).toBe('3')
    expect(await list.locator('.entries').textContent()).toBe('2')
    // The crawlers panel: the verified Googlebot (its address, verified by Google's published range) and the fake.
    const verified = page.locator('#bots tr[data-status="verified"][data-bot="googlebot"]')
    await verified.first().waitFor({ timeout: 5000 })
    const botIp = /** @type {string} */ (await verified.first().locator('td.ip').textContent())
    expect(botIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/)
    expect(await verified.first().locator('.status-tag').textContent()).toBe('verified')
    const how = /** @type {string} */ (await verified.first().locator('td.reason').textContent())
    expect(how).toMatch(/^range \d+\.\d+\.\d+\.\d+\/2[78]$/)
    // One of Google's /27 or /28 ranges, and the address inside it (same /24, host part within the prefix).
    expect(GOOD_BOT_RANGES.googlebot).toContain(how.slice(6))
    const [net, bits] = how.slice(6).split('/')
    const host = (/** @type {string} */ a) => Number(a.split('.')[3])
    expect(botIp.split('.').slice(0, 3)).toEqual(String(net).split('.').slice(0, 3))
    expect(host(botIp) - host(String(net))).toBeGreaterThan(0)
    expect(host(botIp) - host(String(net))).toBeLessThan(2 ** (32 - Number(bits)))
    // Its 20 requests, once the next stats push has counted them all.
    await expect.poll(() => verified.first().locator('td.num').textContent(), { timeout: 5000 }).toBe('20')
    const fake = page.locator('#bots tr[data-status="fake"][data-bot="googlebot"]').first()
    expect(await fake.locator('td.reason').textContent()).toMatch(/is not in Googlebot's published ranges$/)
    await page.screenshot({ path: `${OUTPUT}dashboard-e2e-reputation.png` })
    expect(pageErrors).toEqual([])
  })
})
