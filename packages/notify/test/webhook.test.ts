import { afterEach, describe, expect, test, vi } from 'vitest'
import type { DeliveryError, NotifyError } from '../src/errors.js'
import { createNotifier } from '../src/notifier.js'
import { generateWebhookSecret, verifyWebhook } from '../src/signature.js'
import type { DeliveryOverrides } from '../src/types.js'
import { type WebhookPayload, webhook } from '../src/webhook.js'
import { banEvent, distinctBans, unbanEvent } from './helpers/events.js'
import { useFakeTime } from './helpers/fake-time.js'
import { type Received, settle, startReceiver, type TestReceiver, until } from './helpers/receiver.js'

const secret = generateWebhookSecret()
let receiver: TestReceiver | undefined

afterEach(async () => {
  vi.useRealTimers()
  await receiver?.close()
  receiver = undefined
})

function setup(delivery: DeliveryOverrides = {}, extra: Partial<Parameters<typeof webhook>[1]> = {}) {
  const errors: NotifyError[] = []
  const notifier = createNotifier({
    channels: [webhook(receiver!.url('/bulwark?token=QUERYSECRET'), { secret, ...extra })],
    events: ['ban', 'unban'],
    dedupe: false,
    rate: false,
    delivery,
    random: () => 0,
  }).on('error', (e) => errors.push(e))
  const stats = () => notifier.stats().channels.webhook!
  return { notifier, errors, stats }
}

function verify(req: Received, now = Date.now()): WebhookPayload {
  return verifyWebhook<WebhookPayload>({ secret, headers: req.headers, body: req.body, now })
}

describe('generic webhook channel', () => {
  test('posts the JSON event signed per Standard Webhooks; verifyWebhook accepts it', async () => {
    receiver = await startReceiver(() => ({ status: 202 }))
    const { notifier, stats } = setup(
      {},
      { headers: { authorization: 'Bearer abc', 'Webhook-Signature': 'forged' } },
    )
    const event = banEvent({ enforced: false })
    notifier.notify(event)
    notifier.notify(unbanEvent())
    await until(() => stats().sent === 2)
    const [first, second] = receiver.requests as [Received, Received]
    expect(first.headers['content-type']).toBe('application/json')
    expect(first.headers.authorization).toBe('Bearer abc')
    expect(first.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/)
    // Signed when sent, so at most the arrival second (and not long before it, even on a loaded machine).
    const signedAt = Number(first.headers['webhook-timestamp'])
    expect(signedAt).toBeLessThanOrEqual(Math.floor(first.at / 1000))
    expect(signedAt).toBeGreaterThanOrEqual(Math.floor(first.at / 1000) - 10)
    expect(first.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
    expect(verify(first)).toEqual({
      type: 'bulwark.ban',
      timestamp: '2026-11-22T12:00:00.000Z',
      text: 'Security Block observed (monitor mode) | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
      data: event,
    })
    expect(verify(second)).toEqual({
      type: 'bulwark.unban',
      timestamp: '2026-11-22T12:00:00.000Z',
      text: 'Security Block lifted | IP: 203.0.113.7',
      data: unbanEvent(),
    })
    expect(first.headers['webhook-id']).not.toBe(second.headers['webhook-id'])
    // a tampered body fails verification
    expect(() =>
      verifyWebhook({ secret, headers: first.headers, body: first.body.replace('burst', 'probe') }),
    ).toThrow(/no signature matches/)
    await notifier.close()
  })

  test('retries 5xx with exponential backoff; the webhook-id stays, every attempt is freshly signed', async () => {
    useFakeTime()
    receiver = await startReceiver((_, i) => (i < 3 ? { status: i === 1 ? 502 : 500 } : { status: 200 }))
    const { notifier, errors, stats } = setup({ maxAttempts: 4, backoff: { baseMs: 1000, maxMs: 30_000 } })
    notifier.notify(banEvent())
    // random() = 0: waits are the lower bound of the jitter, 500, 1000 and 2000 ms
    for (const [retry, wait] of [
      [1, 500],
      [2, 1000],
      [3, 2000],
    ] as const) {
      await until(() => stats().retried === retry, `retry ${retry}`)
      await vi.advanceTimersByTimeAsync(wait - 1)
      await settle()
      expect(receiver.requests).toHaveLength(retry)
      await vi.advanceTimersByTimeAsync(1)
      await until(() => receiver!.requests.length === retry + 1, `attempt ${retry + 1}`)
    }
    await until(() => stats().sent === 1)
    const at = receiver.requests.map((r) => r.at)
    expect(at.slice(1).map((t, i) => t - at[i]!)).toEqual([500, 1000, 2000])
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']))
    expect(ids.size).toBe(1)
    for (const req of receiver.requests) expect(verify(req, req.at).type).toBe('bulwark.ban')
    expect(stats()).toMatchObject({ sent: 1, failed: 0, retried: 3, dropped: 0 })
    expect(errors).toEqual([])
    await notifier.close()
  })

  test('gives up after maxAttempts with one error event carrying the status and attempts', async () => {
    useFakeTime()
    receiver = await startReceiver(() => ({ status: 503, body: 'down' }))
    const { notifier, errors, stats } = setup({ maxAttempts: 3 })
    notifier.notify(banEvent())
    await until(() => stats().retried === 1)
    await vi.advanceTimersByTimeAsync(500)
    await until(() => stats().retried === 2)
    await vi.advanceTimersByTimeAsync(1000)
    await until(() => stats().failed === 1)
    expect(receiver.requests).toHaveLength(3)
    expect(errors).toHaveLength(1)
    const error = errors[0] as DeliveryError
    expect(error).toMatchObject({
      code: 'ERR_BULWARK_NOTIFY_HTTP',
      status: 503,
      attempts: 3,
      retryable: false,
    })
    expect(error.message).toContain('gave up after 3 attempts')
    expect(error.message).not.toContain('QUERYSECRET')
    await notifier.close()
  })

  test('503 with Retry-After waits what the receiver asked', async () => {
    useFakeTime()
    receiver = await startReceiver((_, i) =>
      i === 0 ? { status: 503, headers: { 'retry-after': '7' } } : { status: 200 },
    )
    const { notifier, stats } = setup()
    notifier.notify(banEvent())
    await until(() => stats().retried === 1)
    await vi.advanceTimersByTimeAsync(7000)
    await until(() => stats().sent === 1)
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBe(7000)
    await notifier.close()
  })

  test('a 429 asking for more than maxRetryAfterMs fails at once instead of holding the channel', async () => {
    receiver = await startReceiver(() => ({ status: 429, headers: { 'retry-after': '3600' } }))
    const { notifier, errors, stats } = setup({ maxRetryAfterMs: 60_000 })
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    expect(stats()).toMatchObject({ failed: 1, retried: 0 })
    expect(errors[0]!.message).toContain('asked to wait 3600000 ms')
    await notifier.close()
  })

  test('4xx other than 429 is not retried, and redirects are not followed', async () => {
    receiver = await startReceiver((req) =>
      req.headers['webhook-id'] && receiver!.requests.length === 1
        ? { status: 401, body: 'bad signature' }
        : { status: 307, headers: { location: '/elsewhere' } },
    )
    const { notifier, errors, stats } = setup()
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    notifier.notify(banEvent({ rule: 'probe' }))
    await until(() => errors.length === 2)
    await settle()
    expect(receiver.requests.map((r) => r.path)).toEqual([
      '/bulwark?token=QUERYSECRET',
      '/bulwark?token=QUERYSECRET',
    ])
    expect(errors.map((e) => (e as DeliveryError).status)).toEqual([401, 307])
    expect(stats()).toMatchObject({ failed: 2, retried: 0 })
    await notifier.close()
  })

  test('an attempt that hangs is cut at timeoutMs and retried', async () => {
    useFakeTime()
    receiver = await startReceiver((_, i) => (i === 0 ? 'hang' : { status: 200 }))
    const { notifier, stats } = setup({ timeoutMs: 2000 })
    notifier.notify(banEvent())
    await until(() => receiver!.requests.length === 1)
    await vi.advanceTimersByTimeAsync(1999)
    await settle()
    expect(stats()).toMatchObject({ retried: 0, inFlight: 1 })
    await vi.advanceTimersByTimeAsync(1)
    await until(() => stats().retried === 1)
    await vi.advanceTimersByTimeAsync(500)
    await until(() => stats().sent === 1)
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBe(2500)
    await notifier.close()
  })

  test('a refused connection is retried, then reported as a network error', async () => {
    useFakeTime()
    receiver = await startReceiver()
    const url = receiver.url('/hook/SECRETPATH')
    await receiver.close()
    receiver = undefined
    const errors: NotifyError[] = []
    const notifier = createNotifier({
      channels: [webhook(url, { secret })],
      delivery: { maxAttempts: 2 },
      random: () => 0,
    }).on('error', (e) => errors.push(e))
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.webhook!.retried === 1)
    await vi.advanceTimersByTimeAsync(500)
    await until(() => errors.length === 1)
    expect(errors[0]).toMatchObject({ code: 'ERR_BULWARK_NOTIFY_NETWORK', attempts: 2 })
    expect(errors[0]!.message).not.toContain('SECRETPATH')
    await notifier.close()
  })

  test('each notification is sent on its own, in order', async () => {
    receiver = await startReceiver()
    const { notifier, stats } = setup()
    const events = distinctBans(5)
    for (const e of events) notifier.notify(e)
    await until(() => stats().sent === 5)
    expect(receiver.requests.map((r) => (verify(r).data as { target: string }).target)).toEqual(
      events.map((e) => e.target),
    )
    await notifier.close()
  })

  test('webhook() requires a usable secret, unless unsigned: true', () => {
    expect(() => webhook('https://example.com/h', { secret: '' })).toThrow(/the secret is empty/)
    expect(() => webhook('https://example.com/h', { secret: 'short' })).toThrow(/at least 16 bytes/)
    expect(() => webhook('https://example.com/h', undefined as never)).toThrow(
      /the signing secret is missing \(or pass \{ unsigned: true \} to send unsigned\)/,
    )
    expect(() => webhook('https://example.com/h', {})).toThrow(/the signing secret is missing/)
    expect(() => webhook('https://example.com/h', { unsigned: false })).toThrow(
      /the signing secret is missing/,
    )
    expect(() => webhook('https://example.com/h', { secret: 'whsec_???' })).toThrow(/base64/)
    const quiet = { warn: vi.fn() }
    expect(() => webhook('https://example.com/h', { secret, unsigned: true, logger: quiet })).toThrow(
      /not both/,
    )
    expect(() => webhook('https://example.com/h', { unsigned: 'yes' as never, logger: quiet })).toThrow(
      /\{ unsigned \}\): must be true or false/,
    )
    expect(quiet.warn).not.toHaveBeenCalled()
  })

  test('unsigned: true posts the same JSON without signature headers, and warns once', async () => {
    receiver = await startReceiver(() => ({ status: 204 }))
    const warn = vi.fn()
    const signed = webhook(receiver.url('/signed'), { secret, name: 'signed' })
    const channel = webhook(receiver.url('/hook/URLSECRET'), {
      unsigned: true,
      logger: { warn },
      headers: { authorization: 'Bearer abc' },
    })
    // the warning comes once, when the channel is made, with the URL redacted
    expect(warn.mock.calls).toEqual([
      [
        `Bulwark notify: webhook "webhook" (http://${new URL(receiver.url()).host}/***) sends notifications unsigned; anyone who knows the URL can forge them. Set a secret to sign them.`,
      ],
    ])
    const notifier = createNotifier({
      channels: [channel, signed],
      events: ['ban', 'unban'],
      dedupe: false,
      rate: false,
    })
    notifier.notify(banEvent())
    notifier.notify(unbanEvent())
    notifier.notify(banEvent({ target: '198.51.100.1', subject: 'ip:198.51.100.1', ip: '198.51.100.1' }))
    await until(() => receiver!.requests.length === 6)
    await notifier.close()
    expect(warn).toHaveBeenCalledTimes(1)
    const unsigned = receiver.requests.filter((r) => r.path === '/hook/URLSECRET')
    const signedRequests = receiver.requests.filter((r) => r.path === '/signed')
    expect(unsigned).toHaveLength(3)
    for (const [i, req] of unsigned.entries()) {
      expect(req.method).toBe('POST')
      expect(req.headers['content-type']).toBe('application/json')
      expect(req.headers.authorization).toBe('Bearer abc')
      expect(req.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/)
      expect(req.headers['webhook-signature']).toBeUndefined()
      expect(req.headers['webhook-timestamp']).toBeUndefined()
      // byte for byte the body the signed channel sent for the same notification
      const twin = signedRequests.find((r) => r.headers['webhook-id'] === req.headers['webhook-id'])!
      expect(req.body).toBe(twin.body)
      expect(verify(twin)).toEqual(JSON.parse(req.body))
      if (i === 0) {
        expect(JSON.parse(req.body)).toEqual({
          type: 'bulwark.ban',
          timestamp: '2026-11-22T12:00:00.000Z',
          text: 'Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
          data: banEvent(),
        })
      }
    }
    expect(() => verifyWebhook({ secret, headers: unsigned[0]!.headers, body: unsigned[0]!.body })).toThrow(
      /webhook-timestamp header is missing/,
    )
  })
})
