#!/usr/bin/env node
// Runs the benchmark suites, each in a fresh child process, prints the tables and writes results/latest.{json,md}.
//
//   node run.mjs            full run (under 10 minutes), also refreshes the tables in README.md
//   node run.mjs --quick    under a minute, same tables with fewer and shorter rounds
//   node run.mjs --smoke    seconds; for the test suite (checks that everything runs, measures nothing)
//   --only=engine,http     run some suites     --out=DIR   where to write (default: results/)
//   --no-readme            do not touch README.md (a full run refreshes it by default)   --readme  refresh it anyway
//   --quiet                print nothing
// Besides latest.json and latest.md it writes SVG charts (lib/charts.mjs) into the same folder. On a terminal a status
// line shows the suite, round and variant being measured and the time left; in CI or a pipe, plain lines.
import { execFileSync, fork } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { renderCharts } from './lib/charts.mjs'
import { machineInfo, packageVersions, profileFromArgv } from './lib/common.mjs'
import { createProgress } from './lib/progress.mjs'
import { renderReport, renderTargets } from './lib/report.mjs'

const here = dirname(fileURLToPath(import.meta.url))
export const SUITES = ['engine', 'http', 'redis-trips', 'redis-cost', 'memory', 'accuracy', 'validators']

/** Longest a suite may take per profile (ms) before it is stopped and reported as failed. */
const SUITE_TIMEOUT = { full: 900_000, quick: 300_000, smoke: 150_000 }

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: here,
      encoding: 'utf8',
      timeout: 2000,
    }).trim()
  } catch {
    return null
  }
}

function argValue(argv, name) {
  const a = argv.find((x) => x.startsWith(`--${name}=`))
  return a === undefined ? undefined : a.slice(name.length + 3)
}

/** Replace what lies between `<!-- name:start -->` and `<!-- name:end -->` (unchanged when the markers are absent). */
export function replaceBlock(text, name, content) {
  const start = `<!-- ${name}:start -->`
  const end = `<!-- ${name}:end -->`
  const a = text.indexOf(start)
  const b = text.indexOf(end)
  if (a < 0 || b < a) return text
  return `${text.slice(0, a + start.length)}\n${content.trimEnd()}\n\n${text.slice(b)}`
}

export function runSuite(
  suite,
  profile,
  { onLog = () => {}, onProgress = () => {}, timeoutMs = SUITE_TIMEOUT[profile] } = {},
) {
  return new Promise((resolvePromise) => {
    const started = Date.now()
    const child = fork(join(here, 'lib', 'child.mjs'), [suite, profile], {
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Its own process group, so a suite stopped on timeout takes its servers and redis-server with it.
      detached: true,
    })
    let settled = false
    const done = (value) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolvePromise({ ...value, seconds: (Date.now() - started) / 1000 })
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        child.kill('SIGKILL')
      }
      done({ status: 'failed', error: `stopped after ${timeoutMs / 1000} s` })
    }, timeoutMs)
    child.on('message', (m) => {
      if (m?.type === 'log') onLog(m.line)
      else if (m?.type === 'progress') onProgress(m)
      else if (m?.type === 'result') done({ status: 'ok', result: m.result })
      else if (m?.type === 'error') done({ status: 'failed', error: m.message })
    })
    child.on('exit', (code, signal) => done({ status: 'failed', error: `exited with ${signal ?? code}` }))
  })
}

/** @param {{ stream?: NodeJS.WritableStream & { isTTY?: boolean, columns?: number } }} [options] where to print (stdout) */
export async function main(argv = process.argv.slice(2), { stream = process.stdout } = {}) {
  const profile = profileFromArgv(argv)
  const only = argValue(argv, 'only')?.split(',').filter(Boolean)
  const outDir = resolve(argValue(argv, 'out') ?? join(here, 'results'))
  const quiet = argv.includes('--quiet')
  const touchReadme =
    argv.includes('--readme') || (profile === 'full' && !argv.includes('--no-readme') && only === undefined)
  const suites = only ?? SUITES
  const progress = quiet ? null : createProgress({ stream, suites, profile })
  const print = (s) => {
    if (progress) progress.line(s)
  }
  const started = new Date()
  const out = {
    schema: 1,
    profile,
    startedAt: started.toISOString(),
    machine: { ...machineInfo(), loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))) },
    commit: gitCommit(),
    versions: await packageVersions([
      '@bulwark/core',
      '@bulwark/redis',
      '@bulwark/express',
      '@bulwark/fastify',
      '@bulwark/koa',
      'rate-limiter-flexible',
      'express-rate-limit',
      'rate-limit-redis',
      '@fastify/rate-limit',
      'koa-ratelimit',
      'autocannon',
      'express',
      'fastify',
      'koa',
      'ioredis',
    ]),
    suites: {},
  }
  print(
    `Bulwark benchmarks — ${profile} run on ${out.machine.cpu} (${out.machine.cores} cores), Node ${process.version}`,
  )
  for (const suite of suites)
    if (!SUITES.includes(suite)) throw new Error(`unknown suite ${suite}; one of ${SUITES.join(', ')}`)
  for (const suite of suites) {
    print(`\n▶ ${suite}`)
    progress?.suiteStart(suite)
    const r = await runSuite(suite, profile, {
      onLog: (line) => print(`  ${line}`),
      onProgress: (p) => progress?.step(p),
    })
    out.suites[suite] = r
    progress?.suiteEnd(suite, r.seconds)
    print(`  ${r.status} in ${r.seconds.toFixed(1)} s${r.error ? `: ${r.error.split('\n')[0]}` : ''}`)
  }
  progress?.end()
  out.finishedAt = new Date().toISOString()
  out.seconds = (Date.now() - started.getTime()) / 1000
  out.machine.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)))

  const report = renderReport(out)
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(out, null, 2)}\n`)
  writeFileSync(join(outDir, 'latest.md'), report.markdown)
  print(`\n${report.text}`)
  const charts = renderCharts(out)
  for (const c of charts) writeFileSync(join(outDir, c.file), c.svg)
  if (touchReadme) {
    const readme = join(here, 'README.md')
    try {
      let text = readFileSync(readme, 'utf8')
      text = replaceBlock(text, 'results', report.markdown)
      text = replaceBlock(text, 'targets', renderTargets(out))
      writeFileSync(readme, text)
      print('README.md targets and tables refreshed')
    } catch {
      // no README yet
    }
  }
  print(
    `\nwrote ${join(outDir, 'latest.json')}, latest.md${charts.length ? ` and ${charts.map((c) => c.file).join(', ')}` : ''} (${out.seconds.toFixed(0)} s)`,
  )
  return out
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (out) => {
      const failed = Object.entries(out.suites).filter(([, r]) => r.status !== 'ok')
      if (failed.length > 0) {
        console.error(`failed suites: ${failed.map(([n]) => n).join(', ')}`)
        process.exitCode = 1
      }
    },
    (error) => {
      console.error(error)
      process.exitCode = 1
    },
  )
}
