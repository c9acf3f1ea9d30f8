import { expect, it } from 'vitest'
import * as core from '../src/index.js'

it('the public API is exactly this (a change here is a change to the package contract)', () => {
  expect(Object.keys(core).sort()).toEqual([
    'BulwarkError',
    'ClientIpResolver',
    'DEFAULTS',
    'DEFAULT_PROBE_FILES',
    'DEFAULT_PROBE_SEGMENTS',
    'DEFAULT_SCANNER_AGENTS',
    'ENV_VARS',
    'MEMORY_STORE_DEFAULTS',
    'MemoryStore',
    'RequestState',
    'TRIP_RULES',
    'adapterRuntime',
    'configFromEnv',
    'consoleLogger',
    'createBulwark',
    'describeBan',
    'escalatedTtl',
    'fingerprint',
    'formatWindow',
    'hashApiKey',
    'inspectRequest',
    'nodeFacts',
    'parseContentLength',
    'parseTarget',
    'passHeaders',
    'pathOf',
    'rateLimitHeaders',
    'resolveOptions',
    'responseFor',
    'silentLogger',
    'warnTrustMismatch',
  ])
})
