// A long-lived process that sends requests for one client through a Redis limiter, case after case. For each
// { type: 'case', config: { limiter, rules, redisUrl, limit, windowMs, prefix, requests, inFlight, ip } } it builds
// the limiter, answers 'ready', waits for 'go', sends, answers { allowed, denied, errors }. 'exit' ends it.
import { redisLimiter } from './limiters.mjs'
import { client } from './redis.mjs'

let current = null
process.on('message', async (m) => {
  try {
    if (m?.type === 'exit') process.exit(0)
    if (m?.type === 'case') {
      const c = await client(m.config.redisUrl)
      current = { config: m.config, c, l: await redisLimiter(m.config.limiter, c, m.config) }
      process.send({ type: 'ready' })
    }
    if (m?.type === 'go' && current) {
      const { config, c, l } = current
      let allowed = 0
      let denied = 0
      let errors = 0
      let left = config.requests
      await Promise.all(
        Array.from({ length: config.inFlight }, async () => {
          while (left > 0) {
            left--
            try {
              if (await l.decide(config.ip)) allowed++
              else denied++
            } catch {
              errors++
            }
          }
        }),
      )
      await l.close?.()
      c.disconnect()
      current = null
      process.send({ type: 'result', result: { allowed, denied, errors } })
    }
  } catch (error) {
    process.send({ type: 'error', message: String(error?.message ?? error) })
  }
})
process.send({ type: 'up' })
