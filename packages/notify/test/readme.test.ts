import { testReadme } from '@bulwark/testkit/readme'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { generateWebhookSecret } from '../src/signature.js'
import { startReceiver, type TestReceiver } from './helpers/receiver.js'

// The channel examples read their webhook URLs from the environment: point them at a local receiver.
let receiver: TestReceiver
beforeAll(async () => {
  receiver = await startReceiver(() => ({ status: 204 }))
})
afterAll(() => receiver.close())

const secret = generateWebhookSecret()
testReadme(new URL('../README.md', import.meta.url), {
  env: () => ({
    SLACK_URL: receiver.url('/slack'),
    DISCORD_URL: receiver.url('/discord'),
    WEBHOOK_URL: receiver.url('/webhook'),
    WEBHOOK_SECRET: secret,
    SECURITY_WEBHOOK_URL: receiver.url('/from-env'),
    SECURITY_WEBHOOK_SECRET: secret,
  }),
})

test('the channel examples delivered to the receiver', () => {
  const paths = new Set(receiver.requests.map((r) => r.path))
  expect([...paths].sort()).toEqual(['/discord', '/from-env', '/slack', '/webhook'])
})
