import { EventEmitter } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import type { NotifyError } from '../src/errors.js'
import { createNotifier } from '../src/notifier.js'
import { generateWebhookSecret } from '../src/signature.js'
import { slack } from '../src/slack.js'
import { webhook } from '../src/webhook.js'
import { distinctBans } from './helpers/events.js'
import { startReceiver, type TestReceiver, until } from './helpers/receiver.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

test('a hanging webhook neither slows app responses nor grows memory: the queue stays at its bound', async () => {
  // Two receivers that accept the connection and never answer.
  const hangingSlack: TestReceiver = await startReceiver(() => 'hang')
  const hangingHook: TestReceiver = await startReceiver(() => 'hang')
  cleanup.push(hangingSlack.close, hangingHook.close)

  const engine = new EventEmitter() // stands in for the Bulwark engine
  const errors: NotifyError[] = []
  const notifier = createNotifier({
    channels: [
      slack(hangingSlack.url('/services/T/B/X')),
      webhook(hangingHook.url('/in'), { secret: generateWebhookSecret() }),
    ],
    dedupe: false,
    rate: false,
    delivery: { queueSize: 5, timeoutMs: 60_000 },
  }).on('error', (e) => errors.push(e))
  notifier.attach(engine)

  // The app: its handler emits a ban event synchronously (as `inspect` does), then answers.
  const bans = distinctBans(50)
  let n = 0
  const app: Server = createServer((_req, res) => {
    engine.emit('ban', bans[n++]!)
    res.writeHead(403, { 'content-type': 'text/plain' }).end('banned')
  })
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        app.closeAllConnections()
        app.close(() => resolve())
      }),
  )
  const base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`

  // First request: its notification reaches both receivers, which hang.
  const first = await fetch(`${base}/login`)
  expect(first.status).toBe(403)
  expect(await first.text()).toBe('banned')
  await until(
    () => hangingSlack.requests.length === 1 && hangingHook.requests.length === 1,
    'both receivers hit',
  )

  // 49 more requests, one after another: each completes while both receivers are still hanging.
  for (let i = 1; i < bans.length; i++) {
    const res = await fetch(`${base}/login`)
    expect(res.status).toBe(403)
    await res.text()
    expect(hangingSlack.hanging).toBe(1)
    expect(hangingHook.hanging).toBe(1)
  }

  // Nothing more reached the receivers, and each channel holds at most queueSize + the one in flight.
  expect(hangingSlack.requests).toHaveLength(1)
  expect(hangingHook.requests).toHaveLength(1)
  for (const name of ['slack', 'webhook']) {
    expect(notifier.stats().channels[name]).toEqual({
      sent: 0,
      failed: 0,
      retried: 0,
      dropped: 44,
      queued: 5,
      inFlight: 1,
      disabled: false,
    })
  }
  expect(errors.map((e) => e.code)).toEqual([
    'ERR_BULWARK_NOTIFY_QUEUE_FULL',
    'ERR_BULWARK_NOTIFY_QUEUE_FULL',
  ])

  // close() respects its deadline even though the receivers never answer.
  await notifier.close({ timeoutMs: 50 })
  expect(errors.at(-1)!.code).toBe('ERR_BULWARK_NOTIFY_CLOSE_TIMEOUT')
  expect(notifier.stats().channels.webhook).toMatchObject({ failed: 1, dropped: 49, queued: 0, inFlight: 0 })
})
