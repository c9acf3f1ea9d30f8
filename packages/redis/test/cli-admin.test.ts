import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Admin, createAdmin } from '@bulwark/admin'
import { type Bulwark, createBulwark } from '@bulwark/core'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { main } from '../src/cli/main.js'
import { createProgress } from '../src/cli/progress.js'
import { cli, ensureBuilt } from './helpers/cli.js'
import { freePort } from './helpers/redis-server.js'

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
