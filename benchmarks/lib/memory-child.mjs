// One memory measurement in a fresh process (run with --expose-gc): heap before, one request from each of N
// distinct clients through one limiter, heap after (both after full GCs). Config JSON in argv[2]:
//   { limiter, scenario: 'ipv4' | 'ipv6-in-64' | 'ipv6-across-64', clients, maxSubjects?, cache? }
import { ipKeyGenerator } from 'express-rate-limit'
import { floodAddress as address } from './common.mjs'
import { memoryLimiter } from './limiters.mjs'

const config = JSON.parse(process.argv[2])
export const FLOOD_LIMIT = 100
export const FLOOD_WINDOW_MS = 60_000

function heap() {
  globalThis.gc()
  globalThis.gc()
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers, external: m.external }
}

async function main() {
  const { limiter, scenario, clients } = config
  const before = heap()
  const l = await memoryLimiter(limiter, {
    limit: FLOOD_LIMIT,
    windowMs: FLOOD_WINDOW_MS,
    maxSubjects: config.maxSubjects,
    cache: config.cache,
  })
  const created = heap()
  const key = limiter === 'express-rate-limit' ? (ip) => ipKeyGenerator(ip) : (ip) => ip
  let denied = 0
  const t0 = performance.now()
  for (let i = 0; i < clients; i++) if (!(await l.decide(key(address(scenario, i))))) denied++
  const seconds = (performance.now() - t0) / 1000
  const after = heap()
  const tracked = l.tracked()
  const result = {
    limiter,
    scenario,
    clients,
    maxSubjects: config.maxSubjects ?? null,
    cache: config.cache ?? null,
    tracked,
    denied,
    seconds,
    fixedBytes: created.heapUsed + created.arrayBuffers - before.heapUsed - before.arrayBuffers,
    marginalBytes: after.heapUsed + after.arrayBuffers - created.heapUsed - created.arrayBuffers,
    heapDelta: after.heapUsed - before.heapUsed,
    arrayBuffersDelta: after.arrayBuffers - before.arrayBuffers,
    externalDelta: after.external - before.external,
  }
  // Keep the limiter alive until after the measurement.
  await l.close?.()
  return result
}

main().then(
  (result) => process.send({ type: 'result', result }, () => process.exit(0)),
  (error) => process.send({ type: 'error', message: String(error?.message ?? error) }, () => process.exit(1)),
)
