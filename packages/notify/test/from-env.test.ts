import { describe, expect, test, vi } from 'vitest'
import { type NotifyError, NotifyError as NotifyErrorClass } from '../src/errors.js'
import { detectWebhookKind, fromEnv } from '../src/from-env.js'
import { createNotifier } from '../src/notifier.js'
import { generateWebhookSecret, verifyWebhook } from '../src/signature.js'
import { banEvent } from './helpers/events.js'
import { startReceiver, until } from './helpers/receiver.js'

const SLACK = 'https://hooks.slack.com/services/T0000/B0000/SECRETTOKEN'
const DISCORD = 'https://discord.com/api/webhooks/123456789/SECRETTOKEN'
const secret = generateWebhookSecret()

function names(env: Record<string, string | undefined>): string[] {
  return fromEnv(env).channels.map((c) => (typeof c === 'function' ? c.name : c.name))
}

function envError(env: Record<string, string | undefined>): NotifyError {
  try {
    fromEnv(env)
  } catch (error) {
    expect(error).toBeInstanceOf(NotifyErrorClass)
    expect((error as NotifyError).code).toBe('ERR_BULWARK_NOTIFY_ENV')
    return error as NotifyError
  }
  throw new Error('fromEnv did not throw')
}

describe('fromEnv', () => {
  test('always includes the logger channel; no URL means only the logger', () => {
    expect(names({})).toEqual(['logger'])
    expect(names({ SECURITY_WEBHOOK_URL: '' })).toEqual(['logger'])
  })

  test('picks Slack, Discord or a signed generic webhook by the URL', () => {
    expect(names({ SECURITY_WEBHOOK_URL: SLACK })).toEqual(['logger', 'slack'])
    expect(names({ SECURITY_WEBHOOK_URL: DISCORD })).toEqual(['logger', 'discord'])
    expect(names({ SECURITY_WEBHOOK_URL: 'https://discordapp.com/api/webhooks/1/abc' })).toEqual([
      'logger',
      'discord',
    ])
    expect(names({ SECURITY_WEBHOOK_URL: 'https://discord.com/api/v10/webhooks/1/abc' })).toEqual([
      'logger',
      'discord',
    ])
    expect(
      names({ SECURITY_WEBHOOK_URL: 'https://siem.example.com/in', SECURITY_WEBHOOK_SECRET: secret }),
    ).toEqual(['logger', 'webhook'])
  })

  test('detectWebhookKind', () => {
    const kind = (u: string) => detectWebhookKind(new URL(u))
    expect(kind('https://hooks.slack.com/services/a/b/c')).toBe('slack')
    expect(kind('https://HOOKS.SLACK.COM/services/a/b/c')).toBe('slack')
    expect(kind('https://ptb.discord.com/api/webhooks/1/t')).toBe('discord')
    expect(kind('https://slack.com.evil.example/services/a')).toBe('webhook')
    expect(kind('https://evil.example/api/webhooks/1/t')).toBe('webhook')
    expect(kind('https://discord.com/channels/1/2')).toMatch(/must be a webhook URL/)
  })

  test('a generic webhook needs SECURITY_WEBHOOK_SECRET, and a usable one', () => {
    expect(envError({ SECURITY_WEBHOOK_URL: 'https://siem.example.com/in' }).message).toMatch(
      /^SECURITY_WEBHOOK_SECRET: required to sign a generic webhook/,
    )
    const short = envError({
      SECURITY_WEBHOOK_URL: 'https://siem.example.com/in',
      SECURITY_WEBHOOK_SECRET: 'hunter2',
    })
    expect(short.message).toMatch(
      /^SECURITY_WEBHOOK_SECRET: must be whsec_<base64> or a string of at least 16 bytes/,
    )
    expect(short.message).not.toContain('hunter2')
  })

  test('SECURITY_WEBHOOK_UNSIGNED=1 sends a generic webhook unsigned, with one warning through the logger', () => {
    const warn = vi.fn()
    const options = fromEnv(
      { SECURITY_WEBHOOK_URL: 'https://siem.example.com/in/URLSECRET', SECURITY_WEBHOOK_UNSIGNED: '1' },
      { logger: { warn } },
    )
    expect(options.channels.map((c) => (typeof c === 'function' ? c.name : c.name))).toEqual([
      'logger',
      'webhook',
    ])
    expect(warn).toHaveBeenCalledTimes(1)
    expect(warn.mock.calls[0]![0]).toMatch(
      /^Bulwark notify: webhook "webhook" \(https:\/\/siem\.example\.com\/\*\*\*\) sends notifications unsigned/,
    )
    expect(warn.mock.calls[0]![0]).not.toContain('URLSECRET')
    // Slack and Discord are never signed: the variable changes nothing there, and warns nothing
    expect(names({ SECURITY_WEBHOOK_URL: SLACK, SECURITY_WEBHOOK_UNSIGNED: 'true' })).toEqual([
      'logger',
      'slack',
    ])
    // off (or unset) keeps the secret required; both at once is refused, naming the variable
    expect(
      envError({ SECURITY_WEBHOOK_URL: 'https://siem.example.com/in', SECURITY_WEBHOOK_UNSIGNED: '0' })
        .message,
    ).toMatch(/^SECURITY_WEBHOOK_SECRET: required .*; set SECURITY_WEBHOOK_UNSIGNED=1 to send it unsigned /)
    const both = envError({
      SECURITY_WEBHOOK_URL: 'https://siem.example.com/in',
      SECURITY_WEBHOOK_UNSIGNED: 'yes',
      SECURITY_WEBHOOK_SECRET: secret,
    })
    expect(both.message).toMatch(/^SECURITY_WEBHOOK_UNSIGNED: set together with SECURITY_WEBHOOK_SECRET/)
    expect(both.message).not.toContain(secret)
    expect(envError({ SECURITY_WEBHOOK_UNSIGNED: 'please' }).message).toMatch(
      /^SECURITY_WEBHOOK_UNSIGNED: must be true or false/,
    )
  })

  test('names the variable at fault and never echoes its value', () => {
    const bad = envError({ SECURITY_WEBHOOK_URL: 'hooks.slack.com/services/SECRETTOKEN' })
    expect(bad.message).toMatch(/^SECURITY_WEBHOOK_URL: must be an http\(s\) URL/)
    expect(bad.message).not.toContain('SECRETTOKEN')
    expect(envError({ SECURITY_WEBHOOK_URL: 'ftp://x.example/SECRETTOKEN' }).message).toMatch(
      /^SECURITY_WEBHOOK_URL:/,
    )
    const discordPage = envError({ SECURITY_WEBHOOK_URL: 'https://discord.com/channels/1/SECRETTOKEN' })
    expect(discordPage.message).toMatch(/^SECURITY_WEBHOOK_URL: a discord\.com URL must be a webhook URL/)
    expect(discordPage.message).not.toContain('SECRETTOKEN')
    const plain = envError({ SECURITY_WEBHOOK_URL: SLACK.replace('https:', 'http:') })
    expect(plain.message).toMatch(/^SECURITY_WEBHOOK_URL: a slack webhook URL must use https/)
    expect(plain.message).not.toContain('SECRETTOKEN')
    expect(envError({ SECURITY_WEBHOOK_KIND: 'teams' }).message).toMatch(
      /^SECURITY_WEBHOOK_KIND: must be slack, discord or webhook/,
    )
    expect(envError({ SECURITY_WEBHOOK_TIMEOUT_MS: '5s' }).message).toMatch(/^SECURITY_WEBHOOK_TIMEOUT_MS:/)
    expect(envError({ SECURITY_WEBHOOK_TIMEOUT_MS: '0' }).message).toMatch(/^SECURITY_WEBHOOK_TIMEOUT_MS:/)
    expect(envError({ SECURITY_NOTIFY_EVENTS: 'ban,lift' }).message).toMatch(
      /^SECURITY_NOTIFY_EVENTS: must be a comma-separated list of ban, unban/,
    )
    expect(envError({ SECURITY_NOTIFY_EVENTS: ' , ' }).message).toMatch(/^SECURITY_NOTIFY_EVENTS:/)
    expect(envError({ SECURITY_NOTIFY_MONITOR: 'maybe' }).message).toMatch(
      /^SECURITY_NOTIFY_MONITOR: must be true or false/,
    )
    expect(envError({ SECURITY_NOTIFY_DEDUPE_S: '-1' }).message).toMatch(/^SECURITY_NOTIFY_DEDUPE_S:/)
    expect(envError({ SECURITY_NOTIFY_MAX_PER_MINUTE: 'lots' }).message).toMatch(
      /^SECURITY_NOTIFY_MAX_PER_MINUTE:/,
    )
  })

  test('reads the optional tuning variables', () => {
    const options = fromEnv({
      SECURITY_NOTIFY_EVENTS: 'Ban, unban',
      SECURITY_NOTIFY_MONITOR: 'no',
      SECURITY_NOTIFY_DEDUPE_S: '600',
      SECURITY_NOTIFY_MAX_PER_MINUTE: '5',
      SECURITY_WEBHOOK_TIMEOUT_MS: '2500',
    })
    expect(options).toMatchObject({
      events: ['ban', 'unban'],
      monitor: false,
      dedupe: { windowMs: 600_000 },
      rate: { limit: 5, intervalMs: 60_000 },
      delivery: { timeoutMs: 2500 },
    })
    expect(fromEnv({ SECURITY_NOTIFY_DEDUPE_S: '0', SECURITY_NOTIFY_MAX_PER_MINUTE: '0' })).toMatchObject({
      dedupe: false,
      rate: false,
    })
    // `block` and `unblock` are deprecated synonyms of `ban` and `unban`, still accepted
    expect(fromEnv({ SECURITY_NOTIFY_EVENTS: 'block,unblock,ban' }).events).toEqual(['ban', 'unban'])
    // unset: the notifier's defaults apply
    expect(Object.keys(fromEnv({}))).toEqual(['channels'])
  })

  test('SECURITY_WEBHOOK_KIND overrides detection (a Slack-compatible receiver on another host)', () => {
    expect(
      names({ SECURITY_WEBHOOK_URL: 'http://chat.internal/hooks/abc', SECURITY_WEBHOOK_KIND: 'slack' }),
    ).toEqual(['logger', 'slack'])
  })

  test('end to end: createNotifier(fromEnv(env)) logs the line and delivers a signed webhook', async () => {
    const receiver = await startReceiver()
    const warn = vi.fn()
    const notifier = createNotifier(
      fromEnv(
        { SECURITY_WEBHOOK_URL: receiver.url('/in'), SECURITY_WEBHOOK_SECRET: secret },
        { logger: { warn } },
      ),
    )
    notifier.notify(banEvent())
    await until(() => receiver.requests.length === 1 && warn.mock.calls.length === 1)
    const req = receiver.requests[0]!
    expect(verifyWebhook({ secret, headers: req.headers, body: req.body })).toMatchObject({
      type: 'bulwark.ban',
    })
    expect(warn.mock.calls[0]![0]).toMatch(/^Security Block activated \| IP: 203\.0\.113\.7/)
    await notifier.close()
    await receiver.close()
  })

  test('end to end: SECURITY_WEBHOOK_UNSIGNED=1 delivers the same JSON without signature headers', async () => {
    const receiver = await startReceiver()
    const warn = vi.fn()
    const notifier = createNotifier(
      fromEnv(
        { SECURITY_WEBHOOK_URL: receiver.url('/in'), SECURITY_WEBHOOK_UNSIGNED: '1' },
        { logger: { warn } },
      ),
    )
    notifier.notify(banEvent())
    notifier.notify(banEvent({ target: '198.51.100.1', subject: 'ip:198.51.100.1', ip: '198.51.100.1' }))
    await until(() => receiver.requests.length === 2 && warn.mock.calls.length === 3)
    await notifier.close()
    await receiver.close()
    const line =
      'Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s'
    // one warning about signing (when fromEnv made the channel), then one line per ban
    expect(warn.mock.calls.map((call) => call[0])).toEqual([
      expect.stringMatching(
        /^Bulwark notify: webhook "webhook" \(http:\/\/127\.0\.0\.1:\d+\/\*\*\*\) sends notifications unsigned/,
      ),
      line,
      line.replace('203.0.113.7', '198.51.100.1'),
    ])
    const req = receiver.requests[0]!
    expect(req.path).toBe('/in')
    expect(req.headers['content-type']).toBe('application/json')
    expect(req.headers['webhook-id']).toMatch(/^msg_/)
    expect(req.headers['webhook-signature']).toBeUndefined()
    expect(req.headers['webhook-timestamp']).toBeUndefined()
    expect(JSON.parse(req.body)).toEqual({
      type: 'bulwark.ban',
      timestamp: '2026-11-22T12:00:00.000Z',
      text: line,
      data: banEvent(),
    })
  })
})
