import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Bulwark, createBulwark, hashApiKey, silentLogger } from '@bulwark/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { BIN, cli, ensureBuilt } from './helpers/cli.js'
import { uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'
import { freePort, waitFor } from './helpers/redis-server.js'

const SECRET = 'the-app-servers-key-secret'

beforeAll(ensureBuilt, 180_000)

describe('bulwark CLI: usage', () => {
  it('--help prints usage and exits 0', async () => {
    const r = await cli(['--help'])
    expect(r.code).toBe(0)
    expect(r.stderr).toBe('')
    for (const cmd of [
      'bulwark bans',
      'bulwark ban <ip',
      'bulwark unban',
      'whitelist add',
      'whitelist remove',
      'whitelist list',
      'bulwark rules',
      'bulwark stats',
      'bulwark info',
      'bulwark events',
      'Exit status',
    ]) {
      expect(r.stdout).toContain(cmd)
    }
  })

  it.each([
    [[], 'a command is required'],
    [['frobnicate'], 'unknown command "frobnicate"'],
    [['ban'], "'ban' needs a target"],
    [['block'], "'block' needs a target"],
    [['ban', '1.2.3.4', '5.6.7.8'], 'unexpected argument "5.6.7.8"'],
    [['ban', '1.2.3.4', '--ttl', '5x'], '--ttl "5x" is not a duration'],
    [['bans', '--ttl', '1h'], "--ttl does not apply to 'bans'"],
    [['unban', '1.2.3.4', '--reason', 'x'], "--reason does not apply to 'unban'"],
    [['whitelist'], "'whitelist' needs add, remove, list or import"],
    [['whitelist', 'import'], "'whitelist import' needs one file"],
    [['export', '--format', 'apache'], '--format must be nginx, nginx-geo, ipset, json; got "apache"'],
    [['export', '--watch'], '--watch needs --out <file>'],
    [['export', '--reload', 'true'], '--interval and --reload go with --watch'],
    [['export', '--out', 'x', '--watch', '--interval', '5x'], '--interval "5x" is not a duration'],
    [['bans', '--format', 'nginx'], "--format does not apply to 'bans'"],
    [['bans', '--admin-url', 'http://127.0.0.1:1/admin'], '--admin-url needs the admin token'],
    [['bans', '--token', 'abc'], '--token goes with --admin-url'],
    [['bans', '--admin-url', 'ftp://x', '--token', 't'], '--admin-url must be an http:// or https:// URL'],
    [['rules'], "counts per rule live in each app's memory"],
    [['stats'], "counts since start live in each app's memory"],
    [['info'], "the app's settings live in each app's memory"],
    [['events'], "the live decision feed and its events live in each app's memory"],
    [['stats', 'now'], 'unexpected argument "now"'],
    [
      ['events', '--topics', 'ban,bogus'],
      '--topics takes a comma-separated list of decisions, ban, unban, store, stats; got "bogus"',
    ],
    [['events', '--count', '0'], '--count must be a positive whole number, got "0"'],
    [['bans', '--topics', 'ban'], "--topics does not apply to 'bans'"],
    [['whitelist', 'add'], "'whitelist add' needs exactly one"],
    [['--bogus'], "Unknown option '--bogus'"],
    [['bans', '--timeout', 'soon'], '--timeout must be a positive number'],
  ])('usage error %j exits 2 with a message on stderr', async (args, message) => {
    const r = await cli(args)
    expect(r.code).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(`bulwark: ${message}`)
    expect(r.stderr).toContain("Run 'bulwark --help' for usage.")
  })

  it('an unreachable Redis is a runtime error: exit 1, one clear line, quickly', async () => {
    const port = await freePort()
    const r = await cli(['bans'], { REDIS_URL: `redis://user:secret@127.0.0.1:${port}` })
    expect(r.code).toBe(1)
    expect(r.stderr.trim().split('\n')).toEqual([
      `bulwark: cannot reach Redis at redis://***@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port})`,
    ])
    expect(r.ms).toBeLessThan(5000)
  })
})

describeRedis('bulwark CLI against Redis', () => {
  const admin = adminClient()
  const prefix = uniquePrefix('cli')
  const env = { REDIS_URL, BULWARK_REDIS_PREFIX: prefix }
  let engine: Bulwark
  const get = (ip: string) => engine.inspect({ ip, method: 'GET', path: '/' })

  beforeAll(async () => {
    engine = createBulwark({
      store: new RedisStore({ url: REDIS_URL, prefix }),
      apiKeySecret: SECRET,
      logger: silentLogger,
    })
    await engine.ready
  })
  afterAll(async () => {
    await engine?.close()
    await deleteUnder(admin, prefix)
    await admin.quit()
  })

  it('ban: bans now, normalised like the engine; bans lists them with reason and time left', async () => {
    const one = await cli(['ban', '198.51.100.90', '--ttl', '2h', '--reason', 'abuse report #12'], env)
    expect(one).toMatchObject({ code: 0, stderr: '' })
    expect(one.stdout).toMatch(
      /^Banned 198\.51\.100\.90 for 2h \(until .+Z\): Manual ban: abuse report #12\n$/,
    )
    const six = await cli(['ban', '2001:DB8:1:2::99', '--ttl', '90'], env)
    expect(six.code).toBe(0)
    // IPv6 clients are grouped by /64, as the engine groups them.
    expect(six.stdout).toContain('Banned 2001:db8:1:2::/64 for 1m 30s')

    const table = await cli(['bans'], env)
    expect(table.code).toBe(0)
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TARGET\s+RULE\s+SOURCE\s+REASON\s+TIME LEFT\s+OFFENSE\s+MODE$/)
    expect(lines[1]).toMatch(
      /^2001:db8:1:2::\/64\s+manual\s+manual\s+Manual ban\s+(1m \d+s|\d+s)\s+1\s+enforced$/,
    )
    expect(lines[2]).toMatch(
      /^198\.51\.100\.90\s+manual\s+manual\s+Manual ban: abuse report #12\s+(2h|1h 59m)\s+1\s+enforced$/,
    )

    const json = await cli(['bans', '--json'], env)
    const list = JSON.parse(json.stdout) as { target: string; ttlS: number; reason: string; source: string }[]
    expect(list.map((b) => [b.target, b.source])).toEqual([
      ['2001:db8:1:2::/64', 'manual'],
      ['198.51.100.90', 'manual'],
    ])
    expect(list[1]?.ttlS).toBeGreaterThan(7190)

    // The app servers enforce it.
    expect(await get('198.51.100.90')).toMatchObject({
      conclusion: 'block',
      reason: 'Manual ban: abuse report #12',
    })
    expect(await get('2001:db8:1:2::1')).toMatchObject({ conclusion: 'block', rule: 'manual' })
  })

  it('bans: SOURCE says where each ban comes from (the rule that wrote it, or manual for bans and range bans)', async () => {
    // A ban written by a rule of an app server, and a range banned from the CLI.
    const scan = await engine.inspect({
      ip: '198.51.100.95',
      method: 'GET',
      path: '/',
      headers: { 'user-agent': 'sqlmap/1.8.4#stable (https://sqlmap.org)' },
    })
    expect(scan).toMatchObject({ rule: 'scanner', newBan: true })
    expect((await cli(['ban', '203.0.113.0/24', '--reason', 'abuse desk'], env)).code).toBe(0)

    const lines = (await cli(['bans'], env)).stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^TARGET\s+RULE\s+SOURCE\s+REASON\s+TIME LEFT\s+OFFENSE\s+MODE$/)
    expect(lines.find((l) => l.startsWith('198.51.100.95 '))).toMatch(
      /^198\.51\.100\.95\s+scanner\s+scanner\s+Scanner user agent: .+\s+(1h|59m \d+s)\s+1\s+enforced$/,
    )
    expect(lines.find((l) => l.startsWith('203.0.113.0/24 '))).toMatch(
      /^203\.0\.113\.0\/24\s+manual\s+manual\s+Manual ban: abuse desk\s+(1h|59m \d+s)\s+1\s+enforced$/,
    )
    const json = JSON.parse((await cli(['bans', '--json'], env)).stdout) as {
      target: string
      source: string
    }[]
    expect(
      json
        .filter((b) => ['198.51.100.95', '203.0.113.0/24'].includes(b.target))
        .map((b) => b.source)
        .sort(),
    ).toEqual(['manual', 'scanner'])
    await cli(['unban', '198.51.100.95'], env)
    await cli(['unban', '203.0.113.0/24'], env)
  })

  it('unban reaches a running engine within one second, although it had the ban cached', async () => {
    await cli(['ban', '198.51.100.91'], env)
    expect(await get('198.51.100.91')).toMatchObject({ conclusion: 'block', store: 'primary' })
    expect(await get('198.51.100.91')).toMatchObject({ conclusion: 'block', store: 'none' })
    const r = await cli(['unban', '198.51.100.91'], env)
    expect(r).toMatchObject({ code: 0, stdout: 'Unbanned 198.51.100.91\n', stderr: '' })
    await waitFor(
      async () => (await get('198.51.100.91')).conclusion === 'allow',
      1000,
      'the engine to allow',
    )
    const again = await cli(['unban', '198.51.100.91'], env)
    expect(again).toMatchObject({
      code: 0,
      stdout: '198.51.100.91 was not banned (counters reset anyway)\n',
    })
    expect(JSON.parse((await cli(['unban', '198.51.100.91', '--json'], env)).stdout)).toEqual({
      target: '198.51.100.91',
      unbanned: false,
    })
    expect((await cli(['unban', 'not-an-ip'], env)).code).toBe(2)
  })

  it('deprecated for one release: blocks, block and unblock still work, and say what to use instead', async () => {
    const banned = await cli(['block', '198.51.100.93', '--ttl', '1h', '--reason', 'old script'], env)
    expect(banned).toMatchObject({ code: 0, stderr: "bulwark: 'block' is deprecated; use 'ban'\n" })
    expect(banned.stdout).toMatch(/^Banned 198\.51\.100\.93 for 1h \(until .+Z\): Manual ban: old script\n$/)
    const listed = await cli(['blocks', '--json'], env)
    expect(listed.stderr).toBe("bulwark: 'blocks' is deprecated; use 'bans'\n")
    expect((JSON.parse(listed.stdout) as { target: string }[]).map((b) => b.target)).toContain(
      '198.51.100.93',
    )
    const lifted = await cli(['unblock', '198.51.100.93'], env)
    expect(lifted).toMatchObject({
      code: 0,
      stdout: 'Unbanned 198.51.100.93\n',
      stderr: "bulwark: 'unblock' is deprecated; use 'unban'\n",
    })
  })

  it('whitelist add, list and remove, for IPs, CIDRs and API keys (hashed with the shared secret)', async () => {
    expect((await cli(['whitelist', 'add', '10.0.0.0/8'], env)).stdout).toBe('Whitelisted 10.0.0.0/8\n')
    const noSecret = await cli(['whitelist', 'add', 'sk_live_abc'], env)
    expect(noSecret.code).toBe(2)
    expect(noSecret.stderr).toContain('needs BULWARK_KEY_SECRET')
    expect(
      (await cli(['whitelist', 'add', 'sk_live_abc'], { ...env, BULWARK_KEY_SECRET: SECRET })).code,
    ).toBe(0)
    const list = await cli(['whitelist', 'list', '--json'], env)
    expect(JSON.parse(list.stdout)).toEqual(['10.0.0.0/8', hashApiKey('sk_live_abc', SECRET)].sort())
    await waitFor(async () => (await get('10.1.2.3')).rule === 'whitelist', 1000, 'the engine to whitelist')
    const keyed = await engine.inspect({
      ip: '198.51.100.92',
      method: 'GET',
      path: '/',
      apiKey: 'sk_live_abc',
    })
    expect(keyed.rule).toBe('whitelist')
    expect((await cli(['whitelist', 'remove', '10.0.0.0/8'], env)).stdout).toBe(
      'Removed 10.0.0.0/8 from the whitelist\n',
    )
    expect((await cli(['whitelist', 'remove', '10.0.0.0/8'], env)).stdout).toBe(
      '10.0.0.0/8 was not whitelisted\n',
    )
    expect((await cli(['whitelist', 'list'], env)).stdout).toBe(`${hashApiKey('sk_live_abc', SECRET)}\n`)
    await waitFor(async () => (await get('10.1.2.3')).rule !== 'whitelist', 1000, 'the engine to forget it')
  })

  it('export: the bans of Redis as nginx deny lines, written atomically to a file', async () => {
    const env3 = { REDIS_URL, BULWARK_REDIS_PREFIX: uniquePrefix('cli-export') }
    await cli(['ban', '192.0.2.10'], env3)
    await cli(['ban', '2001:db8:5:6::1'], env3)
    expect((await cli(['export'], env3)).stdout).toBe(
      '# bulwark export --format nginx: 2 banned addresses and ranges. Rewritten by bulwark; do not edit.\n' +
        'deny 192.0.2.10;\ndeny 2001:db8:5:6::/64;\n',
    )
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-export-'))
    const file = join(dir, 'bulwark.conf')
    const r = await cli(['export', '--out', file, '--json'], env3)
    expect(JSON.parse(r.stdout)).toEqual({ file, format: 'nginx', addresses: 2, skipped: 0 })
    expect(readFileSync(file, 'utf8')).toContain('deny 192.0.2.10;\n')
  })

  it('export --watch rewrites the file when the bans change, runs the reload command, stops on SIGTERM', async () => {
    const env4 = { REDIS_URL, BULWARK_REDIS_PREFIX: uniquePrefix('cli-watch') }
    const dir = mkdtempSync(join(tmpdir(), 'bulwark-watch-'))
    const file = join(dir, 'bulwark.conf')
    const log = join(dir, 'reloads.log')
    await cli(['ban', '192.0.2.20'], env4)
    const child = spawn(
      process.execPath,
      [
        BIN,
        'export',
        '--out',
        file,
        '--watch',
        '--interval',
        '200ms',
        '--reload',
        `echo reloaded >> '${log}'`,
      ],
      { env: { PATH: process.env.PATH ?? '', ...env4 }, stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
    try {
      await waitFor(async () => existsSync(log), 10_000, 'the first write and reload')
      expect(readFileSync(file, 'utf8')).toContain('deny 192.0.2.20;')
      await cli(['ban', '192.0.2.21'], env4)
      await waitFor(
        async () => readFileSync(file, 'utf8').includes('deny 192.0.2.21;'),
        10_000,
        'the rewrite',
      )
      await waitFor(
        async () => readFileSync(log, 'utf8') === 'reloaded\nreloaded\n',
        5000,
        'the second reload',
      )
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
    // Not a TTY: one plain line per rewrite, nothing drawn in place.
    const lines = stderr.trimEnd().split('\n')
    expect(lines[0]).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d wrote ${file}: 1 address, \\+1 −0; reload: ok$`),
    )
    expect(lines[1]).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d wrote ${file}: 2 addresses and ranges, \\+1 −0; reload: ok$`),
    )
    expect(lines.at(-1)).toMatch(/^stopped after \d+ checks$/)
    expect(stderr).not.toContain('\r')
    expect(readdirSync(dir).sort()).toEqual(['bulwark.conf', 'reloads.log']) // no temporary file left
  })

  it('no active bans: a plain sentence, or [] as JSON', async () => {
    const env2 = { REDIS_URL, BULWARK_REDIS_PREFIX: uniquePrefix('cli-empty') }
    expect((await cli(['bans'], env2)).stdout).toBe('No active bans.\n')
    expect((await cli(['--url', REDIS_URL, 'bans', '--json'], env2)).stdout).toBe('[]\n')
  })
})
