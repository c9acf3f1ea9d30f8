// Configuration from the environment: defaults, and a bad value stops start-up with a message naming it.

import { createServer } from 'node:net'
import { BulwarkError } from '@bulwark/core'
import { NotifyError } from '@bulwark/notify'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.mjs'
import { startDemo } from '../src/demo.mjs'
import { describeStartError } from '../src/errors.mjs'
import { call, nextIp, testDemo, waitFor } from './helpers.mjs'

describe('loadConfig', () => {
  it('has defaults for everything', () => {
    const c = loadConfig({})
    expect(c).toMatchObject({
      bulwark: {},
      host: '127.0.0.1',
      ports: { express: 3000, fastify: 3001, koa: 3002 },
      adminTokenGenerated: true,
      redisUrl: undefined,
      redisPrefix: 'bulwark:demo:',
      webhook: false,
    })
    expect(c.adminToken).toMatch(/^[\w-]{24}$/)
    expect(c.notify.channels).toHaveLength(1)
  })

  it('reads Bulwark variables through configFromEnv', () => {
    const c = loadConfig({
      BURST_LIMIT: '80',
      TRUST_PROXY: 'loopback',
      BLOCK_DURATION: '600',
      ADMIN_TOKEN: 'a'.repeat(16),
    })
    expect(c.bulwark).toMatchObject({
      burst: { limit: 80 },
      trustProxy: ['loopback'],
      ban: { ttlMs: 600_000 },
    })
    expect(c).toMatchObject({ adminToken: 'a'.repeat(16), adminTokenGenerated: false })
  })

  it.each([
    [{ BURST_LIMIT: 'fast' }, BulwarkError, /^Environment variable BURST_LIMIT="fast" is invalid/],
    [{ BULWARK_MODE: 'loud' }, BulwarkError, /BULWARK_MODE/],
    [{ EXPRESS_PORT: '99999' }, ConfigError, /^Environment variable EXPRESS_PORT="99999" is invalid/],
    [{ KOA_PORT: 'x' }, ConfigError, /KOA_PORT/],
    [{ ADMIN_TOKEN: 'short' }, ConfigError, /^Environment variable ADMIN_TOKEN is invalid/],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, ConfigError, /^Environment variable REDIS_URL=/],
    [{ REDIS_PREFIX: 'a{b}' }, ConfigError, /REDIS_PREFIX/],
    [{ SECURITY_WEBHOOK_URL: 'https://hooks.example.com/x' }, NotifyError, /^SECURITY_WEBHOOK_SECRET/],
  ])('refuses %o, naming the variable', (env, type, message) => {
    let error
    try {
      loadConfig(env)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(type)
    expect(/** @type {Error} */ (error).message).toMatch(message)
    expect(describeStartError(error)).toMatch(/^Configuration error: /)
  })

  it('never echoes a secret', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'hunter2' })).toThrow(/^(?!.*hunter2)/)
    expect(() => loadConfig({ REDIS_URL: 'ftp://user:s3cret@host' })).toThrow(/^(?!.*s3cret)/)
  })
})

describe('startDemo', () => {
  it('names the variable when a port is taken, and leaves nothing running', async () => {
    const blocker = createServer()
    await new Promise((resolve) => blocker.listen(0, '127.0.0.1', () => resolve(undefined)))
    const port = /** @type {import('node:net').AddressInfo} */ (blocker.address()).port
    try {
      await expect(
        startDemo({ env: {}, ports: { express: 0, fastify: port, koa: 0 }, log: { warn() {} } }),
      ).rejects.toThrow(
        new ConfigError(
          `Port ${port} is already in use: set FASTIFY_PORT to another port (0 picks a free one)`,
          'FASTIFY_PORT',
        ),
      )
    } finally {
      blocker.close()
    }
  })

  it('names REDIS_URL when Redis does not answer', async () => {
    const started = Date.now()
    await expect(
      startDemo({ env: {}, redisUrl: 'redis://127.0.0.1:1', redisTimeoutMs: 500, log: { warn() {} } }),
    ).rejects.toThrow(/REDIS_URL/)
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('takes engine settings from the environment (AUTH_FAIL_LIMIT=3: the 4th wrong password bans)', async () => {
    const demo = await testDemo({ env: { AUTH_FAIL_LIMIT: '3' } })
    try {
      const ip = nextIp()
      for (let i = 0; i < 4; i++) {
        const res = await call(`${demo.urls.express}/auth/login`, {
          ip,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'demo', password: 'wrong' }),
        })
        expect(res.status).toBe(401)
      }
      // The adapter reports each 401 after the response: poll for the ban.
      const ban = await waitFor(async () => (await demo.engine.listBans()).find((b) => b.target === ip))
      expect(ban.reason).toBe('Auth failures: 4 in 60s (limit 3)')
      expect((await call(`${demo.urls.express}/`, { ip })).status).toBe(403)
    } finally {
      await demo.close()
    }
  })
})
