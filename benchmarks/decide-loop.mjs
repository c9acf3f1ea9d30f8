// A fixed number of engine.decide() calls, for instruction counts under valgrind (README, "decide() against the
// engine before the rules redesign"). Steady state: 1,000 client IPv4 addresses cycling, the memory store, every
// default rule (burst's limit raised to 100,000/s as in lib/limiters.mjs, so nobody is ever limited); 100,000 calls
// of warm-up first. Fails unless every measured call was allowed.
//
//   node decide-loop.mjs <path to a @bulwark/core dist/index.js> <n> [decide|inspect]
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'

const [, , dist, nArg, mode = 'decide'] = process.argv
const n = Number(nArg)
if (dist === undefined || !Number.isSafeInteger(n) || n < 1) {
  console.error('usage: node decide-loop.mjs <core dist/index.js> <n> [decide|inspect]')
  process.exit(2)
}
const { createBulwark, MemoryStore } = await import(pathToFileURL(resolve(dist)).href)
const engine = createBulwark({
  logger: false,
  store: new MemoryStore(),
  burst: { limit: 100_000, windowMs: 1000 },
})
const HEADERS = Object.freeze({
  host: 'api.example.test',
  'user-agent':
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  accept: 'application/json',
})
const CLIENTS = 1000
const facts = []
for (let i = 0; i < CLIENTS; i++) {
  facts.push({
    ip: `198.51.${100 + (i >> 8)}.${i & 255}`,
    method: 'GET',
    path: '/api/items?x=1',
    headers: HEADERS,
  })
}
let allowed = 0
async function run(count) {
  for (let i = 0; i < count; i++) {
    const f = facts[i % CLIENTS]
    let d = mode === 'inspect' ? engine.inspect(f) : engine.decide(f)
    if (d instanceof Promise) d = await d
    if (d.conclusion === 'allow') allowed++
  }
}
await run(100_000)
allowed = 0
await run(n)
await engine.close()
if (allowed !== n) {
  console.error(`not all allowed: ${allowed} of ${n}`)
  process.exit(1)
}
console.log(`ok ${n} ${mode}`)
