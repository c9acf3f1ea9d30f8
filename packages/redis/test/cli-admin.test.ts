import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Admin, createAdmin } from '@bulwark/admin'
import { type Bulwark, createBulwark } from '@bulwark/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { createProgress, isLive } from '../src/cli/progress.js'
import { cli, ensureBuilt } from './helpers/cli.js'
import { freePort, waitFor } from './helpers/redis-server.js'

// The CLI against a running app's admin API (@bulwark/admin over HTTP, an app on the memory store): no Redis needed.
const TOKEN = 'cli-admin-token-0123456789abcdef'
let engine: Bulwark
let admin: Admin
let server: http.Server
let url: string
let env: Record<string, string>
const dir = mkdtempSync(join(tmpdir(), 'bulwark-cli-'))

beforeAll(async () => {
  await ensureBuilt()
  engine = createBulwark({ logger: false, emitAllows: true })
  admin = createAdmin({ engine, token: TOKEN, env: {} })
  server = http.createServer((req, res) => {
    void admin.handle(req, res, { path: (req.url ?? '/').split('?')[0]?.replace(/^\/admin/, '') })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/admin`
  env = { BULWARK_ADMIN_URL: url, BULWARK_ADMIN_TOKEN: TOKEN }
}, 180_000)
afterAll(async () => {
  admin?.close()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
  await engine?.close()
})
beforeEach(async () => {
  for (const b of await engine.listBans()) await engine.unban(b.target)
  for (const e of await engine.whitelist.list()) await engine.whitelist.remove(e)
})

describe('bulwark CLI against an admin API', () => {
  it('bans, lists (table and JSON) and unbans, with --admin-url and --token', async () => {
    const banned = await cli([
      '--admin-url',
      url,
      '--token',
      TOKEN,
      'ban',
      '203.0.113.7',
      '--ttl',
      '10m',
      '--reason',
      'abuse',
    ])
    expect(banned).toMatchObject({ code: 0, stderr: '' })
    expect(banned.stdout).toMatch(/^Banned 203\.0\.113\.7 for 10m \(until .+Z\): Manual ban: abuse\n$/)
    expect((await engine.inspect({ ip: '203.0.113.7', method: 'GET', path: '/', headers: {} })).status).toBe(
      403,
    )

    const table = await cli(['bans'], env)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TARGET\s+RULE\s+SOURCE\s+REASON\s+TIME LEFT\s+OFFENSE\s+MODE$/)
    expect(lines[1]).toMatch(
      /^203\.0\.113\.7\s+manual\s+manual\s+Manual ban: abuse\s+(10m( \d+s)?|9m( \d+s)?)\s+1\s+enforced$/,
    )
    const json = JSON.parse((await cli(['bans', '--json'], env)).stdout) as { target: string }[]
    expect(json.map((b) => b.target)).toEqual(['203.0.113.7'])

    expect((await cli(['unban', '203.0.113.7'], env)).stdout).toBe('Unbanned 203.0.113.7\n')
    expect((await cli(['unban', '203.0.113.7', '--json'], env)).stdout).toBe(
      '{"target":"203.0.113.7","unbanned":false}\n',
    )
    expect(await engine.listBans()).toEqual([])
  })

  it("bans shows each ban's source: a deny list's name, a rule, manual (table and JSON)", async () => {
    // An app with a deny list (a deny source named 'drop') behind its own admin API.
    const listed = createBulwark({
      logger: false,
      deny: [
        {
          name: 'drop',
          start: (sink) =>
            void sink.replace([{ target: '192.0.2.0/24', reason: 'SBL 1' }, { target: '3fff:0:dead::/48' }]),
        },
      ],
    })
    await listed.ready
    const listedAdmin = createAdmin({ engine: listed, token: TOKEN, env: {} })
    const listedServer = http.createServer((req, res) => {
      void listedAdmin.handle(req, res, { path: (req.url ?? '/').split('?')[0]?.replace(/^\/admin/, '') })
    })
    await new Promise<void>((resolve) => listedServer.listen(0, '127.0.0.1', resolve))
    const at = {
      BULWARK_ADMIN_URL: `http://127.0.0.1:${(listedServer.address() as AddressInfo).port}/admin`,
      BULWARK_ADMIN_TOKEN: TOKEN,
    }
    try {
      const scan = await listed.inspect({
        ip: '198.51.100.95',
        method: 'GET',
        path: '/',
        headers: { 'user-agent': 'sqlmap/1.8.4#stable (https://sqlmap.org)' },
      })
      expect(scan).toMatchObject({ rule: 'scanner', newBan: true })
      await listed.ban('198.51.100.96', { reason: 'by hand' })

      const lines = (await cli(['bans'], at)).stdout.trimEnd().split('\n')
      expect(lines[0]).toMatch(/^TARGET\s+RULE\s+SOURCE\s+REASON\s+TIME LEFT\s+OFFENSE\s+MODE$/)
      const row = (target: string) => lines.find((l) => l.startsWith(`${target} `))
      expect(row('192.0.2.0/24')).toMatch(
        /^192\.0\.2\.0\/24\s+deny\s+drop\s+Denied by drop: 192\.0\.2\.0\/24 \(SBL 1\)\s+until removed\s+1\s+enforced$/,
      )
      expect(row('3fff:0:dead::/48')).toMatch(
        /^3fff:0:dead::\/48\s+deny\s+drop\s+Denied by drop: 3fff:0:dead::\/48\s+until removed\s+1\s+enforced$/,
      )
      expect(row('198.51.100.95')).toMatch(/^198\.51\.100\.95\s+scanner\s+scanner\s+Scanner user agent: /)
      expect(row('198.51.100.96')).toMatch(/^198\.51\.100\.96\s+manual\s+manual\s+Manual ban: by hand\s+/)

      const json = JSON.parse((await cli(['bans', '--json'], at)).stdout) as {
        target: string
        source: string
        ttlS: number
      }[]
      expect(json.map((b) => [b.target, b.source, b.ttlS > 0 ? 'timed' : b.ttlS]).sort()).toEqual([
        ['192.0.2.0/24', 'drop', -1],
        ['198.51.100.95', 'scanner', 'timed'],
        ['198.51.100.96', 'manual', 'timed'],
        ['3fff:0:dead::/48', 'drop', -1],
      ])
      // The edge export says where each entry comes from too.
      const exported = JSON.parse((await cli(['export', '--format', 'json'], at)).stdout) as {
        target: string
        rule: string
        source: string
      }[]
      expect(exported.map((b) => `${b.target} ${b.rule} ${b.source}`).sort()).toEqual([
        '192.0.2.0/24 deny drop',
        '198.51.100.95 scanner scanner',
        '198.51.100.96 manual manual',
        '3fff:0:dead::/48 deny drop',
      ])
    } finally {
      listedAdmin.close()
      listedServer.closeAllConnections()
      await new Promise((resolve) => listedServer.close(resolve))
      await listed.close()
    }
  })

  it('whitelist add, list, remove and import (counts, refused entries, exit 2)', async () => {
    expect((await cli(['whitelist', 'add', '10.0.0.0/8'], env)).stdout).toBe('Whitelisted 10.0.0.0/8\n')
    expect(JSON.parse((await cli(['whitelist', 'list', '--json'], env)).stdout)).toEqual(['10.0.0.0/8'])
    expect((await cli(['whitelist', 'remove', '10.0.0.0/8'], env)).stdout).toBe(
      'Removed 10.0.0.0/8 from the whitelist\n',
    )

    const file = join(dir, 'allow.txt')
    const good = Array.from({ length: 1200 }, (_, i) => `192.0.${i >> 8}.${i & 255}`)
    writeFileSync(
      file,
      `# office and monitoring\n${good.join('\n')}\n\n198.51.100.0/24 # the VPN\n999.1.1.1\n`,
    )
    const r = await cli(['whitelist', 'import', file], { ...env, CI: 'true' })
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('Imported 1201 of 1202 entries (1 refused)\n')
    // Not a TTY: plain lines with the counts, one per batch, then the refused entry.
    const err = r.stderr.trimEnd().split('\n')
    expect(err.slice(0, 4)).toEqual([
      `whitelist import: 0 of 1202 entries to the admin API at ${url}`,
      'whitelist import: 500 of 1202 entries',
      'whitelist import: 1000 of 1202 entries',
      'whitelist import: 1202 of 1202 entries',
    ])
    expect(err[4]).toMatch(/^bulwark: refused "999\.1\.1\.1": /)
    expect(r.stderr).not.toContain('\r')
    expect((await engine.whitelist.list()).length).toBe(1201)
  })

  it('rules: decisions per rule, as a table or JSON', async () => {
    for (let i = 0; i < 53; i++)
      await engine.inspect({ ip: '198.51.100.200', method: 'GET', path: '/', headers: {} })
    const table = (await cli(['rules'], env)).stdout.trimEnd().split('\n')
    expect(table[0]).toMatch(/^RULE\s+ALLOWED\s+LIMITED\s+BLOCKED\s+TOTAL$/)
    expect(table).toContainEqual(expect.stringMatching(/^burst\s+0\s+0\s+3\s+3$/))
    const json = JSON.parse((await cli(['rules', '--json'], env)).stdout)
    expect(json.burst).toEqual({ allow: 0, limit: 0, block: 3 })
  })

  it('stats: totals, active bans, decisions per rule, deny sources and crawlers, as text or JSON', async () => {
    const before = JSON.parse((await cli(['stats', '--json'], env)).stdout) as {
      totals: { allow: number; block: number; bans: number }
    }
    for (let i = 0; i < 2; i++)
      await engine.inspect({ ip: '198.51.100.30', method: 'GET', path: '/', headers: {} })
    await engine.inspect({
      ip: '198.51.100.31',
      method: 'GET',
      path: '/',
      headers: { 'user-agent': 'sqlmap/1.8' },
    })
    const json = JSON.parse((await cli(['stats', '--json'], env)).stdout) as {
      totals: { allow: number; block: number; bans: number }
      banCount: number
      rules: Record<string, { block: number }>
      bans: { target: string }[]
      series: unknown[]
    }
    expect(json.totals.allow - before.totals.allow).toBe(2)
    expect(json.totals.block - before.totals.block).toBe(1)
    expect(json.totals.bans - before.totals.bans).toBe(1)
    expect(json.banCount).toBe(1)
    expect(json.bans.map((b) => b.target)).toEqual(['198.51.100.31'])
    expect(json.series).toHaveLength(60)

    const text = await cli(['stats'], env)
    expect(text).toMatchObject({ code: 0, stderr: '' })
    const lines = text.stdout.trimEnd().split('\n')
    const bans = json.totals.bans === 1 ? '1 ban' : `${json.totals.bans} bans`
    expect(lines[0]).toBe(
      `Since start: ${json.totals.allow} allowed, 0 limited, ${json.totals.block} blocked; 0 failed authentications; ${bans} created`,
    )
    expect(lines[1]).toBe('Now: 1 active ban, store memory (primary), mode enforce')
    expect(lines[2]).toBe('')
    expect(lines[3]).toMatch(/^RULE\s+ALLOWED\s+LIMITED\s+BLOCKED\s+TOTAL$/)
    expect(lines).toContainEqual(expect.stringMatching(/^scanner\s+0\s+0\s+1\s+1$/))
  })

  it('stats lists deny sources and the crawlers seen', async () => {
    const rep = createBulwark({
      logger: false,
      deny: [{ name: 'drop', start: (sink) => void sink.replace([{ target: '192.0.2.0/24' }]) }],
      goodBots: { ranges: { googlebot: ['66.249.64.0/19'] }, resolver: false },
    })
    await rep.ready
    const repAdmin = createAdmin({ engine: rep, token: TOKEN, env: {} })
    const repServer = http.createServer((req, res) => {
      void repAdmin.handle(req, res, { path: (req.url ?? '/').split('?')[0]?.replace(/^\/admin/, '') })
    })
    await new Promise<void>((resolve) => repServer.listen(0, '127.0.0.1', resolve))
    const at = {
      BULWARK_ADMIN_URL: `http://127.0.0.1:${(repServer.address() as AddressInfo).port}/admin`,
      BULWARK_ADMIN_TOKEN: TOKEN,
    }
    try {
      for (const ip of ['192.0.2.7', '192.0.2.8'])
        await rep.inspect({ ip, method: 'GET', path: '/', headers: {} })
      const googlebot = {
        'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      }
      await rep.inspect({ ip: '66.249.66.1', method: 'GET', path: '/', headers: googlebot })
      const lines = (await cli(['stats'], at)).stdout.trimEnd().split('\n')
      const at0 = lines.findIndex((l) => l.startsWith('DENY SOURCE'))
      expect(lines.slice(at0, at0 + 2)).toEqual([
        expect.stringMatching(/^DENY SOURCE\s+ENTRIES\s+REFUSED$/),
        expect.stringMatching(/^drop\s+1\s+2$/),
      ])
      const at1 = lines.findIndex((l) => l.startsWith('CRAWLER'))
      expect(lines.slice(at1, at1 + 2)).toEqual([
        expect.stringMatching(/^CRAWLER\s+IP\s+STATUS\s+SEEN\s+DETAIL$/),
        expect.stringMatching(/^googlebot\s+66\.249\.66\.1\s+verified\s+1\s+range 66\.249\.64\.0\/19$/),
      ])
    } finally {
      repAdmin.close()
      repServer.closeAllConnections()
      await new Promise((resolve) => repServer.close(resolve))
      await rep.close()
    }
  })

  it("info: the app's mode, store and limits, as a table or JSON", async () => {
    const json = JSON.parse((await cli(['info', '--json'], env)).stdout)
    expect(json).toMatchObject({
      service: 'bulwark',
      mode: 'enforce',
      store: { name: 'memory' },
      rules: { burst: { limit: 50, windowMs: 1000 } },
    })
    const table = await cli(['info'], env)
    expect(table).toMatchObject({ code: 0, stderr: '' })
    expect(table.stdout.trimEnd().split('\n')).toEqual([
      expect.stringMatching(/^SETTING\s+VALUE$/),
      expect.stringMatching(/^mode\s+enforce$/),
      expect.stringMatching(/^store\s+memory \(primary\)$/),
      expect.stringMatching(/^burst\s+50 in 1s$/),
      expect.stringMatching(/^authFailures\s+10 in 1m$/),
      expect.stringMatching(/^scraping\s+500 distinct items in 5m$/),
      expect.stringMatching(/^suspicion\s+5 suspicious events in 1d$/),
      expect.stringMatching(/^bodySize\s+10 MiB$/),
      expect.stringMatching(/^ban\s+1h, ×2 for repeat offenders up to 1d$/),
    ])
  })

  it('events: a line per ban, decision and unban (a table for people, JSON lines for scripts), --count stops', async () => {
    const follow = (args: string[]) => {
      const run = cli(['events', '--topics', 'ban,unban,decisions', '--count', '3', ...args], env)
      return { run }
    }
    const traffic = async (ip: string) => {
      await waitFor(() => admin.feed.listeners === 1, 10_000, 'the CLI to follow the stream')
      await engine.ban(ip, { ttlMs: 600_000, reason: 'live' })
      await engine.inspect({ ip, method: 'GET', path: '/items/7', headers: {} })
      await engine.unban(ip)
    }

    const table = follow([])
    await traffic('203.0.113.70')
    const t = await table.run
    // The counts go to stderr (plain lines in a pipe), the events alone to stdout.
    expect(t).toMatchObject({
      code: 0,
      stderr: `following ban, unban, decisions from the admin API at ${url}; Ctrl-C stops\n`,
    })
    const lines = t.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TIME\s+EVENT\s+OUTCOME\s+RULE\s+STATUS\s+CLIENT\s+WHAT$/)
    expect(lines.slice(1).sort()).toEqual([
      expect.stringMatching(
        /^\d\d:\d\d:\d\d\s+ban\s+banned\s+manual\s+203\.0\.113\.70\s+10m · Manual ban: live$/,
      ),
      expect.stringMatching(
        /^\d\d:\d\d:\d\d\s+decision\s+block\s+manual\s+403\s+203\.0\.113\.70\s+GET \/items\/7 · Manual ban: live$/,
      ),
      expect.stringMatching(/^\d\d:\d\d:\d\d\s+unban\s+lifted\s+203\.0\.113\.70$/),
    ])
    await waitFor(() => admin.feed.listeners === 0, 5000, 'the CLI to let go of the stream')

    const json = follow(['--json'])
    await traffic('203.0.113.71')
    const j = await json.run
    expect(j.code).toBe(0)
    const records = j.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; data: Record<string, unknown> })
    expect(records.map((r) => r.event).sort()).toEqual(['ban', 'decision', 'unban'])
    expect(records.find((r) => r.event === 'decision')?.data).toMatchObject({
      ip: '203.0.113.71',
      conclusion: 'block',
      status: 403,
      path: '/items/7',
    })
    expect(records.find((r) => r.event === 'ban')?.data).toMatchObject({ target: '203.0.113.71', ttlS: 600 })
    await waitFor(() => admin.feed.listeners === 0, 5000, 'the CLI to let go of the stream')
  })

  it('events: Ctrl-C stops it (exit 0); an app that ends the stream is exit 1; a wrong token is refused', async () => {
    const out: string[] = []
    const err: string[] = []
    const stop = new AbortController()
    const io = { env, out: (s: string) => out.push(s), err: (s: string) => err.push(s), stop: stop.signal }
    const following = main(['events', '--topics', 'ban'], {
      ...io,
      progress: { isTTY: false, write: (s) => err.push(s) },
    })
    await waitFor(() => admin.feed.listeners === 1, 10_000, 'the stream')
    await engine.ban('203.0.113.72', { reason: 'x' })
    await waitFor(() => out.length === 2, 5000, 'the ban line')
    stop.abort()
    expect(await following).toBe(0)
    expect(err).toEqual([`following ban from the admin API at ${url}; Ctrl-C stops\n`])
    await waitFor(() => admin.feed.listeners === 0, 5000, 'the stream to be released')

    // An app that closes (its admin ends every stream).
    const other = createAdmin({ engine, token: TOKEN, env: {} })
    const otherServer = http.createServer((req, res) => {
      void other.handle(req, res, { path: (req.url ?? '/').split('?')[0]?.replace(/^\/admin/, '') })
    })
    await new Promise<void>((resolve) => otherServer.listen(0, '127.0.0.1', resolve))
    const otherUrl = `http://127.0.0.1:${(otherServer.address() as AddressInfo).port}/admin`
    try {
      const ended: string[] = []
      const run = main(['events', '--admin-url', otherUrl, '--token', TOKEN], {
        env: {},
        out: () => {},
        err: (s) => ended.push(s),
      })
      await waitFor(() => other.feed.listeners === 1, 10_000, 'the stream')
      other.close()
      expect(await run).toBe(1)
      expect(ended).toEqual([`bulwark: the admin API at ${otherUrl} ended the event stream (after 0 lines)`])
    } finally {
      otherServer.closeAllConnections()
      await new Promise((resolve) => otherServer.close(resolve))
    }

    const wrong = await cli(['events'], { ...env, BULWARK_ADMIN_TOKEN: 'y'.repeat(32) })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toBe(
      `bulwark: the admin API at ${url} refused the token (401): check --token or BULWARK_ADMIN_TOKEN\n`,
    )
  })

  it('export: nginx deny lines, an nginx geo block, ipset input and JSON, to stdout or a file', async () => {
    await engine.ban('203.0.113.9', { reason: 'a' })
    await engine.ban('2001:db8:1:2::7', { reason: 'b' })
    await engine.ban('198.51.100.4', { reason: 'c' })
    const nginx = await cli(['export'], { ...env, CI: 'true' })
    // Counts on stderr (plain lines: not a TTY), the file alone on stdout.
    expect(nginx.stderr).toBe(
      `export: reading bans from the admin API at ${url}\nexport: 3 addresses and ranges from the admin API at ${url}\n`,
    )
    expect(nginx.stdout).toBe(
      '# bulwark export --format nginx: 3 banned addresses and ranges. Rewritten by bulwark; do not edit.\n' +
        'deny 198.51.100.4;\ndeny 203.0.113.9;\ndeny 2001:db8:1:2::/64;\n',
    )
    expect((await cli(['export', '--format', 'nginx-geo'], env)).stdout).toContain(
      'geo $bulwark_banned {\n    default 0;\n    198.51.100.4 1;\n    203.0.113.9 1;\n    2001:db8:1:2::/64 1;\n}\n',
    )
    expect(
      (await cli(['export', '--format', 'ipset', '--name', 'edge'], env)).stdout.split('\n').slice(1),
    ).toEqual([
      'create edge hash:net family inet -exist',
      'create edge6 hash:net family inet6 -exist',
      'flush edge',
      'flush edge6',
      'add edge 198.51.100.4',
      'add edge 203.0.113.9',
      'add edge6 2001:db8:1:2::/64',
      '',
    ])
    const file = join(dir, 'bans.json')
    const written = await cli(['export', '--format', 'json', '--out', file], env)
    expect(written.stdout).toBe(`Wrote ${file}: 3 addresses and ranges\n`)
    expect(
      (JSON.parse(readFileSync(file, 'utf8')) as { target: string }[]).map((b) => b.target).sort(),
    ).toEqual(['198.51.100.4', '2001:db8:1:2::/64', '203.0.113.9'])
  })

  it('a wrong token or an unreachable app is a runtime error: exit 1, one line', async () => {
    const wrong = await cli(['bans'], { ...env, BULWARK_ADMIN_TOKEN: 'x'.repeat(32) })
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toBe(
      `bulwark: the admin API at ${url} refused the token (401): check --token or BULWARK_ADMIN_TOKEN\n`,
    )
    const port = await freePort()
    const gone = await cli(['bans', '--admin-url', `http://127.0.0.1:${port}/admin`, '--token', TOKEN])
    expect(gone.code).toBe(1)
    expect(gone.stderr).toBe(
      `bulwark: cannot reach the admin API at http://127.0.0.1:${port}/admin (ECONNREFUSED)\n`,
    )
  })
})

describe('parity with the admin API', () => {
  it("every route of @bulwark/admin's API has a bulwark command, named in --help", async () => {
    const routes = (file: string) =>
      [...readFileSync(file, 'utf8').matchAll(/^\| `((?:GET|POST|DELETE) \/api\/[^`]*)`/gm)].map((m) =>
        (m[1] as string).replace(/:\w+/g, ':'),
      )
    const adminRoutes = routes(fileURLToPath(new URL('../../admin/README.md', import.meta.url)))
    expect(adminRoutes.length).toBeGreaterThanOrEqual(10)
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8')
    const mapped = new Map(
      [...readme.matchAll(/^\| `((?:GET|POST|DELETE) \/api\/[^`]*)`[^|]*\|\s*(.+?)\s*\|$/gm)].map((m) => [
        (m[1] as string).replace(/:\w+/g, ':'),
        m[2] as string,
      ]),
    )
    expect([...mapped.keys()].sort()).toEqual([...adminRoutes].sort())
    const help = (await cli(['--help'])).stdout
    for (const commands of mapped.values())
      for (const [, command] of commands.matchAll(/`([a-z]+(?: [a-z]+)?)/g))
        expect(help).toContain(`bulwark ${command}`)
  })
})

describe('progress', () => {
  it('on a TTY: one status line rewritten in place, at most ten times a second, lines that stay above it', () => {
    let t = 0
    const out: string[] = []
    const p = createProgress({ isTTY: true, write: (s) => out.push(s) }, () => t)
    p.update('import: 0 of 3')
    t += 50
    p.update('import: 1 of 3') // within 100 ms: not drawn
    t += 100
    p.update('import: 2 of 3')
    p.line('wrote x')
    p.end()
    expect(out).toEqual([
      'import: 0 of 3',
      '\r\x1b[2K',
      'import: 2 of 3',
      '\r\x1b[2K',
      'wrote x\n',
      'import: 2 of 3',
      '\r\x1b[2K',
    ])
  })

  it('live only on a terminal with CI unset, empty, "false" or "0" (as the simulator and the benchmarks)', () => {
    expect(isLive(true, undefined)).toBe(true)
    expect(isLive(true, '')).toBe(true)
    expect(isLive(true, 'false')).toBe(true)
    expect(isLive(true, '0')).toBe(true)
    expect(isLive(true, 'true')).toBe(false)
    expect(isLive(true, '1')).toBe(false)
    expect(isLive(false, undefined)).toBe(false)
    expect(isLive(undefined, undefined)).toBe(false)
  })

  it('not a TTY (a pipe, CI): plain lines, nothing rewritten', () => {
    const out: string[] = []
    const p = createProgress({ isTTY: false, write: (s) => out.push(s) })
    p.update('import: 0 of 3')
    p.update('import: 3 of 3')
    p.line('wrote x')
    p.end()
    expect(out).toEqual(['import: 0 of 3\n', 'import: 3 of 3\n', 'wrote x\n'])
  })

  it('whitelist import on a TTY draws its counts in place, then prints the result', async () => {
    const err: string[] = []
    const out: string[] = []
    const code = await main(['whitelist', 'import', 'list.txt'], {
      env,
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      progress: { isTTY: true, write: (s) => err.push(s) },
      readFile: async () => '192.0.2.1\n192.0.2.2\n',
    })
    expect(code).toBe(0)
    expect(out).toEqual(['Imported 2 of 2 entries'])
    expect(err[0]).toBe(`whitelist import: 0 of 2 entries to the admin API at ${url}`)
    expect(err.at(-1)).toBe('\r\x1b[2K')
    expect(err.join('')).not.toContain('\n')
  })

  it('export --watch on a TTY: a live status line, a line per rewrite; stops when asked', async () => {
    await engine.ban('192.0.2.77', { reason: 'watch' })
    const file = join(dir, 'watch.conf')
    const err: string[] = []
    const stop = new AbortController()
    const done = main(['export', '--out', file, '--watch', '--interval', '100ms'], {
      env,
      out: () => {},
      err: (s) => err.push(`${s}\n`),
      progress: {
        isTTY: true,
        write: (s) => {
          err.push(s)
          if (s.startsWith('watching ')) stop.abort() // the first status line: enough
        },
      },
      stop: stop.signal,
    })
    expect(await done).toBe(0)
    expect(readFileSync(file, 'utf8')).toContain('deny 192.0.2.77;')
    const text = err.join('')
    expect(text).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d wrote ${file}: 1 address, \\+1 −0\\n`))
    expect(text).toContain(`watching the admin API at ${url}: 1 in ${file}`)
    expect(text).toContain('\r\x1b[2K') // the status line is rewritten in place
    expect(text.endsWith('stopped after 1 checks\n')).toBe(true)
  })
})
