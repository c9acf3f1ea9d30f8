#!/usr/bin/env node
// Instructions per request that a server executes in steady state, counted by valgrind's callgrind: a figure that
// does not move with the machine's load, unlike CPU time on a shared 2-core machine. Each variant is the same server
// (servers/server.mjs, memory store, every default rule), run under callgrind with `--single-threaded` (V8 compiles
// on the main thread, so the count is repeatable); `warm` requests first with counting off, then `requests` requests
// counted, one connection. Runs are sequential: several at once on two cores changed the counts (koa measured 392k and
// 425k with four at once, 347k and 344k with two).
//
//   node http-instructions.mjs [--frameworks fastify,koa,express] [--variants none,bulwark,peer]
//                              [--against <other tree's servers/server.mjs>] [--requests 3000] [--warm 25000]
//                              [--rounds 1]
//
// `--against` adds the variant `other`: Bulwark from another checkout (see README.md, "Server CPU per request against
// another commit", for preparing one). Needs valgrind (Debian's valgrind package); about 40 s (fastify) to 90 s
// (express) per run.
import { execFileSync, fork } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { median } from './lib/common.mjs'

const { values } = parseArgs({
  options: {
    frameworks: { type: 'string', default: 'fastify,koa,express' },
    variants: { type: 'string', default: 'none,bulwark,peer' },
    against: { type: 'string' },
    requests: { type: 'string', default: '3000' },
    warm: { type: 'string', default: '25000' },
    rounds: { type: 'string', default: '1' },
  },
})

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' })
} catch {
  console.error('http-instructions: valgrind is not installed (apt-get install -y valgrind)')
  process.exit(2)
}

const here = new URL('servers/server.mjs', import.meta.url).pathname
/** [label, limiter, server.mjs] */
const variants = values.variants.split(',').map((v) => [v, v, here])
if (values.against !== undefined) variants.splice(1, 0, ['other', 'bulwark', values.against])
const requests = Number(values.requests)

const load = (port, amount) =>
  new Promise((resolve, reject) =>
    autocannon({ url: `http://127.0.0.1:${port}/`, connections: 1, amount, timeout: 60 }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  )

/** Instructions per request of one server variant. */
function measure(path, framework, limiter) {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-callgrind-'))
  const out = join(dir, 'callgrind.out')
  return new Promise((resolve, reject) => {
    const child = fork(path, [JSON.stringify({ framework, limiter, store: 'memory' })], {
      execPath: 'valgrind',
      execArgv: [
        '--tool=callgrind',
        '-q',
        '--instr-atstart=no',
        `--callgrind-out-file=${out}`,
        process.execPath,
        '--single-threaded',
      ],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    const toggle = (on) =>
      execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(child.pid)], { stdio: 'ignore' })
    child.on('error', reject)
    child.on('message', async (m) => {
      if (m.type === 'error') reject(new Error(m.message))
      if (m.type !== 'ready') return
      try {
        await load(m.port, Number(values.warm))
        toggle(true)
        const r = await load(m.port, requests)
        toggle(false)
        if (r['2xx'] !== requests)
          throw new Error(`${framework}/${limiter}: ${r['2xx']} of ${requests} answered 2xx`)
        child.once('exit', () => {
          const total = Number(/^totals: (\d+)/m.exec(readFileSync(out, 'utf8'))?.[1])
          rmSync(dir, { recursive: true, force: true })
          resolve(total / requests)
        })
        child.send({ type: 'close' })
      } catch (error) {
        child.kill()
        reject(error)
      }
    })
  })
}

for (const framework of values.frameworks.split(',')) {
  const results = Object.fromEntries(variants.map(([label]) => [label, []]))
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const [label, limiter, path] of variants)
      results[label].push(await measure(path, framework, limiter))
  }
  const bare = results.none === undefined ? undefined : median(results.none)
  for (const [label, xs] of Object.entries(results)) {
    const m = median(xs)
    const over =
      bare === undefined || label === 'none' ? '' : `  (+${((m - bare) / 1000).toFixed(1)}k over bare)`
    console.log(
      `${framework.padEnd(8)} ${label.padEnd(8)} ${(m / 1000).toFixed(1)}k instructions/request${over}  [${xs.map((x) => (x / 1000).toFixed(1)).join(' ')}]`,
    )
  }
}
