// The mounted dashboard in a real browser (Debian's Chromium through playwright-core): log in with the token, see a
// ban appear, unban it from the page, watch the live feed update. Skips loudly without Chromium, except on CI.
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import { type Bulwark, createBulwark } from '@bulwark/core'
import { bulwark } from '@bulwark/express'
import { bulwark as fastifyBulwark } from '@bulwark/fastify'
import express from 'express'
import Fastify from 'fastify'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Admin, createAdmin, expressAdmin, fastifyAdmin } from '../src/index.js'
import { closeServer, listen, TOKEN } from './helpers.js'

/** The browser's, called inside page.evaluate (this package's TypeScript has no DOM library). */
declare function getComputedStyle(element: unknown): { color: string; fontFamily: string }

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium'
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const haveChromium = existsSync(CHROMIUM)
if (!haveChromium) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium package`)
  console.warn(
    `[admin tests] ${CHROMIUM} is missing (apt-get install chromium): skipping the dashboard browser test`,
  )
}

describe.skipIf(!haveChromium)('the mounted dashboard in Chromium', () => {
  let engine: Bulwark
  let admin: Admin
  let server: ReturnType<typeof createServer>
  let url: string
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []
  const violations: string[] = []

  beforeAll(async () => {
    engine = createBulwark({ logger: false, emitAllows: true })
    admin = createAdmin({ engine, token: TOKEN, env: {} })
    const app = express()
    app.use('/ops', expressAdmin(admin))
    app.use(bulwark({ engine }))
    app.get('/api/items', (_req, res) => void res.json({ ok: true }))
    server = createServer(app)
    url = await listen(server)
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    page.on('pageerror', (error) => pageErrors.push(error.message))
    page.on('console', (m) => {
      if (m.type() !== 'error') return
      // The CSP reports anything it blocks on the console: there must be nothing.
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text())
      else pageErrors.push(m.text())
    })
  })
  afterAll(async () => {
    await browser?.close()
    admin?.close()
    if (server) await closeServer(server)
    await engine?.close()
  })

  it('logs in, shows a ban, unbans it from the page, and the feed updates live', async () => {
    await page.goto(`${url}/ops`)
    expect(new URL(page.url()).pathname).toBe('/ops/')
    await page.fill('#token', TOKEN)
    await page.click('#login button[type=submit]')
    await page.waitForSelector('#conn.on', { timeout: 10_000 })

    // A ban made elsewhere (the CLI, another app server) shows up with its countdown.
    await engine.ban('203.0.113.77', { ttlMs: 600_000, reason: 'e2e' })
    const row = page.locator('#bans tr[data-target="203.0.113.77"]')
    await row.waitFor({ timeout: 10_000 })
    expect(await row.locator('.rule').textContent()).toBe('manual')
    expect(await row.locator('.reason').textContent()).toBe('Manual ban: e2e')
    expect(await row.locator('.countdown').textContent()).toMatch(/^(10:00|9:[0-5]\d)$/)

    // Traffic through the app: the feed and the per-rule counts update from the event stream.
    await page.uncheck('#hide-allows')
    // (Allowed requests, then a scanner's, which is refused and banned at once: no timing involved.)
    for (let i = 0; i < 3; i++) await fetch(`${url}/api/items`)
    expect((await fetch(`${url}/api/items`, { headers: { 'user-agent': 'sqlmap/1.8' } })).status).toBe(403)
    const poll = { timeout: 10_000 }
    await expect.poll(() => page.locator('#feed li .c.block').count(), poll).toBeGreaterThan(0)
    await expect.poll(() => page.locator('#feed li .c.allow').count(), poll).toBe(3)
    await expect.poll(() => page.locator('#rules li .rule').allTextContents(), poll).toContain('scanner')
    // Colours and font come from palette.css (the file the benchmark charts read): green allowed, red blocked.
    const style = (selector: string) =>
      page
        .locator(selector)
        .first()
        .evaluate((e) => {
          const s = getComputedStyle(e)
          return { color: s.color, font: s.fontFamily }
        })
    expect(await style('#feed li .c.allow')).toEqual({
      color: 'rgb(63, 155, 110)',
      font: expect.stringMatching(/^system-ui, /),
    })
    expect((await style('#feed li .c.block')).color).toBe('rgb(214, 69, 69)')

    // Unban from the page: the row goes, and the engine has lifted it.
    await row.locator('button.unban').click()
    await row.waitFor({ state: 'detached', timeout: 5000 })
    await expect.poll(async () => (await engine.listBans()).map((b) => b.target)).toEqual(['127.0.0.1'])
    expect(pageErrors).toEqual([])
    expect(violations).toEqual([])
  })

  it('without a token (loopbackOnly, mounted in fastify): no login, a ban shows up and is lifted from the page', async () => {
    const app = Fastify()
    const local = createAdmin({ engine, loopbackOnly: true, env: {} })
    await app.register(fastifyBulwark, { engine })
    await app.register(fastifyAdmin(local), { prefix: '/ops' })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const second = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    second.on('pageerror', (error) => pageErrors.push(error.message))
    const sent: (string | undefined)[] = []
    second.on('request', (r) => {
      if (r.url().includes('/ops/api/')) sent.push(r.headers().authorization)
    })
    try {
      await second.goto(`${base}/ops/`)
      await second.waitForSelector('#conn.on', { timeout: 10_000 })
      expect(await second.locator('#gate').isHidden()).toBe(true)
      expect(await second.locator('#logout').isHidden()).toBe(true)

      await engine.ban('203.0.113.78', { ttlMs: 600_000, reason: 'local' })
      const row = second.locator('#bans tr[data-target="203.0.113.78"]')
      await row.waitFor({ timeout: 10_000 })
      await row.locator('button.unban').click()
      await row.waitFor({ state: 'detached', timeout: 5000 })
      await expect
        .poll(async () => (await engine.listBans()).map((b) => b.target))
        .not.toContain('203.0.113.78')
      // No token was ever sent, and nothing counted as a failed authentication.
      expect(sent.length).toBeGreaterThan(0)
      expect(sent.every((h) => h === undefined)).toBe(true)
      expect(local.feed.counters().totals.authFailures).toBe(0)
      expect(pageErrors).toEqual([])
    } finally {
      await second.close()
      local.close()
      await app.close()
    }
  })
})
