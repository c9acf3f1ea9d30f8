// False positives measured on real material: the routes of public APIs (GitHub REST, Stripe, Kubernetes, Twilio,
// Slack — route templates from their OpenAPI descriptions, instantiated to concrete paths by
// scripts/refresh-signatures.mjs) and the most common browser, HTTP-client, monitor and bot user agents. None may be
// refused, and none may be a suspicious event.
import { readFileSync } from 'node:fs'
import { fakeClock } from '@bulwark/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { type Bulwark, createBulwark, type RequestFacts } from '../src/index.js'

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures/signatures/${name}`, import.meta.url), 'utf8'))

const routes: { paths: Record<string, string[]> } = fixture('api-routes.json')
const common: { browsers: string[]; clients: string[] } = fixture('common-agents.json')

const figures: string[] = []
afterAll(() => {
  console.log(`\nFalse positives on real material:\n${figures.map((f) => `  ${f}`).join('\n')}`)
})

let ipCounter = 0
const nextIp = () => {
  ipCounter++
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`
}

function engine(): Bulwark {
  return createBulwark({ clock: fakeClock(), logger: false, burst: false })
}

describe('real API routes are never probes', () => {
  const all = Object.entries(routes.paths).flatMap(([api, paths]) => paths.map((path) => ({ api, path })))

  it(`at least 1,000 routes of five public APIs (${all.length})`, () => {
    expect(all.length).toBeGreaterThanOrEqual(1000)
    expect(Object.keys(routes.paths).sort()).toEqual(['github', 'kubernetes', 'slack', 'stripe', 'twilio'])
  })

  it('served by the app: no route is a probe, and no client that calls them all is ever banned', async () => {
    const e = engine()
    const ip = '203.0.113.7'
    const flagged: string[] = []
    for (const { api, path } of all) {
      const d = await e.inspect({ ip, method: 'GET', path, headers: {} })
      if (d.rule !== null || d.conclusion !== 'allow') flagged.push(`${api} ${path}: ${d.rule} ${d.reason}`)
    }
    figures.push(`${all.length} real API routes served: ${flagged.length} false positives`)
    expect(flagged).toEqual([])
    await e.close()
  })

  it('answered 404 (a missing resource behind a real route) is not a probe either', async () => {
    const e = engine()
    const flagged: string[] = []
    for (const { api, path } of all) {
      const facts: RequestFacts = { ip: nextIp(), method: 'GET', path, headers: {} }
      const d = await e.report('not-found', facts)
      if (d.rule === 'probe') flagged.push(`${api} ${path}: ${d.reason}`)
    }
    figures.push(`${all.length} real API routes answered 404: ${flagged.length} counted as weak probes`)
    // Kubernetes serves node log files by name under /logs/ (`/logs/kube-apiserver.log`): `*.log` is a weak probe only
    // at the root, and deeper only under the common log names SecLists asks for.
    expect(flagged).toEqual([])
    await e.close()
  })
})

describe('common user agents are never refused', () => {
  it(`the top browser agents (${common.browsers.length}) and HTTP clients, monitors and bots (${common.clients.length})`, async () => {
    const e = engine()
    const refused: string[] = []
    const agents = [...common.browsers, ...common.clients]
    for (const ua of agents) {
      const d = await e.inspect({
        ip: nextIp(),
        method: 'GET',
        path: '/api/items',
        headers: { 'user-agent': ua },
      })
      if (d.conclusion !== 'allow' || d.rule !== null) refused.push(`${ua}: ${d.rule}`)
    }
    figures.push(`${agents.length} common user agents: ${refused.length} refused`)
    expect(refused).toEqual([])
    await e.close()
  })

  it('keeps python-httpx, Go-http-client, okhttp, PostmanRuntime, kube-probe, uptime monitors and link previews', async () => {
    const e = engine()
    for (const ua of [
      'python-httpx/0.27.2',
      'Go-http-client/1.1',
      'okhttp/4.12.0',
      'PostmanRuntime/7.42.0',
      'kube-probe/1.31',
      'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)',
      'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'Twitterbot/1.0',
      'Zapier',
    ]) {
      const d = await e.inspect({ ip: nextIp(), method: 'GET', path: '/', headers: { 'user-agent': ua } })
      expect(d.conclusion, ua).toBe('allow')
    }
    await e.close()
  })
})
