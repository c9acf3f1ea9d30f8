import type { StoreMessage } from '@bulwark/core'
import { afterAll, afterEach, beforeEach, expect, it } from 'vitest'
import { RedisStore } from '../src/index.js'
import { uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'
import { waitFor } from './helpers/redis-server.js'

describeRedis('pub/sub: changes reach every store on the same Redis', () => {
  const admin = adminClient()
  let prefix: string
  const stores: RedisStore[] = []
  const open = () => {
    const s = new RedisStore({ url: REDIS_URL, prefix })
    stores.push(s)
    return s
  }
  const subscribers = async (channel: string) => {
    const [, n] = (await admin.pubsub('NUMSUB', channel)) as [string, number]
    return Number(n)
  }
  beforeEach(() => {
    prefix = uniquePrefix('pubsub')
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
    await deleteUnder(admin, prefix)
  })
  afterAll(() => admin.quit())

  it('setBan, deleteBan and whitelist changes reach every subscriber, the publisher included', async () => {
    const a = open()
    const b = open()
    const gotA: StoreMessage[] = []
    const gotB: StoreMessage[] = []
    a.subscribe((m) => gotA.push(m))
    b.subscribe((m) => gotB.push(m))
    await waitFor(async () => (await subscribers(a.keys.channel)) === 2, 5000, 'two subscriptions')

    const ban = await a.setBan({
      subject: 'ip:198.51.100.50',
      rule: 'manual',
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      enforced: true,
    })
    await a.deleteBan('ip:198.51.100.50')
    await a.whitelistAdd('10.0.0.0/8')
    await a.whitelistRemove('10.0.0.0/8')
    const expected: StoreMessage[] = [
      { type: 'ban', subject: 'ip:198.51.100.50', expiresAt: ban.expiresAt },
      { type: 'unban', subject: 'ip:198.51.100.50' },
      { type: 'whitelist', action: 'add', entry: '10.0.0.0/8' },
      { type: 'whitelist', action: 'remove', entry: '10.0.0.0/8' },
    ]
    await waitFor(() => gotA.length === 4 && gotB.length === 4, 1000, 'four messages within a second')
    expect(gotB).toEqual(expected)
    expect(gotA).toEqual(expected)
  })

  it('skips malformed messages and listeners that throw', async () => {
    const a = open()
    const got: StoreMessage[] = []
    a.subscribe(() => {
      throw new Error('a broken listener')
    })
    a.subscribe((m) => got.push(m))
    await waitFor(async () => (await subscribers(a.keys.channel)) === 1, 5000, 'the subscription')
    await admin.publish(a.keys.channel, 'not json')
    await admin.publish(a.keys.channel, JSON.stringify({ type: 'unban' }))
    await admin.publish(a.keys.channel, JSON.stringify({ type: 'ban', subject: 'ip:x', expiresAt: 'soon' }))
    await admin.publish(a.keys.channel, JSON.stringify({ type: 'unban', subject: 'ip:198.51.100.51' }))
    await waitFor(() => got.length === 1, 1000, 'the valid message')
    expect(got).toEqual([{ type: 'unban', subject: 'ip:198.51.100.51' }])
  })

  it('one dedicated connection: the last unsubscribe closes it, and close() does too', async () => {
    const a = open()
    const offOne = a.subscribe(() => {})
    const offTwo = a.subscribe(() => {})
    await waitFor(async () => (await subscribers(a.keys.channel)) === 1, 5000, 'one subscriber connection')
    offOne()
    expect(await subscribers(a.keys.channel)).toBe(1)
    offTwo()
    await waitFor(async () => (await subscribers(a.keys.channel)) === 0, 5000, 'the connection to close')
    a.subscribe(() => {})
    await waitFor(async () => (await subscribers(a.keys.channel)) === 1, 5000, 'a new subscriber connection')
    await a.close()
    await waitFor(async () => (await subscribers(a.keys.channel)) === 0, 5000, 'close() to end it')
  })
})
