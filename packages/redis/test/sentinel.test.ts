import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { storeConformanceSuite } from '@bulwark/testkit'
import { Redis } from 'ioredis'
import { createSentinel } from 'redis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { burst, on, POLICY } from './helpers/ops.js'
import { pingRedis } from './helpers/ping.js'
import { describeRedisServer } from './helpers/redis.js'
import { freePort, type RedisServer, startRedisServer, waitFor } from './helpers/redis-server.js'

/** A Redis master and one Sentinel watching it as `mymaster`: what a Sentinel deployment looks like to a client. */
describeRedisServer('RedisStore behind Redis Sentinel', () => {
  let master: RedisServer
  let sentinel: ChildProcess | undefined
  let sentinelPort: number
  const admin = () => new Redis(master.url)

  beforeAll(async () => {
    master = await startRedisServer()
    sentinelPort = await freePort()
    const conf = join(master.dir, 'sentinel.conf')
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${master.dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds mymaster 60000',
        '',
      ].join('\n'),
    )
    const child = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' })
    sentinel = child
    // Never left behind, even when the run is cut short.
    process.once('exit', () => child.kill('SIGKILL'))
    await waitFor(() => pingRedis(`redis://127.0.0.1:${sentinelPort}`, 500), 10_000, 'redis-sentinel')
  }, 30_000)
  afterAll(async () => {
    sentinel?.kill('SIGKILL')
    await master?.stop()
  })

  const cleanup = async (namespace: string) => {
    const a = admin()
    const keys = await a.keys(`${namespace}:*`)
    if (keys.length > 0) await a.del(...keys)
    await a.quit()
  }

  describe('ioredis, sentinels and a master name', () => {
    let client: Redis
    beforeAll(async () => {
      client = new Redis({
        sentinels: [{ host: '127.0.0.1', port: sentinelPort }],
        name: 'mymaster',
        enableAutoPipelining: true,
      })
      client.on('error', () => {})
      await client.ping()
    })
    afterAll(() => client.quit())

    storeConformanceSuite('RedisStore (ioredis via Sentinel)', {
      create: ({ namespace }) => new RedisStore({ client, prefix: `${namespace}:`, clock: 'client' }),
      cleanup: ({ namespace }) => cleanup(namespace),
    })
  })

  describe('node-redis v5, createSentinel', () => {
    let client: ReturnType<typeof createSentinel>
    beforeAll(async () => {
      client = createSentinel({
        name: 'mymaster',
        sentinelRootNodes: [{ host: '127.0.0.1', port: sentinelPort }],
      })
      client.on('error', () => {})
      await client.connect()
    })
    afterAll(() => client.close())

    storeConformanceSuite('RedisStore (node-redis via Sentinel)', {
      create: ({ namespace }) => new RedisStore({ client, prefix: `${namespace}:`, clock: 'client' }),
      cleanup: ({ namespace }) => cleanup(namespace),
    })

    it('batches a turn into one call on the master, and publishes through the sentinel client', async () => {
      const store = new RedisStore({ client, prefix: 'sentinel-nr:' })
      expect(store.connection.library).toBe('node-redis')
      await store.ready({ timeoutMs: 5000 })
      const got: string[] = []
      store.subscribe((m) => got.push(m.type))
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          store.hit({ now: 0, subjects: [on('ip:192.0.2.7', burst({ limit: 2 }))], ban: POLICY }),
        ),
      )
      expect(results.map((r) => r.ban?.rule ?? null)).toEqual([null, null, 'burst'])
      await waitFor(
        async () => {
          await store.whitelistAdd('192.0.2.0/24')
          return got.includes('whitelist')
        },
        5000,
        'the whitelist message',
      )
      await store.close()
      await cleanup('sentinel-nr')
      expect(client.isOpen).toBe(true)
    })
  })
})
