import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import * as api from '../src/index.js'

test('the public API is exactly this (a change here is a change for users)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BULWARK_AUTH',
    'BULWARK_LIMIT',
    'BULWARK_OPTIONS',
    'BULWARK_SKIP',
    'BulwarkAuth',
    'BulwarkException',
    'BulwarkGuard',
    'BulwarkLimit',
    'BulwarkModule',
    'BulwarkService',
    'BulwarkState',
    'SkipBulwark',
  ])
})

test('the package exports one entry point for ESM and CommonJS, with Nest 11 as peers', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  expect(Object.keys(pkg.exports)).toEqual(['.', './package.json'])
  expect(pkg.peerDependencies).toEqual({
    '@nestjs/common': '^11.0.0',
    '@nestjs/core': '^11.0.0',
    'reflect-metadata': '^0.1.12 || ^0.2.0',
  })
  expect(pkg.engines).toEqual({ node: '>=20.18.1' })
})
