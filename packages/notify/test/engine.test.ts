import { createBulwark } from '@bulwark/core'
import { expect, test } from 'vitest'
import { createNotifier } from '../src/notifier.js'
import type { Notification } from '../src/types.js'
import { until } from './helpers/receiver.js'

// The real engine from @bulwark/core (its source, through the workspace alias).
test('attach() works with the engine from createBulwark(): a manual ban is notified', async () => {
  const engine = createBulwark({ logger: false })
  const got: Notification[] = []
  const notifier = createNotifier({
    channels: [(n: Notification) => void got.push(n)],
    events: ['block', 'unblock'],
  })
  notifier.attach(engine)
  await engine.block('203.0.113.50', { reason: 'manual: incident 42' })
  await until(() => got.length === 1, 'the block notification')
  expect(got[0]).toMatchObject({
    kind: 'block',
    event: { type: 'block', subject: 'ip:203.0.113.50', target: '203.0.113.50', rule: 'manual' },
  })
  await engine.unblock('203.0.113.50')
  await until(() => got.length === 2, 'the unblock notification')
  expect(got[1]).toMatchObject({ kind: 'unblock', event: { subject: 'ip:203.0.113.50' } })
  await notifier.close()
  await engine.close()
})
