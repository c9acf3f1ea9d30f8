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
