#!/usr/bin/env node
// Server CPU per request of this checkout's Bulwark against another checkout's (e.g. the engine before the rules
// redesign), in the same run: the same server code (servers/server.mjs) started from each tree, the memory store,
// every default rule, interleaved rounds, each server pinned to CPU 1 and the load generator (this process) to CPU 0.
//
//   node http-against.mjs <path to the other tree's copy of servers/server.mjs> [framework] [rounds] [requests] [warm]
//
// `warm` requests (default 30,000) go to each fresh server before it is measured: with 3,000, V8 was still compiling
// in the measured window, which charged the bigger checkout for its compile work (see http-instructions.mjs).
//
// The other tree needs this folder's servers/ and lib/ copied into it (so that `@bulwark/*` resolve to its own
// packages) and its adapters built; see README.md ("decide() against the engine before the rules redesign").
import { fork } from 'node:child_process'
import autocannon from 'autocannon'
import { median } from './lib/common.mjs'
import { pinToCpu } from './lib/servers.mjs'

const [other, framework = 'fastify', rounds = '7', requests = '20000', warm = '30000'] = process.argv.slice(2)
if (other === undefined) {
  console.error(
    'usage: node http-against.mjs <other servers/server.mjs> [framework] [rounds] [requests] [warm]',
  )
  process.exit(2)
}
const here = new URL('servers/server.mjs', import.meta.url).pathname
/** [label, limiter, server.mjs] */
const variants = [
  ['bare', 'none', here],
  ['other', 'bulwark', other],
  ['this', 'bulwark', here],
  ['peer', 'peer', here],
]

function start(path, limiter) {
  return new Promise((resolve, reject) => {
    const child = fork(path, [JSON.stringify({ framework, limiter, store: 'memory' })], {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    if (child.pid !== undefined) pinToCpu(child.pid, 1)
    let id = 0
    const waiting = new Map()
    child.on('message', (m) => {
      if (m.type === 'ready') {
        resolve({
          port: m.port,
          cpu: () =>
            new Promise((r) => {
              const i = ++id
              waiting.set(i, r)
              child.send({ type: 'cpu', id: i })
            }),
          stop: () =>
            new Promise((r) => {
              child.once('exit', r)
              child.send({ type: 'close' })
            }),
        })
      } else if (m.type === 'cpu') {
        waiting.get(m.id)?.(m.user + m.system)
        waiting.delete(m.id)
      } else if (m.type === 'error') reject(new Error(m.message))
    })
  })
}

const load = (port, amount) =>
  new Promise((resolve, reject) =>
    autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, amount }, (e, r) =>
      e ? reject(e) : resolve(r),
    ),
  )

pinToCpu(process.pid, 0)
const results = Object.fromEntries(variants.map(([label]) => [label, []]))
for (let r = 0; r < Number(rounds); r++) {
  const order = [...variants.slice(r % variants.length), ...variants.slice(0, r % variants.length)]
  for (const [label, limiter, path] of order) {
    const s = await start(path, limiter)
    await load(s.port, Number(warm))
    const c0 = await s.cpu()
    const out = await load(s.port, Number(requests))
    results[label].push(((await s.cpu()) - c0) / out.requests.total)
    await s.stop()
  }
}
for (const [label, xs] of Object.entries(results)) {
  const sorted = [...xs].sort((a, b) => a - b)
  console.log(
    `${framework.padEnd(8)} ${label.padEnd(6)} median ${median(xs).toFixed(1)} µs  (${sorted.map((x) => x.toFixed(1)).join(' ')})`,
  )
}
