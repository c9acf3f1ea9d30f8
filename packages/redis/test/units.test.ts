import { describe, expect, it } from 'vitest'
import { parseCommand, UsageError } from '../src/cli/args.js'
import { formatDuration, parseDuration } from '../src/cli/duration.js'
import { KeySpace, subjectTag } from '../src/index.js'
import { BUILTIN_KEYS } from '../src/keys.js'
import { decodeMessage, encodeMessage } from '../src/messages.js'

describe('key layout', () => {
  it('every key of a subject shares one hash tag, so a script touches one cluster slot', () => {
    const k = new KeySpace('bulwark:').subject('ip:198.51.100.7')
    expect(k).toEqual({
      ban: 'bulwark:{ip:198.51.100.7}:ban',
      offense: 'bulwark:{ip:198.51.100.7}:off',
      burst: 'bulwark:{ip:198.51.100.7}:b',
      auth: 'bulwark:{ip:198.51.100.7}:a',
      items: 'bulwark:{ip:198.51.100.7}:i',
      suspicion: 'bulwark:{ip:198.51.100.7}:s',
      endpoint: 'bulwark:{ip:198.51.100.7}:e:',
    })
    expect(new KeySpace('bulwark:').subject('ip:2001:db8:1:2::/64').ban).toBe(
      'bulwark:{ip:2001:db8:1:2::/64}:ban',
    )
  })

  it("a count's counter key is the subject's base and the count's key; setBan and deleteBan touch the built-in ones", () => {
    const ks = new KeySpace('bulwark:')
    expect(ks.counter('ip:198.51.100.7', 'r:2fa-failures')).toBe('bulwark:{ip:198.51.100.7}:r:2fa-failures')
    expect(ks.counter('ip:198.51.100.7', 'e:GET /login')).toBe('bulwark:{ip:198.51.100.7}:e:GET /login')
    expect(BUILTIN_KEYS).toEqual(['b', 'a', 'i', 's'])
    expect(ks.managed('key:k')).toEqual([
      'bulwark:{key:k}:ban',
      'bulwark:{key:k}:off',
      'bulwark:{key:k}:b',
      'bulwark:{key:k}:a',
      'bulwark:{key:k}:i',
      'bulwark:{key:k}:s',
      'bulwark:{key:k}:a.s',
      'bulwark:{key:k}:a.n',
    ])
  })

  it('escapes braces and % so no subject can end the tag early or collide with another', () => {
    const subjects = ['ip:a}b', 'ip:a{b', 'ip:a%7Db', 'ip:a%b', '', '%', '}', '{}', 'key:abc']
    const tags = subjects.map(subjectTag)
    expect(new Set(tags).size).toBe(subjects.length)
    for (const tag of tags) {
      expect(tag).not.toMatch(/[{}]/)
      expect(tag.length).toBeGreaterThan(0)
    }
    expect(subjectTag('key:abc')).toBe('key:abc')
  })

  it('names the shared keys and a SCAN pattern under the prefix', () => {
    const ks = new KeySpace('app[1]:')
    expect([ks.banIndex, ks.whitelist, ks.channel]).toEqual([
      'app[1]:bans',
      'app[1]:whitelist',
      'app[1]:events',
    ])
    expect(ks.pattern).toBe('app\\[1\\]:*')
  })
})

describe('pub/sub messages', () => {
  it('round-trip every store message and reject anything else', () => {
    for (const m of [
      { type: 'unban', subject: 'ip:1.2.3.4' },
      { type: 'ban', subject: 'key:x', expiresAt: 5 },
      { type: 'whitelist', action: 'add', entry: '10.0.0.0/8' },
    ] as const) {
      expect(decodeMessage(encodeMessage(m))).toEqual(m)
    }
    for (const raw of [
      '',
      'null',
      '[]',
      '{"type":"ban","subject":"x"}',
      '{"type":"whitelist","action":"drop","entry":"x"}',
    ]) {
      expect(decodeMessage(raw)).toBeNull()
    }
  })
})

describe('CLI arguments', () => {
  it('parses durations as people write them', () => {
    expect(parseDuration('90')).toBe(90_000)
    expect(parseDuration('30s')).toBe(30_000)
    expect(parseDuration('15m')).toBe(900_000)
    expect(parseDuration('15min')).toBe(900_000)
    expect(parseDuration('1h30m')).toBe(5_400_000)
    expect(parseDuration('2d')).toBe(172_800_000)
    expect(parseDuration('1w')).toBe(604_800_000)
    expect(parseDuration('250ms')).toBe(250)
    for (const bad of ['', '0', '0s', '1x', 'h', '-1h', '1.5h', '9'.repeat(30)])
      expect(parseDuration(bad)).toBeNull()
    expect(formatDuration(3_725_000)).toBe('1h 2m')
    expect(formatDuration(90_000)).toBe('1m 30s')
    expect(formatDuration(86_400_000 * 2 + 1)).toBe('2d 1s')
    expect(formatDuration(-5)).toBe('0s')
  })

  it('reads REDIS_URL and BULWARK_REDIS_PREFIX, flags win', () => {
    const env = { REDIS_URL: 'redis://r:6380', BULWARK_REDIS_PREFIX: 'app:' }
    expect(parseCommand(['bans'], env)).toMatchObject({
      name: 'bans',
      url: 'redis://r:6380',
      prefix: 'app:',
    })
    // `blocks`, `block` and `unblock` are deprecated synonyms of `bans`, `ban` and `unban`
    expect(parseCommand(['blocks', '--url', 'redis://x', '--prefix', 'p:'], env)).toMatchObject({
      name: 'bans',
      deprecatedName: 'blocks',
      url: 'redis://x',
      prefix: 'p:',
    })
    expect(parseCommand(['ban', '1.2.3.4', '--ttl', '1h', '--reason', 'r'], {})).toMatchObject({
      name: 'ban',
      target: '1.2.3.4',
      ttlMs: 3_600_000,
      reason: 'r',
      url: 'redis://127.0.0.1:6379',
      prefix: 'bulwark:',
      timeoutMs: 10_000,
    })
    expect(parseCommand(['whitelist', 'remove', 'key:abc'], {})).toMatchObject({
      action: 'remove',
      entry: 'key:abc',
    })
    expect(parseCommand(['-h'], {})).toEqual({ name: 'help' })
    expect(() => parseCommand(['blocks', '--prefix', 'a{b'], {})).toThrow(UsageError)
  })
})

describe('client wrappers', () => {
  it('several stores over one node-redis client share one wrapper: two listeners on the client, not two per store', async () => {
    const { createClient } = await import('redis')
    const { nodeRedisClient } = await import('../src/index.js')
    const client = createClient()
    const before = client.listenerCount('end')
    const first = nodeRedisClient(client)
    for (let i = 0; i < 20; i++) expect(nodeRedisClient(client)).toBe(first)
    expect(client.listenerCount('end') - before).toBe(1)
    expect(client.listenerCount('ready')).toBe(1)
    expect(nodeRedisClient(createClient())).not.toBe(first)
  })
})
