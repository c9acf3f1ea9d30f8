import { client, startRedis } from './lib/redis.mjs'
import { redisLimiter, REDIS_LIMITERS } from './lib/limiters.mjs'
const redis = await startRedis()
const names = process.argv[2] ? process.argv[2].split(',') : REDIS_LIMITERS
for (const name of names) {
  const c = await client(redis.url, { enableAutoPipelining: true })
  const l = await redisLimiter(name, c, { limit: 1e9, windowMs: 1000 })
  const run = async (ms) => {
    const end = performance.now() + ms
    let n = 0
    await Promise.all(Array.from({ length: 10 }, async () => { while (performance.now() < end) { await l.decide('10.0.0.1'); n++ } }))
    return n
  }
  await run(500)
  const cpu0 = process.cpuUsage(); const t0 = performance.now()
  const n = await run(3000)
  const cpu = process.cpuUsage(cpu0); const dt = performance.now() - t0
  console.log(`${name.padEnd(40)} ${(n / dt * 1000).toFixed(0).padStart(7)}/s  node cpu ${((cpu.user + cpu.system) / n).toFixed(1)} µs/decision`)
  await l.close?.(); c.disconnect()
}
await redis.stop(); process.exit(0)
