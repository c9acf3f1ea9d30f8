import { describe, expect, it } from 'vitest'
import { configFromEnv, createBulwark, ENV_VARS, resolveOptions } from '../src/index.js'

describe('configFromEnv', () => {
  it('reads the seed variables into engine options', () => {
    const o = configFromEnv({
      BURST_LIMIT: '80',
      AUTH_FAIL_LIMIT: '5',
      ANOMALY_LIMIT: '1000',
      BLOCK_DURATION: '600',
      BULWARK_MODE: 'monitor',
      TRUST_PROXY: '10.0.0.0/8, 192.168.0.0/16',
      BULWARK_WHITELIST: '203.0.113.1, 10.1.0.0/16',
      UNRELATED: 'x',
    })
    const r = resolveOptions({ ...o, logger: false })
    expect(r.burst).toMatchObject({ limit: 80, windowMs: 1000 })
    expect(r.authFailures).toMatchObject({ limit: 5, windowMs: 60_000 })
    expect(r.scraping).toMatchObject({ limit: 1000, windowMs: 300_000 })
    expect(r.ban.ttlMs).toBe(600_000)
    expect(r.mode).toBe('monitor')
    expect(r.trustProxy).toEqual(['10.0.0.0/8', '192.168.0.0/16'])
    expect(r.whitelist).toEqual(['203.0.113.1', '10.1.0.0/16'])
  })

  it('an empty environment gives the defaults', () => {
    expect(configFromEnv({})).toEqual({})
    const r = resolveOptions({})
    expect(r.burst).toEqual({ mode: 'enforce', limit: 50, windowMs: 1000 })
    expect(r.authFailures).toEqual({ mode: 'enforce', limit: 10, windowMs: 60_000 })
    expect(r.scraping).toEqual({ mode: 'enforce', limit: 500, windowMs: 300_000 })
    expect(r.suspicion).toEqual({ mode: 'enforce', events: 5, windowMs: 86_400_000 })
    expect(r.bodySize).toEqual({ mode: 'enforce', maxBytes: 10 * 1024 * 1024 })
    expect(r.ban).toMatchObject({ ttlMs: 3_600_000, factor: 2, maxTtlMs: 86_400_000 })
    expect(r.trustProxy).toBe(false)
  })

  it.each([
    ['BURST_LIMIT', 'fifty'],
    ['BURST_LIMIT', '0'],
    ['BURST_LIMIT', '-3'],
    ['BLOCK_DURATION', '1h'],
    ['BULWARK_MODE', 'strict'],
    ['IPV6_PREFIX', '129'],
    ['BAN_ESCALATION', '0.5'],
    ['BULWARK_KEY_SECRET', 'short'],
  ])('%s=%s is a startup error naming the variable', (name, value) => {
    expect(() => configFromEnv({ [name]: value })).toThrow(
      new RegExp(`Environment variable ${name}=.*expected`),
    )
  })

  it('documents every variable it reads', () => {
    for (const name of ['BURST_LIMIT', 'AUTH_FAIL_LIMIT', 'ANOMALY_LIMIT', 'BLOCK_DURATION', 'TRUST_PROXY']) {
      expect(ENV_VARS).toHaveProperty(name)
    }
  })
})

describe('options', () => {
  it.each([
    [{ burst: { limit: 0 } }, /burst\.limit/],
    [{ burst: { limit: 1.5 } }, /burst\.limit/],
    [{ mode: 'strict' }, /Invalid option mode/],
    [{ ipv6Prefix: 200 }, /ipv6Prefix/],
    [{ ban: { escalation: { jitter: 2 } } }, /ban\.escalation\.jitter/],
    [{ clock: 5 }, /clock/],
    [{ logger: {} }, /logger/],
    [{ store: {} }, /store/],
    [{ endpoints: [{ match: '', limit: 1, windowMs: 1 }] }, /endpoints\[0\]\.match/],
    [{ endpoints: [{ match: '/', limit: 0, windowMs: 1 }] }, /endpoints\[0\]\.limit/],
    [{ trustProxy: ['nope'] }, /trustProxy entry "nope"/],
  ])('%j is refused with a message naming the option', (options, message) => {
    expect(() => createBulwark({ logger: false, ...(options as object) })).toThrow(message)
    try {
      createBulwark({ logger: false, ...(options as object) })
    } catch (e) {
      expect((e as { code: string }).code).toBe('ERR_BULWARK_OPTIONS')
    }
  })
})

describe('env: true reads the environment in one line; code wins', () => {
  it('takes BURST_LIMIT, AUTH_FAIL_LIMIT, ANOMALY_LIMIT and BLOCK_DURATION from the environment', async () => {
    const env = { BURST_LIMIT: '80', AUTH_FAIL_LIMIT: '3', ANOMALY_LIMIT: '200', BLOCK_DURATION: '600' }
    const engine = createBulwark({ logger: false, env })
    expect(engine.options.burst).toMatchObject({ limit: 80, windowMs: 1000 })
    expect(engine.options.authFailures).toMatchObject({ limit: 3 })
    expect(engine.options.scraping).toMatchObject({ limit: 200 })
    expect(engine.options.ban.ttlMs).toBe(600_000)
    let d: Awaited<ReturnType<typeof engine.inspect>> | undefined
    for (let i = 0; i < 81; i++)
      d = await engine.inspect({ ip: '203.0.113.1', method: 'GET', path: '/', headers: {} })
    expect(d).toMatchObject({ conclusion: 'block', rule: 'burst', retryAfterS: 600 })
    await engine.close()
  })

  it('options in code win over the environment, field by field', async () => {
    const engine = createBulwark({ logger: false, env: { BURST_LIMIT: '80' }, burst: { windowMs: 2000 } })
    expect(engine.options.burst).toMatchObject({ limit: 80, windowMs: 2000 })
    await engine.close()
    const off = createBulwark({ logger: false, env: { BURST_LIMIT: '80' }, burst: false })
    expect(off.options.burst).toBeNull()
    await off.close()
  })

  it('reads process.env with env: true, and a bad value names the variable', async () => {
    const saved = process.env.BURST_LIMIT
    process.env.BURST_LIMIT = '70'
    try {
      const engine = createBulwark({ logger: false, env: true })
      expect(engine.options.burst?.limit).toBe(70)
      await engine.close()
      process.env.BURST_LIMIT = 'lots'
      expect(() => createBulwark({ logger: false, env: true })).toThrow(/BURST_LIMIT="lots" is invalid/)
    } finally {
      if (saved === undefined) delete process.env.BURST_LIMIT
      else process.env.BURST_LIMIT = saved
    }
  })

  it('without env, the environment is not read', async () => {
    const saved = process.env.BURST_LIMIT
    process.env.BURST_LIMIT = '70'
    try {
      const engine = createBulwark({ logger: false })
      expect(engine.options.burst?.limit).toBe(50)
      await engine.close()
    } finally {
      if (saved === undefined) delete process.env.BURST_LIMIT
      else process.env.BURST_LIMIT = saved
    }
  })
})
