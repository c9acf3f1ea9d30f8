import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as api from '../src/index.js'

test('the public API is exactly this (a change here is a change for users)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'CROWDSEC_ENV_VARS',
    'CrowdSecError',
    'crowdsecBouncer',
    'crowdsecFromEnv',
    'crowdsecSource',
  ])
})

test('a bouncer is a deny source, a source listens to an engine', () => {
  const bouncer = api.crowdsecBouncer({ url: 'http://127.0.0.1:8080', apiKey: 'k' })
  expect(bouncer.name).toBe('crowdsec')
  expect(bouncer.monitor).toBe(false)
  expect(Object.keys(bouncer).sort()).toEqual([
    'close',
    'monitor',
    'name',
    'off',
    'on',
    'start',
    'stats',
    'sync',
  ])
  const source = api.crowdsecSource({ url: 'http://127.0.0.1:8080', machineId: 'm', password: 'p' })
  expect(Object.keys(source).sort()).toEqual(['attach', 'close', 'flush', 'off', 'on', 'push', 'stats'])
})

test('the package exports one entry point for ESM and CommonJS, with @bulwark/core as its peer', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(Object.keys(pkg.exports)).toEqual(['.', './package.json'])
  expect(pkg.peerDependencies).toEqual({ '@bulwark/core': '>=0.0.0' })
  expect(pkg.dependencies).toBeUndefined()
  expect(pkg.engines).toEqual({ node: '>=20.18.1' })
})
