import { Cluster, Redis } from 'ioredis'
import { describe, inject } from 'vitest'
import { REDIS_URL } from './ping.js'

export { REDIS_URL }

/** `describe` that runs only when Redis answers on REDIS_URL (global-setup.ts decides, once). */
export function describeRedis(name: string, fn: () => void): void {
  describe.skipIf(!inject('redisAvailable'))(name, fn)
}

/** `describe` that runs only when the tests can start their own redis-server processes. */
export function describeRedisServer(name: string, fn: () => void): void {
  describe.skipIf(!inject('redisServerAvailable'))(name, fn)
}

/** A plain client for assertions and cleanup (not the one under test). */
export function adminClient(url = REDIS_URL): Redis {
  // Lazy: a skipped suite still runs its describe body, and must not connect (or complain) then.
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true })
  client.on('error', () => {})
  return client
}

/** Every key under `prefix` (SCAN on every master of a cluster). */
export async function keysUnder(client: Redis | Cluster, prefix: string): Promise<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client]
  const out: string[] = []
  for (const node of nodes) {
    let cursor = '0'
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      out.push(...batch)
    } while (cursor !== '0')
  }
  return out.sort()
}

/** Delete every key under `prefix`. */
export async function deleteUnder(client: Redis | Cluster, prefix: string): Promise<void> {
  for (const key of await keysUnder(client, prefix)) await client.del(key)
}
