import { afterEach, describe, expect, test, vi } from 'vitest'
import { DISCORD_LIMITS, discord, escapeDiscord, fitEmbed, toDiscordMessage } from '../src/discord.js'
import type { NotifyError } from '../src/errors.js'
import { createNotifier } from '../src/notifier.js'
import { banEvent } from './helpers/events.js'
import { useFakeTime } from './helpers/fake-time.js'
import { settle, startReceiver, type TestReceiver, until } from './helpers/receiver.js'

const SECRET_PATH = '/api/webhooks/123456789/SECRETTOKEN-abc'
let receiver: TestReceiver | undefined

afterEach(async () => {
  vi.useRealTimers()
  await receiver?.close()
  receiver = undefined
})

type Body = ReturnType<typeof toDiscordMessage>

function size(body: Body): number {
  const e = body.embeds[0]!
  return (
    e.title.length +
    (e.description?.length ?? 0) +
    e.footer.text.length +
    e.fields.reduce((n, f) => n + f.name.length + f.value.length, 0)
  )
}

describe('discord channel', () => {
  test('posts one embed with mentions disabled', async () => {
    receiver = await startReceiver(() => ({ status: 204 }))
    const notifier = createNotifier({
      channels: [discord(receiver.url(SECRET_PATH), { username: 'Bulwark' })],
    })
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.discord!.sent === 1)
    const req = receiver.requests[0]!
    expect(req.path).toBe(SECRET_PATH)
    expect(req.method).toBe('POST')
    expect(req.headers['content-type']).toBe('application/json')
    const body = JSON.parse(req.body) as Body
    // the same line as every other channel, as the message text beside the embed (markdown escaped)
    expect(body.content).toBe(
      'Security Block activated \\| IP\\: 203.0.113.7 \\| Reason\\: Burst\\: 51 req/s \\(limit 50\\) \\| Duration\\: 3600s',
    )
    expect(Object.keys(body)).toEqual(['content', 'embeds', 'allowed_mentions', 'username'])
    expect(body.allowed_mentions).toEqual({ parse: [] })
    expect(body.username).toBe('Bulwark')
    expect(body.embeds).toHaveLength(1)
    const embed = body.embeds[0]!
    expect(embed).toMatchObject({
      title: '🚫 Security block activated',
      description: '**Reason:** Burst\\: 51 req/s \\(limit 50\\)',
      color: 0xd93f0b,
      timestamp: '2026-11-22T12:00:00.000Z',
      footer: { text: 'Bulwark' },
    })
    expect(embed.fields).toEqual([
      { name: 'IP', value: '`203.0.113.7`', inline: true },
      { name: 'Rule', value: 'burst', inline: true },
      { name: 'Duration', value: '3600s (until <t:1795352400:f>)', inline: true },
      { name: 'Offense', value: '#1', inline: true },
      { name: 'Mode', value: 'enforced', inline: true },
      { name: 'Request', value: 'GET `/api/items`' },
      { name: 'User agent', value: '`curl/8.5.0`' },
    ])
    await notifier.close()
  })

  test('attacker text cannot form masked links, mentions or formatting', () => {
    const event = banEvent({
      userAgent: '[Reset password](https://evil.example) @everyone <@&123> `x`',
      reason: 'manual: **[click](https://evil.example)** @here',
    })
    const body = toDiscordMessage({ kind: 'ban', id: 'm', event })
    const embed = body.embeds[0]!
    const ua = embed.fields.find((f) => f.name === 'User agent')!.value
    // inline code renders nothing inside it, and a backtick cannot close it early
    expect(ua).toBe('`[Reset password](https://evil.example) @everyone <@&123> ˋxˋ`')
    expect(ua.slice(1, -1)).not.toContain('`')
    expect(embed.description).toBe(
      '**Reason:** manual\\: \\*\\*\\[click\\]\\(https\\://evil.example\\)\\*\\* \\@here',
    )
    // the content line carries the reason too, escaped the same way
    expect(body.content).toContain(
      'Reason\\: manual\\: \\*\\*\\[click\\]\\(https\\://evil.example\\)\\*\\* \\@here',
    )
    expect(body.content).not.toMatch(/(?<!\\)[[*@]/)
  })

  test('escapeDiscord backslash-escapes markdown', () => {
    expect(escapeDiscord('a_b*c~d|e>f#g-h[i](j)<k:l@m`n\\')).toBe(
      'a\\_b\\*c\\~d\\|e\\>f\\#g\\-h\\[i\\]\\(j\\)\\<k\\:l\\@m\\`n\\\\',
    )
  })

  test('labels a monitor-mode ban', () => {
    const embed = toDiscordMessage({ kind: 'ban', id: 'm', event: banEvent({ enforced: false }) }).embeds[0]!
    expect(embed.title).toContain('MONITOR only, not enforced')
    expect(embed.color).toBe(0xf2c744)
    expect(embed.fields.find((f) => f.name === 'Mode')!.value).toBe('monitor (not enforced)')
  })

  test("stays within Discord's embed limits for huge input", () => {
    const event = banEvent({
      userAgent: 'u'.repeat(10_000),
      path: `/${'p'.repeat(10_000)}`,
      reason: 'r'.repeat(10_000),
    })
    const body = toDiscordMessage({ kind: 'ban', id: 'm', event })
    const embed = body.embeds[0]!
    expect(embed.title.length).toBeLessThanOrEqual(DISCORD_LIMITS.title)
    expect(embed.description!.length).toBeLessThanOrEqual(DISCORD_LIMITS.description)
    for (const f of embed.fields) {
      expect(f.name.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldName)
      expect(f.value.length).toBeLessThanOrEqual(DISCORD_LIMITS.fieldValue)
      expect(f.value.length).toBeGreaterThan(0)
    }
    expect(size(body)).toBeLessThanOrEqual(DISCORD_LIMITS.total)
    expect(body.content.length).toBeLessThanOrEqual(DISCORD_LIMITS.content)
    expect(body.content).toMatch(/^Security Block activated \\\| IP\\: 203\.0\.113\.7 \\\| Reason\\: r+…$/)
  })

  test('fitEmbed caps fields at 25 and the total at 6000 characters', () => {
    const embed = fitEmbed({
      title: 't'.repeat(300),
      description: 'd'.repeat(5000),
      color: 0,
      fields: Array.from({ length: 40 }, (_, i) => ({ name: `n${i}`.repeat(200), value: 'v'.repeat(2000) })),
      timestamp: '',
      footer: { text: 'f'.repeat(3000) },
    })
    expect(embed.fields.length).toBeLessThanOrEqual(25)
    expect(embed.title).toHaveLength(256)
    expect(embed.footer.text).toHaveLength(2048)
    expect(
      embed.title.length +
        (embed.description?.length ?? 0) +
        embed.footer.text.length +
        embed.fields.reduce((n, f) => n + f.name.length + f.value.length, 0),
    ).toBeLessThanOrEqual(6000)
  })

  test('429 waits for retry_after from the JSON body (seconds), preferred over the header', async () => {
    useFakeTime()
    receiver = await startReceiver((_, i) =>
      i === 0
        ? {
            status: 429,
            headers: { 'content-type': 'application/json', 'retry-after': '60' },
            body: JSON.stringify({ message: 'You are being rate limited.', retry_after: 1.5, global: false }),
          }
        : { status: 204 },
    )
    const errors: NotifyError[] = []
    const notifier = createNotifier({ channels: [discord(receiver.url(SECRET_PATH))], random: () => 0 }).on(
      'error',
      (e) => errors.push(e),
    )
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.discord!.retried === 1)
    await vi.advanceTimersByTimeAsync(1499)
    await settle()
    expect(receiver.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    await until(() => notifier.stats().channels.discord!.sent === 1)
    expect(receiver.requests[1]!.at - receiver.requests[0]!.at).toBe(1500)
    expect(errors).toEqual([])
    await notifier.close()
  })

  test('errors never contain the webhook token', async () => {
    receiver = await startReceiver(() => ({
      status: 404,
      body: '{"message": "Unknown Webhook", "code": 10015}',
    }))
    const errors: NotifyError[] = []
    const notifier = createNotifier({ channels: [discord(receiver.url(SECRET_PATH))] }).on('error', (e) =>
      errors.push(e),
    )
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    expect(errors[0]!.message).toContain('discord: POST')
    expect(errors[0]!.message).toContain('Unknown Webhook')
    expect(errors[0]!.message).not.toContain('SECRETTOKEN')
    expect(errors[0]!.message).not.toContain('123456789')
    await notifier.close()
  })
})
