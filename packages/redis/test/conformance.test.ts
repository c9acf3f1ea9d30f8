import { storeConformanceSuite } from '@bulwark/testkit'
import { afterAll } from 'vitest'
import { RedisStore } from '../src/index.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'

describeRedis('RedisStore on a single Redis server', () => {
  const admin = adminClient()
  afterAll(() => admin.quit())

  storeConformanceSuite('RedisStore (single node)', {
    create: ({ namespace }) => new RedisStore({ url: REDIS_URL, prefix: `${namespace}:`, clock: 'client' }),
    cleanup: ({ namespace }) => deleteUnder(admin, `${namespace}:`),
  })
})
