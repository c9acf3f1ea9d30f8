import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as api from '../src/index.js'

test('the public API is exactly this (a change here is a change for users)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'ADMIN_DEFAULTS',
    'ASSETS',
    'AdminError',
    'DASHBOARD_CSP',
    'MAX_BATCH',
    'MAX_BODY_BYTES',
    'TOPICS',
    'createAdmin',
    'createFeed',
    'expressAdmin',
    'fastifyAdmin',
    'koaAdmin',
    'tokenMatches',
  ])
  expect(api.TOPICS).toEqual(['decisions', 'stats', 'ban', 'unban', 'store'])
  expect(Object.isFrozen(api.TOPICS)).toBe(true)
  expect(api.ADMIN_DEFAULTS).toEqual({
    dashboard: true,
    reportAuthFailures: true,
    maxStreamBufferBytes: 1_048_576,
    maxStreams: 32,
    minTokenLength: 16,
  })
  expect(Object.isFrozen(api.ADMIN_DEFAULTS)).toBe(true)
})

test('the package ships its dashboard files and exports ESM and CommonJS', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(Object.keys(pkg.exports)).toEqual(['.', './package.json'])
  expect(pkg.files).toContain('public')
  expect(pkg.engines).toEqual({ node: '>=20.18.1' })
  for (const { file } of Object.values(api.ASSETS))
    expect(readFileSync(new URL(`../public/${file}`, import.meta.url)).length).toBeGreaterThan(100)
})
