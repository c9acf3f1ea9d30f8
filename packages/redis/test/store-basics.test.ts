import { BulwarkError } from '@bulwark/core'
import { Redis } from 'ioredis'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { burst, HOUR, on, op, uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'
import { freePort, waitFor } from './helpers/redis-server.js'

const T = 1_800_000_000_000

describe('RedisStore options', () => {
  const code = (fn: () => unknown) => {
    try {
      fn()
    } catch (e) {
      return e instanceof BulwarkError ? e.code : String(e)
    }
    return 'no error'
  }
  it('rejects bad options with ERR_BULWARK_OPTIONS, before connecting', () => {
    expect(code(() => new RedisStore({ prefix: 'a{b}:' }))).toBe('ERR_BULWARK_OPTIONS')
    expect(code(() => new RedisStore({ clock: 'local' as 'server' }))).toBe('ERR_BULWARK_OPTIONS')
    expect(code(() => new RedisStore({ commandTimeoutMs: 0 }))).toBe('ERR_BULWARK_OPTIONS')
    expect(code(() => new RedisStore({ connectTimeoutMs: 1.5 }))).toBe('ERR_BULWARK_OPTIONS')
    const client = new Redis({ lazyConnect: true })
    expect(code(() => new RedisStore({ client, url: REDIS_URL }))).toBe('ERR_BULWARK_OPTIONS')
    expect(code(() => new RedisStore({ url: REDIS_URL, cluster: [{ port: 7000 }] }))).toBe(
      'ERR_BULWARK_OPTIONS',
    )
    client.disconnect()
  })
})

describeRedis('RedisStore lifecycle and management', () => {
  const admin = adminClient()
  afterAll(() => admin.quit())

  it('never closes a client it did not create; closes its own; refuses calls after close()', async () => {
    const prefix = uniquePrefix('life')
    const client = new Redis(REDIS_URL)
    const yours = new RedisStore({ client, prefix })
    await yours.hit(op(T, [on('ip:192.0.2.9', burst({ limit: 5 }))]))
    await yours.close()
    expect(await client.ping()).toBe('PONG')
    await client.quit()

    const own = new RedisStore({ url: REDIS_URL, prefix })
    // Commands wait for the first connection only; after it, they fail at once while Redis is away.
    expect(own.client.options.enableOfflineQueue).toBe(true)
    await own.ready()
    expect(own.client.options.enableOfflineQueue).toBe(false)
    expect(own.client.options).toMatchObject({
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      enableAutoPipelining: true,
      commandTimeout: 500,
    })
    await own.close()
    await own.close()
    await waitFor(() => own.client.status === 'end', 2000, 'the store client to end')
    await expect(own.hit(op(T, []))).rejects.toMatchObject({ code: 'ERR_BULWARK_CLOSED' })
    await expect(own.listBans(T)).rejects.toMatchObject({ code: 'ERR_BULWARK_CLOSED' })
    expect(() => own.subscribe(() => {})).toThrow(BulwarkError)
    await deleteUnder(admin, prefix)
  })

  it('ready({ timeoutMs }) rejects when Redis cannot be reached in time; after close() it rejects at once', async () => {
    const port = await freePort()
    const store = new RedisStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 50 })
    await expect(store.ready({ timeoutMs: 150 })).rejects.toMatchObject({
      code: 'ERR_BULWARK_STORE_TIMEOUT',
      message: expect.stringMatching(/^Redis was not ready within 150 ms \(last error: .*ECONNREFUSED/),
    })
    await expect(store.ready({ timeoutMs: -1 })).rejects.toMatchObject({ code: 'ERR_BULWARK_OPTIONS' })
    await store.close()
    // Without a timeout too: a closed store never leaves ready() pending.
    await expect(store.ready()).rejects.toMatchObject({ code: 'ERR_BULWARK_CLOSED' })
  })

  it('answers an op with no subjects', async () => {
    const store = new RedisStore({ url: REDIS_URL, prefix: uniquePrefix('empty'), clock: 'client' })
    expect(await store.hit(op(T, []))).toEqual({ ban: null, counts: [], now: T })
    await store.close()
  })

  it('lists many bans (batched reads), soonest to end first, and drops ended ones from the index', async () => {
    const prefix = uniquePrefix('many')
    const store = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
    for (let i = 0; i < 300; i++) {
      await store.setBan({
        subject: `ip:10.0.${i >> 8}.${i & 255}`,
        rule: 'manual',
        createdAt: T,
        expiresAt: T + HOUR + ((i * 7919) % 300) * 1000,
        enforced: true,
      })
    }
    const bans = await store.listBans(T)
    expect(bans).toHaveLength(300)
    expect(bans.map((b) => b.expiresAt)).toEqual([...bans.map((b) => b.expiresAt)].sort((x, y) => x - y))
    // Offsets are a permutation of 0..299 s: those over 150 s are still in force.
    expect(await store.listBans(T + HOUR + 150_000)).toHaveLength(149)
    expect(await admin.zcard(store.keys.banIndex)).toBe(149)
    await store.close()
    await deleteUnder(admin, prefix)
  })

  it('wraps Redis failures in BulwarkError with a stable code', async () => {
    const prefix = uniquePrefix('wrong')
    const store = new RedisStore({ url: REDIS_URL, prefix, clock: 'client' })
    // The ban key holds the wrong type: Redis refuses, the store reports ERR_BULWARK_STORE with the cause.
    await admin.set(store.keys.subject('ip:192.0.2.10').ban, 'not a hash')
    const err = await store.hit(op(T, [on('ip:192.0.2.10')])).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(BulwarkError)
    expect(err).toMatchObject({ code: 'ERR_BULWARK_STORE', message: expect.stringContaining('WRONGTYPE') })
    await store.close()
    await deleteUnder(admin, prefix)
  })
})

describe('REDIS_URL', () => {
  const saved = process.env.REDIS_URL
  afterEach(() => {
    if (saved === undefined) delete process.env.REDIS_URL
    else process.env.REDIS_URL = saved
  })

  it('is the default URL when no url, client or cluster is given (database included)', async () => {
    process.env.REDIS_URL = 'redis://127.0.0.1:6390/5'
    const store = new RedisStore({ connectTimeoutMs: 100, maxReconnectDelayMs: 100 })
    expect(store.options.url).toBe('redis://127.0.0.1:6390/5')
    expect((store.client as unknown as { options: { db: number; port: number } }).options).toMatchObject({
      db: 5,
      port: 6390,
    })
    await store.close()
    const explicit = new RedisStore({ url: 'redis://127.0.0.1:6391' })
    expect(explicit.options.url).toBe('redis://127.0.0.1:6391')
    await explicit.close()
  })

  it('a REDIS_URL that is not a redis URL is a startup error naming the variable', () => {
    process.env.REDIS_URL = 'localhost:6379'
    expect(() => new RedisStore()).toThrow(/REDIS_URL="localhost:6379" is invalid/)
  })
})
