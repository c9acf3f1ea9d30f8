#!/usr/bin/env node
// A/B of HTTP servers against the bare server of one framework, longer and more focused than the full run's HTTP
// suite: each round measures the bare server, then each variant right after it, and prints every ratio and the
// median per variant, with the Redis commands the last round of each variant executed.
//
//   node ab.mjs [express|fastify|koa] [variants] [rounds] [seconds]
//
// variants: comma-separated `<limiter>-<store>`, limiter bulwark | peer | rlf, store memory | redis
// (default bulwark-redis,peer-redis; 5 rounds of 2 s). Uses the servers of servers/server.mjs and a private
// redis-server, as the HTTP suite does.
import autocannon from 'autocannon'
import { median } from './lib/common.mjs'
import { client, startRedis } from './lib/redis.mjs'
import { startServer } from './lib/servers.mjs'

const LIMITERS = { bulwark: 'bulwark', peer: 'peer', rlf: 'rate-limiter-flexible' }
const [framework = 'express', list = 'bulwark-redis,peer-redis', rounds = '5', seconds = '2'] =
  process.argv.slice(2)
const variants = list.split(',')
for (const v of variants) {
  const [limiter, store] = v.split('-')
  if (!(limiter in LIMITERS) || !['memory', 'redis'].includes(store)) {
    console.error(`unknown variant ${v}: use <bulwark|peer|rlf>-<memory|redis>`)
    process.exit(2)
  }
}

const load = (port, length) =>
  new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}/`, connections: 10, ...length }, (err, r) =>
      err ? reject(err) : resolve(r.requests.total / r.duration),
    )
  })

const redis = await startRedis()
if (redis.error) throw new Error(redis.error)
const admin = await client(redis.url)
const servers = []
try {
  const bare = await startServer({ framework, limiter: 'none' })
  servers.push(bare)
  const started = {}
  for (const v of variants) {
    const [limiter, store] = v.split('-')
    const s = await startServer({
      framework,
      limiter: LIMITERS[limiter],
      store,
      redisUrl: redis.url,
      limit: 1_000_000,
      windowMs: 1000,
    })
    if (s.error) throw new Error(`${v}: ${s.error}`)
    servers.push(s)
    started[v] = s
  }
  for (const s of servers) await load(s.port, { amount: 3000 })
  const ratios = Object.fromEntries(variants.map((v) => [v, []]))
  const commands = {}
  for (let round = 0; round < Number(rounds); round++) {
    for (const v of variants) {
      const b = await load(bare.port, { duration: Number(seconds) })
      await admin.config('RESETSTAT')
      const m = await load(started[v].port, { duration: Number(seconds) })
      commands[v] = (await admin.info('commandstats'))
        .split('\n')
        .filter((l) => /calls=/.test(l) && !/cmdstat_(config|info)/.test(l))
        .map((l) => l.trim().replace(/,rejected_calls.*/, ''))
      ratios[v].push(m / b)
      console.log(
        `round ${round + 1} ${v}: bare ${b.toFixed(0)} rps, ${v} ${m.toFixed(0)} rps, ratio ${(m / b).toFixed(3)}`,
      )
    }
  }
  for (const v of variants) {
    console.log(`${v}: median ratio ${median(ratios[v]).toFixed(3)}`)
    for (const line of commands[v]) console.log(`  ${line}`)
  }
} finally {
  for (const s of servers) await s.stop()
  admin.disconnect()
  await redis.stop()
}
