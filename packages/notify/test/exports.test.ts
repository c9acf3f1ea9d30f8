import { expect, test } from 'vitest'
import * as api from '../src/index.js'

test('the public API is exactly this (a change here is a change for users)', () => {
  expect(Object.keys(api).sort()).toEqual([
    'DEFAULTS',
    'DeliveryError',
    'NotifyError',
    'WebhookVerificationError',
    'createNotifier',
    'discord',
    'formatText',
    'fromEnv',
    'generateWebhookSecret',
    'logger',
    'redactUrl',
    'signWebhook',
    'slack',
    'verifyWebhook',
    'webhook',
  ])
})

test('DEFAULTS cannot be changed by accident', () => {
  expect(Object.isFrozen(api.DEFAULTS)).toBe(true)
  expect(Object.isFrozen(api.DEFAULTS.delivery.backoff)).toBe(true)
  expect(api.DEFAULTS.delivery).toEqual({
    queueSize: 100,
    timeoutMs: 5000,
    maxAttempts: 4,
    backoff: { baseMs: 1000, maxMs: 30_000 },
    maxRetryAfterMs: 60_000,
  })
})
