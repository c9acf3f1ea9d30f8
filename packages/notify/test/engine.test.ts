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
    events: ['ban', 'unban'],
  })
  notifier.attach(engine)
  await engine.ban('203.0.113.50', { reason: 'manual: incident 42' })
  await until(() => got.length === 1, 'the ban notification')
  expect(got[0]).toMatchObject({
    kind: 'ban',
    event: { type: 'ban', subject: 'ip:203.0.113.50', target: '203.0.113.50', rule: 'manual' },
  })
  await engine.unban('203.0.113.50')
  await until(() => got.length === 2, 'the unban notification')
  expect(got[1]).toMatchObject({ kind: 'unban', event: { subject: 'ip:203.0.113.50' } })
  await notifier.close()
  await engine.close()
})
