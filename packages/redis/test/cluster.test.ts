import type { StoreMessage, SubjectOp } from '@bulwark/core'
import { storeConformanceSuite, T0 } from '@bulwark/testkit'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { cli, ensureBuilt } from './helpers/cli.js'
import { auth, burst, endpoint, force, item, on, suspicion } from './helpers/ops.js'
import { deleteUnder, describeRedisServer, keysUnder } from './helpers/redis.js'
import { type RedisCluster, startRedisCluster, waitFor } from './helpers/redis-server.js'

const HOUR = 3_600_000
const POLICY = { ttlMs: HOUR, factor: 2, maxTtlMs: 24 * HOUR, historyMs: 7 * 24 * HOUR, jitter: 0 }

describeRedisServer('RedisStore on a real 3-master Redis Cluster', () => {
  let cluster: RedisCluster
  let client: Cluster

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    client = new Cluster(cluster.nodes, { enableAutoPipelining: true })
    await waitFor(() => client.status === 'ready', 10_000, 'the cluster client')
  }, 60_000)
  afterAll(async () => {
    await client?.quit().catch(() => client.disconnect())
    await cluster?.stop()
  })

  storeConformanceSuite('RedisStore (cluster, your client)', {
    create: ({ namespace }) => new RedisStore({ client, prefix: `${namespace}:`, clock: 'client' }),
    cleanup: ({ namespace }) => deleteUnder(client, `${namespace}:`),
  })

  it('the store can create the Cluster client itself from startup nodes, and closes it', async () => {
    const store = new RedisStore({ cluster: cluster.nodes, prefix: 'own:', clock: 'client' })
    expect(store.isCluster).toBe(true)
    const r = await store.hit({
      now: T0,
      subjects: [on('ip:192.0.2.1', burst({ limit: 5 }))],
      ban: POLICY,
    })
    expect(r.ban).toBeNull()
    await store.close()
    await waitFor(() => store.client.status === 'end', 5000, 'the cluster client to end')
    await deleteUnder(client, 'own:')
  })

  it('keeps every key of a subject in one slot and spreads subjects over all masters', async () => {
    const prefix = 'spread:'
    const store = new RedisStore({ client, prefix, clock: 'client' })
    const w = { limit: 10, windowMs: 60_000 }
    const op = (i: number): SubjectOp =>
      on(
        `ip:198.51.100.${i}`,
        burst({ limit: 1, windowMs: 60_000 }),
        auth(w),
        item('x', w),
        endpoint('api', w),
        suspicion(1, w),
        // A custom rule's counter lives in the subject's slot too.
        { kind: 'events', rule: 'my-rule', key: 'r:my-rule', add: 1, ...w },
      )
    for (let i = 0; i < 30; i++) {
      await store.hit({ now: T0, subjects: [op(i)], ban: POLICY })
      // A second request trips burst (limit 1): writes the ban and the offense, and resets the counters.
      if (i % 2 === 0) await store.hit({ now: T0, subjects: [op(i)], ban: POLICY })
    }
    const keys = (await keysUnder(client, prefix)).filter((k) => k !== `${prefix}bans`)
    const bySubject = new Map<string, Set<number>>()
    for (const key of keys) {
      const subject = key.slice(prefix.length + 1, key.indexOf('}'))
      const slot = await client.cluster('KEYSLOT', key)
      const slots = bySubject.get(subject) ?? new Set<number>()
      slots.add(Number(slot))
      bySubject.set(subject, slots)
    }
    expect(bySubject.size).toBe(30)
    expect(keys.filter((k) => k.endsWith('}:r:my-rule'))).toHaveLength(15)
    for (const slots of bySubject.values()) expect(slots.size).toBe(1)
    const perMaster = await Promise.all(client.nodes('master').map((n) => n.dbsize()))
    for (const n of perMaster) expect(n).toBeGreaterThan(0)
    // Bans written by hits are listed although the index lives in another slot.
    expect((await store.listBans(T0)).length).toBe(15)
    await store.close()
    await deleteUnder(client, prefix)
  })

  it('splits an op whose subjects live in different slots; an IP ban still answers for the request', async () => {
    const prefix = 'split:'
    const store = new RedisStore({ client, prefix, clock: 'client' })
    const ip = 'ip:203.0.113.5'
    const key = 'key:AAAAAAAAAAAAAAAAAAAAAA'
    const [a, b] = await Promise.all([
      client.cluster('KEYSLOT', store.keys.subject(ip).ban),
      client.cluster('KEYSLOT', store.keys.subject(key).ban),
    ])
    expect(a).not.toBe(b)
    const first = await store.hit({ now: T0, subjects: [on(ip, auth()), on(key, auth())], ban: POLICY })
    expect(first.counts).toEqual([[1], [1]])
    // Nothing measured on either side: empty counts, as one call would answer.
    const quiet = await store.hit({ now: T0, subjects: [on(ip, burst()), on(key, burst())], ban: POLICY })
    expect(quiet).toEqual({ ban: null, counts: [], now: T0 })
    // One side measured: a list for each subject.
    const half = await store.hit({
      now: T0,
      subjects: [on(ip, burst()), on(key, auth({ add: 0 }))],
      ban: POLICY,
    })
    expect(half.counts).toEqual([[], [1]])
    await store.hit({ now: T0, subjects: [on(ip, force('scanner'))], ban: POLICY })
    const banned = await store.hit({
      now: T0 + 1,
      subjects: [on(ip, auth()), on(key, auth())],
      ban: POLICY,
    })
    expect(banned.ban).toMatchObject({ subject: ip, rule: 'scanner', created: false })
    expect(banned.counts).toEqual([])
    // The documented consequence of the split: the API key's call ran in its own slot and counted this request.
    const after = await store.hit({ now: T0 + 2, subjects: [on(key, auth())], ban: POLICY })
    expect(after.counts[0]?.[0]).toBe(3)
    await store.close()
    await deleteUnder(client, prefix)
  })

  it('the bulwark CLI manages bans on the cluster (--cluster)', async () => {
    await ensureBuilt()
    const args = ['--cluster', '--url', `redis://127.0.0.1:${cluster.nodes[1]?.port}`]
    const env = { BULWARK_REDIS_PREFIX: 'cli-cluster:' }
    expect((await cli(['ban', '198.51.100.99', '--ttl', '1h', ...args], env)).code).toBe(0)
    const listed = JSON.parse((await cli(['bans', '--json', ...args], env)).stdout) as { target: string }[]
    expect(listed.map((b) => b.target)).toEqual(['198.51.100.99'])
    expect((await cli(['unban', '198.51.100.99', ...args], env)).stdout).toBe('Unbanned 198.51.100.99\n')
    expect((await cli(['bans', ...args], env)).stdout).toBe('No active bans.\n')
    await deleteUnder(client, 'cli-cluster:')
  }, 120_000)

  it('publishes changes across the cluster: a subscriber on any node gets them', async () => {
    const a = new RedisStore({ client, prefix: 'pubsub-cluster:' })
    const b = new RedisStore({ cluster: cluster.nodes, prefix: 'pubsub-cluster:' })
    const got: StoreMessage[] = []
    b.subscribe((m) => got.push(m))
    await b.whitelistList() // returns once the subscription is confirmed
    await a.whitelistAdd('192.0.2.0/24')
    await a.deleteBan('ip:192.0.2.7')
    await waitFor(() => got.length === 2, 1000, 'two messages within a second')
    // Published from the nodes that own the two keys' slots, so the cluster bus may relay them in either order.
    expect(got).toHaveLength(2)
    expect(got).toEqual(
      expect.arrayContaining([
        { type: 'whitelist', action: 'add', entry: '192.0.2.0/24' },
        { type: 'unban', subject: 'ip:192.0.2.7' },
      ]),
    )
    await Promise.all([a.close(), b.close()])
    await deleteUnder(client, 'pubsub-cluster:')
  })
})
