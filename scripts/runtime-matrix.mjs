#!/usr/bin/env node
// Runs the adapter and store conformance suites on the other Node versions we support: the full suite (`npm test`)
// runs on the Node that runs this script (20); this runs the conformance suites of core (memory store), express,
// fastify, koa, fetch, redis (Redis store, with ioredis, node-redis v4 and v5, and iovalkey) and nestjs on Node 22
// and 24, against the same node_modules and the same
// built packages (run `npx turbo run build` first). `--all` runs every test of those packages instead.
//
// The runtimes come from the npm registry, not from a download site: the `node-<platform>-<arch>` package of each
// version (what the `node` package installs) ships the official `bin/node`. `npm pack` fetches it, and it is kept in
// ~/.cache/bulwark-node/<version>/bin/node, outside the repository.
//
// A runtime that cannot be had fails the run under CI=true; elsewhere it is skipped with one loud line.
//
// Usage: node scripts/runtime-matrix.mjs [--node 22.23.5,24.22.3] [--packages core,express]
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The versions tested besides the one running `npm test`: the newest 22 and 24 when this list was last updated. */
const NODE_VERSIONS = ['22.23.5', '24.22.3']
/** The adapter and store suites (the store conformance suite runs in core, for memory, and in redis). */
const PACKAGES = ['core', 'express', 'fastify', 'koa', 'fetch', 'redis', 'nestjs']
/**
 * The conformance suite's files in each package (default: test/conformance.test.ts). The Redis store's suite runs
 * once per client library: ioredis (conformance.test.ts), node-redis v4 and v5 and iovalkey, on one server and on a
 * 3-master cluster (clients.test.ts).
 */
const SUITE = {
  core: ['test/memory-store.conformance.test.ts'],
  redis: ['test/conformance.test.ts', 'test/clients.test.ts'],
}
const all = process.argv.includes('--all')

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const ci = process.env.CI === 'true'
const cache = join(homedir(), '.cache', 'bulwark-node')

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : (process.argv[i + 1] ?? '').split(',').filter(Boolean)
}

/** `bin/node` of `version`, from the cache or fetched with `npm pack`; null (with the reason) when it cannot be had. */
function runtime(version) {
  const bin = join(cache, version, 'bin', 'node')
  if (!existsSync(bin)) {
    const pkg = `node-${process.platform}-${process.arch}@${version}`
    const work = mkdtempSync(join(tmpdir(), 'bulwark-node-'))
    try {
      const pack = spawnSync('npm', ['pack', pkg, '--pack-destination', work, '--silent'], {
        encoding: 'utf8',
        timeout: 300_000,
      })
      const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))
      if (pack.status !== 0 || tgz === undefined) {
        return {
          error: `npm pack ${pkg} failed: ${(pack.stderr || pack.stdout || '').trim().split('\n').pop()}`,
        }
      }
      const tar = spawnSync('tar', ['-xzf', join(work, tgz), '-C', work, 'package/bin/node'], {
        encoding: 'utf8',
      })
      if (tar.status !== 0)
        return { error: `tar could not extract bin/node from ${tgz}: ${tar.stderr.trim()}` }
      mkdirSync(join(cache, version, 'bin'), { recursive: true })
      renameSync(join(work, 'package', 'bin', 'node'), bin)
    } finally {
      rmSync(work, { recursive: true, force: true })
    }
  }
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 })
  if (v.status !== 0 || v.stdout.trim() !== `v${version}`) {
    return { error: `${bin} does not run here (${(v.stderr || v.stdout || String(v.error)).trim()})` }
  }
  return { bin }
}

/** `vitest run` in packages/<name> on `bin`; resolves with its counts, its time and its output. */
function vitest(bin, name) {
  const started = Date.now()
  return new Promise((resolve) => {
    // A longer test timeout than the suite's 20 s: this checks behaviour on the other runtimes, not speed, and the
    // slowest CPU-bound tests (fuzzing the bounded caches) come close to 20 s on a loaded 2-core machine.
    const args = [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--testTimeout=60000']
    if (!all) args.push(...(SUITE[name] ?? ['test/conformance.test.ts']))
    const child = spawn(bin, args, {
      cwd: join(root, 'packages', name),
      // Child processes the tests start (`node …`) run on the same version.
      env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}`, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.stderr.on('data', (c) => {
      out += c
    })
    child.on('close', (code) => {
      const counts = { passed: 0, failed: 0, skipped: 0 }
      const tests = /^\s*Tests\s+(.*)\(\d+\)\s*$/m.exec(out)
      for (const [, n, kind] of tests?.[1].matchAll(/(\d+) (passed|failed|skipped)/g) ?? [])
        counts[kind] += Number(n)
      resolve({ code, counts, seconds: (Date.now() - started) / 1000, out })
    })
  })
}

const versions = arg('node', NODE_VERSIONS)
const packages = arg('packages', PACKAGES)
const logs = join(root, 'test-output', 'runtime-matrix')
mkdirSync(logs, { recursive: true })
const started = Date.now()
const total = { passed: 0, failed: 0, skipped: 0 }
const problems = []
let runs = 0

for (const version of versions) {
  const rt = runtime(version)
  if (rt.error !== undefined) {
    const line = `Node ${version}: ${rt.error}`
    if (ci) {
      problems.push(line)
      console.log(`!!! ${line} (required on CI)`)
    } else {
      console.log(`\n!!! ${line}: its tests are SKIPPED\n`)
    }
    continue
  }
  for (const name of packages) {
    const r = await vitest(rt.bin, name)
    runs++
    for (const k of Object.keys(total)) total[k] += r.counts[k]
    const log = join(logs, `node-${version}-${name}.log`)
    writeFileSync(log, r.out)
    const { passed, failed, skipped } = r.counts
    console.log(
      `node ${version.padEnd(8)} ${name.padEnd(8)} ${String(passed).padStart(4)} passed ${failed} failed ${String(skipped).padStart(3)} skipped ${r.seconds.toFixed(0).padStart(4)} s${r.code === 0 ? '' : '  FAILED'}`,
    )
    if (r.code !== 0 || passed === 0) {
      problems.push(`Node ${version} ${name}: exit ${r.code}, ${failed} failed (${log})`)
      console.log(r.out.split('\n').slice(-60).join('\n'))
    }
  }
}

const seconds = ((Date.now() - started) / 1000).toFixed(0)
console.log(
  `== runtime matrix on Node ${versions.join(', ')} (${runs} package runs in ${seconds} s): ` +
    `${total.passed} tests passed, ${total.failed} failed, ${total.skipped} skipped`,
)
for (const p of problems) console.log(`!!! ${p}`)
process.exit(problems.length === 0 ? 0 : 1)
