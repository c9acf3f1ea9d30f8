// The two commands as a newcomer runs them (node bin/…, which imports the built packages).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOKEN, testDemo } from './helpers.mjs'

const DIR = fileURLToPath(new URL('..', import.meta.url))

/**
 * @param {string} script @param {string[]} args @param {Record<string, string>} [env]
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string }>}
 */
function run(
  script,
  args,
  env = {},
  { timeoutMs = 60_000, until } = /** @type {{ timeoutMs?: number, until?: RegExp }} */ ({}),
) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: DIR,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    let interrupted = false
    child.stdout.on('data', (d) => {
      stdout += d
      // One Ctrl-C (a second one forces the exit, with code 130)
      if (!interrupted && until?.test(stdout)) {
        interrupted = true
        child.kill('SIGINT')
      }
    })
    child.stderr.on('data', (d) => {
      stderr += d
    })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

describe('npm run demo (bin/demo.mjs)', () => {
  it('prints where everything is, and stops cleanly on Ctrl-C', async () => {
    const { code, stdout } = await run(
      'bin/demo.mjs',
      [],
      { EXPRESS_PORT: '0', FASTIFY_PORT: '0', KOA_PORT: '0', ADMIN_TOKEN: TOKEN },
      { until: /Ctrl-C stops/ },
    )
    expect(stdout).toMatch(
      /Express {4}http:\/\/127\.0\.0\.1:\d+ {3}\(also the dashboard, admin API and metrics\)/,
    )
    expect(stdout).toMatch(/Dashboard {2}http:\/\/127\.0\.0\.1:\d+\/dashboard\//)
    expect(stdout).toContain(`Admin token    ${TOKEN}\n`)
    expect(stdout).toContain('Store          memory')
    expect(stdout).toContain('SIGINT: stopping')
    expect(code).toBe(0)
  })

  it('stops with a one-line message naming a bad variable', async () => {
    const { code, stdout, stderr } = await run('bin/demo.mjs', [], { BURST_LIMIT: 'lots' })
    expect(code).toBe(1)
    expect(stdout).toBe('')
    expect(stderr.trim()).toMatch(
      /^Configuration error: Environment variable BURST_LIMIT="lots" is invalid: expected a positive whole number/,
    )
    expect(stderr).not.toContain('    at ')
  })
})

describe('npm run attack (bin/attack.mjs)', () => {
  it('starts a demo of its own, prints the table and exits 0 when every scenario ends as expected', async () => {
    const { code, stdout } = await run('bin/attack.mjs', [
      '--only',
      'burst,scanner,spoofed-xff',
      '--frameworks',
      'fastify,koa',
    ])
    expect(stdout).toContain('Started a private demo on free ports (memory store).')
    expect(stdout).toMatch(
      /burst\s+banned at request 51 \(burst\)\s+fastify\s+banned at request 51 \(burst\)\s+51\s+\d+ ms\s+ok/,
    )
    expect(stdout).toContain('6 of 6 runs as expected (3 scenarios × 2 frameworks)')
    // Progress in a pipe: a plain line as each run starts and one as it ends, before the table; nothing redrawn.
    expect(stdout).not.toMatch(/[\r\x1b]/)
    const table = stdout.indexOf('Scenario ')
    for (const scenario of ['burst', 'scanner', 'spoofed-xff'])
      for (const framework of ['fastify', 'koa']) {
        const start = new RegExp(`^start {2}${scenario} +${framework}$`, 'm').exec(stdout)
        const done = new RegExp(
          `^done {3}${scenario} +${framework} +\\d+ sent(, [^\\n]+)? in \\d+\\.\\d s( \\(attempt \\d\\))?$`,
          'm',
        ).exec(stdout)
        expect(start?.index, `${scenario}/${framework} start`).toBeLessThan(done?.index ?? -1)
        expect(done?.index, `${scenario}/${framework} done`).toBeLessThan(table)
      }
    expect(stdout).toMatch(
      /Notifications \(log channel\): 6 bans, 6 lines\. The first and the last:\n {2}Security Block activated \| IP: 198\.1[89]\./,
    )
    expect(code).toBe(0)
  })

  it('exits 1 when a scenario misses', async () => {
    const { code, stdout } = await run('bin/attack.mjs', ['--only', 'burst', '--frameworks', 'express'], {
      BURST_LIMIT: '70',
    })
    expect(stdout).toMatch(/banned at request 65 \(suspicion\).*MISS/)
    expect(stdout).toContain('Missed: burst on express')
    expect(code).toBe(1)
  })

  it('exits 2 on a usage error', async () => {
    const { code, stderr } = await run('bin/attack.mjs', ['--only', 'nope'])
    expect(code).toBe(2)
    expect(stderr).toMatch(/^--only: unknown scenario nope \(burst, proxy-no-xff, credential-stuffing/)
  })

  describe('--target', () => {
    /** @type {Awaited<ReturnType<typeof testDemo>>} */
    let trusting
    /** @type {Awaited<ReturnType<typeof testDemo>>} */
    let plain
    beforeAll(async () => {
      trusting = await testDemo()
      plain = await testDemo({ trustProxy: false })
    })
    afterAll(async () => {
      await trusting?.close()
      await plain?.close()
    })

    it('attacks a running demo that trusts the loopback proxy', async () => {
      const { code, stdout } = await run(
        'bin/attack.mjs',
        ['--target', trusting.urls.express, '--only', 'scanner'],
        {
          ADMIN_TOKEN: TOKEN,
        },
      )
      expect(stdout).toContain('3 of 3 runs as expected')
      expect(stdout).toContain(`See the bans on the dashboard: ${trusting.urls.express}/dashboard/`)
      expect(code).toBe(0)
      // The scanner bans, beside the demo's deny list entries (not bans of the run).
      const bans = (await trusting.engine.listBans()).filter((b) => b.source !== 'demo-deny-list')
      expect(bans.map((b) => b.rule)).toEqual(['scanner', 'scanner', 'scanner'])
    })

    it('refuses a demo that does not, and a wrong token', async () => {
      const untrusted = await run('bin/attack.mjs', ['--target', plain.urls.express, '--token', TOKEN])
      expect(untrusted.code).toBe(2)
      expect(untrusted.stderr).toContain('does not trust the loopback proxy')
      const wrong = await run('bin/attack.mjs', [
        '--target',
        trusting.urls.express,
        '--token',
        'w'.repeat(20),
      ])
      expect(wrong.code).toBe(2)
      expect(wrong.stderr).toContain('refused the token (401)')
    })
  })
})
