import { expect, it } from 'vitest'
import * as api from '../src/index.js'

it('the public API is exactly this (a change here is a change to the package contract)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'KeySpace',
    'LUA_SCRIPTS',
    'REDIS_STORE_DEFAULTS',
    'RedisStore',
    'ioredisClient',
    'nodeRedisClient',
    'subjectTag',
  ])
})

it('the defaults, in one place', () => {
  expect(api.REDIS_STORE_DEFAULTS).toEqual({
    url: 'redis://127.0.0.1:6379',
    prefix: 'bulwark:',
    clock: 'server',
    commandTimeoutMs: 500,
    connectTimeoutMs: 2000,
    maxReconnectDelayMs: 2000,
    functions: true,
  })
  expect(Object.isFrozen(api.REDIS_STORE_DEFAULTS)).toBe(true)
})
