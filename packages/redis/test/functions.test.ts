import { createHash } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { ioredisClient, LUA_SCRIPTS, type RedisClient, RedisStore } from '../src/index.js'
import { HIT_FUNCTION } from '../src/lua/hit.js'
import { burst, on, op } from './helpers/ops.js'
import { describeRedisServer } from './helpers/redis.js'
import { type RedisServer, startRedisServer } from './helpers/redis-server.js'

const T = 1_800_000_000_000
const HIT_SHA = createHash('sha1').update(LUA_SCRIPTS.hit).digest('hex')

describeRedisServer('the function library and its fallback to EVALSHA', () => {
  let server: RedisServer
  let admin: Redis

  beforeAll(async () => {
    server = await startRedisServer()
    admin = new Redis(server.url)
  })
  afterAll(async () => {
    await admin?.quit()
    await server?.stop()
  })

  const libraries = async () => (await admin.function('LIST', 'LIBRARYNAME', 'bulwark_*')) as unknown[]
  const scriptKnown = async () => ((await admin.script('EXISTS', HIT_SHA)) as number[])[0] === 1

  it('loads the library on first use, and counts exactly through it', async () => {
    await admin.function('FLUSH')
    const store = new RedisStore({ url: server.url, prefix: 'fn:' })
    const results = []
    for (let i = 0; i < 3; i++)
      results.push(await store.hit(op(T, [on('ip:192.0.2.1', burst({ limit: 2 }))])))
    expect(results.map((r) => r.ban?.rule ?? null)).toEqual([null, null, 'burst'])
    expect(await libraries()).toHaveLength(1)
    expect(JSON.stringify(await libraries())).toContain(HIT_FUNCTION)
    await store.close()
  })

  it('a user the ACL keeps from functions gets EVALSHA, for good, with the same answers', async () => {
    await admin.function('FLUSH')
    await admin.script('FLUSH')
    await admin.call('ACL', 'SETUSER', 'nofn', 'on', '>pw', '~*', '&*', '+@all', '-function', '-fcall')
    const store = new RedisStore({ url: `redis://nofn:pw@127.0.0.1:${server.port}`, prefix: 'acl:' })
    const results = []
    for (let i = 0; i < 3; i++)
      results.push(await store.hit(op(T, [on('ip:192.0.2.2', burst({ limit: 2 }))])))
    expect(results.map((r) => r.ban?.rule ?? null)).toEqual([null, null, 'burst'])
    expect(await libraries()).toEqual([])
    expect(await scriptKnown()).toBe(true)
    await store.close()
  })

  it('Redis 6 (FCALL unknown): one FCALL is tried, then EVALSHA for good', async () => {
    await admin.function('FLUSH')
    await admin.script('FLUSH')
    const client = new Redis(server.url, { enableAutoPipelining: true })
    const real = ioredisClient(client)
    const tried: string[] = []
    // What a Redis 6 server answers to FCALL; every other command goes to the real server.
    const redis6: RedisClient = {
      ...real,
      command(name, args, key, now) {
        tried.push(name)
        if (name === 'fcall') {
          return Promise.reject(
            new Error(`ERR unknown command 'fcall', with args beginning with: '${args[0]}'`),
          )
        }
        return real.command(name, args, key, now)
      },
    }
    const store = new RedisStore({ client: redis6, prefix: 'r6:' })
    expect(store.connection).toBe(redis6)
    for (let i = 0; i < 3; i++) await store.hit(op(T, [on('ip:192.0.2.3', burst({ limit: 5 }))]))
    expect(tried).toEqual(['fcall', 'evalsha', 'eval', 'evalsha', 'evalsha'])
    expect(await libraries()).toEqual([])
    await store.close()
    await client.quit()
  })

  it('functions: false runs EVALSHA from the start', async () => {
    await admin.function('FLUSH')
    const store = new RedisStore({ url: server.url, prefix: 'ev:', functions: false })
    await store.hit(op(T, [on('ip:192.0.2.4', burst())]))
    expect(await libraries()).toEqual([])
    expect(await scriptKnown()).toBe(true)
    await store.close()
  })

  it('a bad functions option is refused with a code', () => {
    expect(() => new RedisStore({ url: server.url, functions: 'yes' as unknown as boolean })).toThrow(
      expect.objectContaining({ code: 'ERR_BULWARK_OPTIONS' }),
    )
  })
})
