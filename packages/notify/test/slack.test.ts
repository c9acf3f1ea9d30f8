import { inspect } from 'node:util'
import { afterEach, describe, expect, test, vi } from 'vitest'
import type { NotifyError } from '../src/errors.js'
import { createNotifier } from '../src/notifier.js'
import { escapeSlack, slack, toSlackMessage } from '../src/slack.js'
import { banEvent, distinctBans } from './helpers/events.js'
import { useFakeTime } from './helpers/fake-time.js'
import { settle, startReceiver, type TestReceiver, until } from './helpers/receiver.js'

const SECRET_PATH = '/services/T0000/B0000/XXXXSECRETTOKEN'
let receiver: TestReceiver | undefined

afterEach(async () => {
  vi.useRealTimers()
  await receiver?.close()
  receiver = undefined
})

function setup(options: Parameters<typeof createNotifier>[0]['delivery'] = {}) {
  const errors: NotifyError[] = []
  const notifier = createNotifier({
    channels: [slack(receiver!.url(SECRET_PATH))],
    dedupe: false,
    rate: false,
    delivery: options,
    random: () => 0,
  }).on('error', (e) => errors.push(e))
  return { notifier, errors }
}

type SlackBody = ReturnType<typeof toSlackMessage>

describe('slack channel', () => {
  test('posts a text fallback plus Block Kit blocks to the webhook URL', async () => {
    receiver = await startReceiver()
    const { notifier } = setup()
    notifier.notify(banEvent())
    await until(() => receiver!.requests.length === 1)
    const req = receiver.requests[0]!
    expect(req.method).toBe('POST')
    expect(req.path).toBe(SECRET_PATH)
    expect(req.headers['content-type']).toBe('application/json')
    const body = JSON.parse(req.body) as SlackBody
    expect(body.text).toBe(
      'Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
    )
    expect(body.unfurl_links).toBe(false)
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context'])
    expect(body.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '🚫 Security block activated', emoji: true },
    })
    const section = body.blocks[1] as { text: { text: string }; fields: { type: string; text: string }[] }
    expect(section.text.text).toBe('*Reason:* Burst: 51 req/s (limit 50)')
    expect(section.fields.map((f) => f.text)).toEqual([
      '*IP*\n203.0.113.7',
      '*Rule*\nburst',
      '*Duration*\n3600s (until 2026-11-22T13:00:00.000Z)',
      '*Offense*\n#1',
      '*Mode*\nenforced',
      '*Request*\nGET `/api/items`',
    ])
    expect(section.fields.every((f) => f.type === 'mrkdwn')).toBe(true)
    await until(() => notifier.stats().channels.slack!.sent === 1)
    await notifier.close()
  })

  test('escapes &, < and > in attacker-controlled text: no @channel, no injected links', () => {
    const event = banEvent({
      userAgent: 'x <!channel> <https://evil.example|Reset your password> & @here `code`',
      path: '/login?<@U024BE7LH>&next=<!here>',
      reason: 'manual: <!everyone> <https://evil.example|click>',
    })
    const body = toSlackMessage({ kind: 'ban', id: 'msg_1', event })
    const json = JSON.stringify(body)
    expect(json).not.toContain('<')
    expect(json).not.toContain('>')
    expect(json).not.toMatch(/&(?!amp;|lt;|gt;)/)
    const context = (body.blocks[2] as { elements: { text: string }[] }).elements[0]!.text
    expect(context).toBe(
      'User agent: `x &lt;!channel&gt; &lt;https://evil.example|Reset your password&gt; &amp; @\u200bhere ˋcodeˋ`',
    )
    expect(body.text).toContain('&lt;!everyone&gt; &lt;https://evil.example|click&gt;')
  })

  test('escapeSlack breaks bare @channel/@here/@everyone and escapes only &, <, >', () => {
    expect(escapeSlack(`a & b <c> 'd' "e" @channel @Here`)).toBe(
      `a &amp; b &lt;c&gt; 'd' "e" @\u200bchannel @\u200bHere`,
    )
  })

  test('labels a monitor-mode ban clearly', () => {
    const body = toSlackMessage({ kind: 'ban', id: 'm', event: banEvent({ enforced: false }) })
    expect(JSON.stringify(body.blocks[0])).toContain('MONITOR only, not enforced')
    expect(body.text).toMatch(/^Security Block observed \(monitor mode\) \|/)
    expect(JSON.stringify(body.blocks[1])).toContain('*Mode*\\nmonitor (not enforced)')
  })

  test('stays within Block Kit limits for huge attacker input, without cutting an entity in half', () => {
    const event = banEvent({
      userAgent: '<'.repeat(5000),
      path: `/${'&'.repeat(5000)}`,
      reason: '>'.repeat(5000),
    })
    const body = toSlackMessage({ kind: 'ban', id: 'm', event })
    const section = body.blocks[1] as { text: { text: string }; fields: { text: string }[] }
    expect(section.text.text.length).toBeLessThanOrEqual(3000)
    for (const f of section.fields) expect(f.text.length).toBeLessThanOrEqual(2000)
    const context = (body.blocks[2] as { elements: { text: string }[] }).elements[0]!.text
    expect(context.length).toBeLessThanOrEqual(3000)
    for (const text of [section.text.text, context, ...section.fields.map((f) => f.text)]) {
      expect(text).not.toMatch(/&[a-z]{0,3}(?![a-z;])/)
    }
  })

  test('a digest is one message listing the first targets', () => {
    const digest = {
      at: 0,
      since: 0,
      intervalMs: 60_000,
      banned: 37,
      monitor: 0,
      unbanned: 0,
      targets: distinctBans(2).map((e) => e.target),
      allIps: true,
      rules: { burst: 37 },
    }
    const body = toSlackMessage({ kind: 'digest', id: 'm', digest })
    expect(body.text).toBe(
      'Security Block digest | 37 more IPs banned in the last minute: 198.51.100.1, 198.51.100.2 and 35 more | Rules: burst 37',
    )
    expect(body.blocks[0]).toMatchObject({ type: 'header', text: { text: '📈 Security block digest' } })
  })

  test('429 waits exactly the Retry-After seconds before retrying', async () => {
    useFakeTime()
    receiver = await startReceiver((_, i) =>
      i === 0
        ? { status: 429, headers: { 'retry-after': '3' }, body: 'rate_limited' }
        : { status: 200, body: 'ok' },
    )
    const { notifier, errors } = setup()
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.slack!.retried === 1, 'a retry')
    await vi.advanceTimersByTimeAsync(2999)
    await settle()
    expect(receiver.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await until(() => notifier.stats().channels.slack!.sent === 1, 'the retry')
    expect(receiver.requests).toHaveLength(2)
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBe(3000)
    expect(errors).toEqual([])
    await notifier.close()
  })

  test('410 disables the channel with one error event; later notifications are dropped', async () => {
    receiver = await startReceiver(() => ({ status: 410, body: 'channel_is_archived' }))
    const { notifier, errors } = setup()
    // one in flight, two queued behind it
    for (const e of distinctBans(3)) notifier.notify(e)
    await until(() => notifier.stats().channels.slack!.disabled, 'disabled')
    for (const e of distinctBans(3, { rule: 'probe' })) notifier.notify(e)
    await settle()
    expect(receiver.requests).toHaveLength(1)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      code: 'ERR_BULWARK_NOTIFY_GONE',
      status: 410,
      attempts: 1,
      channel: 'slack',
    })
    expect(errors[0]!.message).toContain('channel_is_archived')
    expect(notifier.stats().channels.slack).toMatchObject({
      sent: 0,
      failed: 1,
      dropped: 5,
      retried: 0,
      queued: 0,
      disabled: true,
    })
    await notifier.close()
  })

  test('another 4xx is not retried; the error names the status but never the URL path', async () => {
    receiver = await startReceiver(() => ({ status: 400, body: 'invalid_payload' }))
    const { notifier, errors } = setup()
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    await settle()
    expect(receiver.requests).toHaveLength(1)
    const error = errors[0]!
    expect(error).toMatchObject({
      code: 'ERR_BULWARK_NOTIFY_HTTP',
      status: 400,
      channel: 'slack',
      attempts: 1,
    })
    expect(error.message).toContain(`slack: POST ${receiver.url('')}/*** answered 400: invalid_payload`)
    expect(inspect(error)).not.toContain('SECRETTOKEN')
    expect(notifier.stats().channels.slack).toMatchObject({ failed: 1, retried: 0 })
    await notifier.close()
  })

  test('a receiver echoing the URL in its error body is redacted too', async () => {
    receiver = await startReceiver((req) => ({ status: 404, body: `no_service for ${req.path}` }))
    const { notifier, errors } = setup()
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    expect(errors[0]!.message).not.toContain('SECRETTOKEN')
    expect(errors[0]!.message).toContain('no_service for ***')
    await notifier.close()
  })

  test('a network error never prints the webhook token', async () => {
    receiver = await startReceiver()
    const url = receiver.url(SECRET_PATH)
    await receiver.close()
    receiver = undefined
    const errors: NotifyError[] = []
    const notifier = createNotifier({ channels: [slack(url)], delivery: { maxAttempts: 1 } }).on(
      'error',
      (e) => errors.push(e),
    )
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    expect(errors[0]!.code).toBe('ERR_BULWARK_NOTIFY_NETWORK')
    expect(errors[0]!.message).toContain('ECONNREFUSED')
    expect(inspect(errors[0], { depth: 10 })).not.toContain('SECRETTOKEN')
    expect(JSON.stringify(errors[0])).not.toContain('SECRETTOKEN')
    await notifier.close()
  })

  test('slack() refuses a missing or non-http URL without printing it', () => {
    expect(() => slack(undefined)).toThrow(/slack\(url\): the webhook URL is missing/)
    expect(() => slack('ftp://hooks.slack.com/services/T/B/SECRETTOKEN')).toThrow(
      /ftp:\/\/hooks\.slack\.com\/\*\*\*/,
    )
    expect(() => slack('not a url SECRETTOKEN')).toThrow(/not a valid URL \(ERR_BULWARK_NOTIFY_OPTIONS/)
    expect(() => slack('https://hooks.slack.com/x', { delivery: { timeoutMs: -1 } })).toThrow(
      /slack\(options\)\.delivery\.timeoutMs/,
    )
  })
})
