// The workload profile.mjs profiles: engine.inspect on the hot/cold mix for N seconds, all default rules.
import { trafficMix } from '../suites/engine.mjs'
import { memoryLimiter, redisLimiter } from './limiters.mjs'
import { client, startRedis } from './redis.mjs'

const [store = 'memory', seconds = '5'] = process.argv.slice(2)
const { ips, mix } = trafficMix()
let redis = null
let l
if (store === 'redis') {
  redis = await startRedis()
  if (redis.error) throw new Error(redis.error)
  l = await redisLimiter('bulwark', await client(redis.url), { limit: 100_000, windowMs: 1000 })
} else l = await memoryLimiter('bulwark', { limit: 100_000, windowMs: 1000 })

const end = performance.now() + Number(seconds) * 1000
let n = 0
if (store === 'redis') {
  // 32 requests in flight, as an app server under load would have.
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (performance.now() < end) await l.decide(ips[mix[n++ & 65535]])
    }),
  )
} else {
  while (performance.now() < end) {
    for (let k = 0; k < 2048; k++) await l.decide(ips[mix[n++ & 65535]])
  }
}
console.log(`${store}: ${n.toLocaleString('en-US')} decisions in ${seconds} s`)
await l.close?.()
await redis?.stop()
process.exit(0)
