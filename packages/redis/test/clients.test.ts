import type { StoreMessage } from '@bulwark/core'
import { storeConformanceSuite, T0 } from '@bulwark/testkit'
import { Redis as Valkey, Cluster as ValkeyCluster } from 'iovalkey'
import { createClient, createCluster } from 'redis'
import { createClient as createClient4, createCluster as createCluster4 } from 'redis4'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { burst, on, POLICY, uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, describeRedisServer, REDIS_URL } from './helpers/redis.js'
import { type RedisCluster, startRedisCluster, waitFor } from './helpers/redis-server.js'

/** A client library under test: how to open (and connect) a client, and how to end it. */
interface Library {
  name: string
  single: () => Promise<object>
  cluster: (nodes: { host: string; port: number }[]) => Promise<object>
  end: (client: object) => Promise<void>
}

const nodeRedisEnd = async (c: object) => {
  const x = c as { close?: () => Promise<void>; quit?: () => Promise<void> }
  await (x.close ? x.close() : x.quit?.())
}

const LIBRARIES: Library[] = [
  {
    name: 'node-redis v5',
    single: async () => {
      const c = createClient({ url: REDIS_URL })
      c.on('error', () => {})
      await c.connect()
      return c
    },
    cluster: async (nodes) => {
      const c = createCluster({ rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })) })
      c.on('error', () => {})
      await c.connect()
      return c
    },
    end: nodeRedisEnd,
  },
  {
    name: 'node-redis v4',
    single: async () => {
      const c = createClient4({ url: REDIS_URL })
      c.on('error', () => {})
      await c.connect()
      return c
    },
    cluster: async (nodes) => {
      const c = createCluster4({ rootNodes: nodes.map((n) => ({ url: `redis://${n.host}:${n.port}` })) })
      c.on('error', () => {})
      await c.connect()
      return c
    },
    end: nodeRedisEnd,
  },
  {
    name: 'iovalkey',
    single: async () => {
      const c = new Valkey(REDIS_URL, { enableAutoPipelining: true })
      c.on('error', () => {})
      await c.ping()
      return c
    },
    cluster: async (nodes) => {
      const c = new ValkeyCluster(nodes, { enableAutoPipelining: true })
      c.on('error', () => {})
      await waitFor(() => c.status === 'ready', 10_000, 'the iovalkey cluster')
      return c
    },
    end: async (c) => {
      await (c as Valkey).quit()
    },
  },
]

for (const lib of LIBRARIES) {
  describeRedis(`RedisStore on ${lib.name}, single server`, () => {
    const admin = adminClient()
    let client: object
    beforeAll(async () => {
      client = await lib.single()
    })
    afterAll(async () => {
      await lib.end(client)
      await admin.quit()
    })

    storeConformanceSuite(`RedisStore (${lib.name})`, {
      create: ({ namespace }) => new RedisStore({ client, prefix: `${namespace}:`, clock: 'client' }),
      cleanup: ({ namespace }) => deleteUnder(admin, `${namespace}:`),
    })

    it('batches the requests of one turn, takes the server clock, publishes changes, and never closes your client', async () => {
      const prefix = uniquePrefix('clients')
      const store = new RedisStore({ client, prefix })
      expect(store.connection.library).toBe(lib.name === 'iovalkey' ? 'ioredis' : 'node-redis')
      expect(store.isCluster).toBe(false)
      await store.ready({ timeoutMs: 5000 })
      const server = await store.serverTime()
      expect(Math.abs(server - Date.now())).toBeLessThan(5000)
      const got: StoreMessage[] = []
      store.subscribe((m) => got.push(m))
      // Three requests of one turn against a limit of 2: the third is banned, on the Redis clock.
      const results = await Promise.all(
        [1, 2, 3].map(() =>
          store.hit({ now: 0, subjects: [on('ip:192.0.2.9', burst({ limit: 2 }))], ban: POLICY }),
        ),
      )
      expect(results.map((r) => r.ban?.rule ?? null)).toEqual([null, null, 'burst'])
      expect(results[2]?.ban?.createdAt).toBeGreaterThanOrEqual(server)
      expect((await store.listBans(0)).map((b) => b.subject)).toEqual(['ip:192.0.2.9'])
      await waitFor(
        async () => {
          await store.whitelistAdd('10.0.0.0/8')
          return got.some((m) => m.type === 'whitelist')
        },
        5000,
        'the whitelist message',
      )
      expect(await store.whitelistList()).toEqual(['10.0.0.0/8'])
      expect(await store.deleteBan('ip:192.0.2.9')).toBe(true)
      await store.close()
      await deleteUnder(admin, prefix)
      // Still open: the store closed only the subscription it opened.
      const c = client as { isOpen?: boolean; status?: string }
      expect(c.isOpen ?? c.status === 'ready').toBe(true)
    })
  })
}

describeRedisServer('RedisStore on other clients, real 3-master Redis Cluster', () => {
  let cluster: RedisCluster
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })

  for (const lib of LIBRARIES) {
    describe(lib.name, () => {
      let client: object
      beforeAll(async () => {
        client = await lib.cluster(cluster.nodes)
      }, 30_000)
      afterAll(async () => {
        await lib.end(client)
      })

      storeConformanceSuite(`RedisStore (cluster, ${lib.name})`, {
        create: ({ namespace }) => new RedisStore({ client, prefix: `${namespace}:`, clock: 'client' }),
      })

      it('splits an op over slots and indexes its bans apart', async () => {
        const store = new RedisStore({ client, prefix: uniquePrefix('cl'), clock: 'client' })
        expect(store.isCluster).toBe(true)
        const subjects = [on('ip:192.0.2.1', burst({ limit: 0 })), on('key:abc', burst({ limit: 5 }))]
        const r = await store.hit({ now: T0, subjects, ban: POLICY })
        expect(r.ban).toMatchObject({ subject: 'ip:192.0.2.1', rule: 'burst', created: true })
        expect((await store.listBans(T0)).map((b) => b.subject)).toEqual(['ip:192.0.2.1'])
        expect(await store.deleteBan('ip:192.0.2.1')).toBe(true)
        expect(await store.listBans(T0)).toEqual([])
        await store.close()
      })
    })
  }
})
