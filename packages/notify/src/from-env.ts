import { z } from 'zod'
import { discord } from './discord.js'
import { NotifyError } from './errors.js'
import { logger } from './logger-channel.js'
import { canonicalEvent, type NotifierOptions, type NotifyEventName } from './options.js'
import { secretKey } from './signature.js'
import { slack } from './slack.js'
import type { Channel, WarnLogger } from './types.js'
import { webhook } from './webhook.js'

/** Which channel a webhook URL is sent to. */
export type WebhookKind = 'slack' | 'discord' | 'webhook'

const SLACK_HOSTS = new Set(['hooks.slack.com', 'hooks.slack-gov.com'])
const DISCORD_HOSTS = new Set(['discord.com', 'discordapp.com', 'ptb.discord.com', 'canary.discord.com'])
const DISCORD_PATH = /^\/api\/(v\d+\/)?webhooks\/[^/]+\/[^/]+\/?$/

/** `SECURITY_NOTIFY_EVENTS` values: `ban`, `unban`, and their deprecated synonyms `block`, `unblock`. */
const EVENT_NAMES: ReadonlySet<string> = new Set<NotifyEventName>(['ban', 'unban', 'block', 'unblock'])

/**
 * Picks the channel for a URL: `hooks.slack.com` → slack; `discord.com` / `discordapp.com` with
 * `/api/webhooks/<id>/<token>` → discord; anything else → a signed generic webhook.
 * Returns an explanation for a Discord host whose path is not a webhook.
 */
export function detectWebhookKind(url: URL): WebhookKind | string {
  const host = url.hostname.toLowerCase()
  if (SLACK_HOSTS.has(host)) return 'slack'
  if (DISCORD_HOSTS.has(host)) {
    return DISCORD_PATH.test(url.pathname)
      ? 'discord'
      : 'a discord.com URL must be a webhook URL (/api/webhooks/<id>/<token>)'
  }
  return 'webhook'
}

// Empty strings count as unset, so `FOO=` in a .env file keeps the default.
const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value
const opt = <T extends z.ZodType>(schema: T) => z.preprocess(unsetIfEmpty, schema.optional())

const bool = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), {
    message: 'must be true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v))

const int = (min: number, max: number, what: string) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, { message: `must be ${what}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { message: `must be ${what}` })

const envSchema = z.object({
  SECURITY_WEBHOOK_URL: opt(
    z
      .string()
      .trim()
      .refine(
        (v) => {
          try {
            const u = new URL(v)
            return u.protocol === 'https:' || u.protocol === 'http:'
          } catch {
            return false
          }
        },
        { message: 'must be an http(s) URL' },
      ),
  ),
  SECURITY_WEBHOOK_SECRET: opt(
    z.string().refine((v) => typeof secretKey(v) !== 'string', {
      message: 'must be whsec_<base64> or a string of at least 16 bytes',
    }),
  ),
  SECURITY_WEBHOOK_UNSIGNED: opt(bool),
  SECURITY_WEBHOOK_KIND: opt(
    z
      .string()
      .trim()
      .toLowerCase()
      .pipe(z.enum(['slack', 'discord', 'webhook'], { message: 'must be slack, discord or webhook' })),
  ),
  SECURITY_WEBHOOK_TIMEOUT_MS: opt(int(1, 120_000, 'a whole number of milliseconds from 1 to 120000')),
  SECURITY_NOTIFY_EVENTS: opt(
    z
      .string()
      .transform((v) => [
        ...new Set(
          v
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean),
        ),
      ])
      // `block` and `unblock` are deprecated synonyms of `ban` and `unban`
      .refine((list) => list.length > 0 && list.every((e) => EVENT_NAMES.has(e)), {
        message: 'must be a comma-separated list of ban, unban',
      }),
  ),
  SECURITY_NOTIFY_MONITOR: opt(bool),
  SECURITY_NOTIFY_DEDUPE_S: opt(int(0, 86_400, 'a whole number of seconds from 0 (off) to 86400')),
  SECURITY_NOTIFY_MAX_PER_MINUTE: opt(int(0, 10_000, 'a whole number from 0 (no digest) to 10000')),
})

export interface FromEnvOptions {
  /** Where the logger channel writes, and the warning about an unsigned webhook. Default `console`. */
  logger?: WarnLogger
}

/**
 * Notifier options from environment variables (see the README for the list). Always includes the logger
 * channel; adds Slack, Discord or a signed generic webhook when `SECURITY_WEBHOOK_URL` is set (unsigned, with
 * one warning through `logger`, when `SECURITY_WEBHOOK_UNSIGNED` is true and no secret is set).
 * Throws `NotifyError` (`ERR_BULWARK_NOTIFY_ENV`) naming the variable at fault; values are never echoed.
 */
export function fromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  options: FromEnvOptions = {},
): NotifierOptions {
  const parsed = envSchema.safeParse({ ...env })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const variable = String(issue.path[0] ?? 'environment')
    throw new NotifyError('ERR_BULWARK_NOTIFY_ENV', `${variable}: ${issue.message}`)
  }
  const e = parsed.data
  const log = options.logger ?? console
  const channels: Channel[] = [logger(log)]
  const delivery =
    e.SECURITY_WEBHOOK_TIMEOUT_MS === undefined ? undefined : { timeoutMs: e.SECURITY_WEBHOOK_TIMEOUT_MS }
  if (e.SECURITY_WEBHOOK_URL !== undefined) {
    const url = new URL(e.SECURITY_WEBHOOK_URL)
    const detected = detectWebhookKind(url)
    const kind = e.SECURITY_WEBHOOK_KIND ?? detected
    if (kind !== 'slack' && kind !== 'discord' && kind !== 'webhook') {
      throw new NotifyError('ERR_BULWARK_NOTIFY_ENV', `SECURITY_WEBHOOK_URL: ${kind}`)
    }
    if (
      (kind === 'slack' || kind === 'discord') &&
      url.protocol !== 'https:' &&
      e.SECURITY_WEBHOOK_KIND === undefined
    ) {
      throw new NotifyError(
        'ERR_BULWARK_NOTIFY_ENV',
        `SECURITY_WEBHOOK_URL: a ${kind} webhook URL must use https`,
      )
    }
    if (kind === 'slack') channels.push(slack(url))
    else if (kind === 'discord') channels.push(discord(url))
    else if (e.SECURITY_WEBHOOK_UNSIGNED) {
      if (e.SECURITY_WEBHOOK_SECRET !== undefined) {
        throw new NotifyError(
          'ERR_BULWARK_NOTIFY_ENV',
          'SECURITY_WEBHOOK_UNSIGNED: set together with SECURITY_WEBHOOK_SECRET; keep the secret to sign, or unset it to send unsigned',
        )
      }
      channels.push(webhook(url, { unsigned: true, logger: log }))
    } else {
      if (e.SECURITY_WEBHOOK_SECRET === undefined) {
        throw new NotifyError(
          'ERR_BULWARK_NOTIFY_ENV',
          'SECURITY_WEBHOOK_SECRET: required to sign a generic webhook (SECURITY_WEBHOOK_URL is not Slack or Discord); set SECURITY_WEBHOOK_UNSIGNED=1 to send it unsigned',
        )
      }
      channels.push(webhook(url, { secret: e.SECURITY_WEBHOOK_SECRET }))
    }
  }
  const result: NotifierOptions = { channels }
  if (e.SECURITY_NOTIFY_EVENTS) {
    result.events = [...new Set((e.SECURITY_NOTIFY_EVENTS as NotifyEventName[]).map(canonicalEvent))]
  }
  if (e.SECURITY_NOTIFY_MONITOR !== undefined) result.monitor = e.SECURITY_NOTIFY_MONITOR
  if (e.SECURITY_NOTIFY_DEDUPE_S !== undefined) {
    result.dedupe = e.SECURITY_NOTIFY_DEDUPE_S === 0 ? false : { windowMs: e.SECURITY_NOTIFY_DEDUPE_S * 1000 }
  }
  if (e.SECURITY_NOTIFY_MAX_PER_MINUTE !== undefined) {
    result.rate =
      e.SECURITY_NOTIFY_MAX_PER_MINUTE === 0
        ? false
        : { limit: e.SECURITY_NOTIFY_MAX_PER_MINUTE, intervalMs: 60_000 }
  }
  if (delivery) result.delivery = delivery
  return result
}
