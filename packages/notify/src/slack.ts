import { parseChannelUrl, postJson } from './http.js'
import { checkDeliveryOverrides } from './options.js'
import {
  clamp,
  digestRules,
  digestSummary,
  digestTargets,
  formatText,
  isMonitor,
  oneLine,
  subjectLabel,
} from './text.js'
import type { Channel, DeliveryOverrides, Notification } from './types.js'

export interface SlackOptions {
  /** Name in `stats()` and errors. Default `slack`. */
  name?: string
  /** Overrides the webhook's configured bot name (only for legacy webhooks that allow it). */
  username?: string
  /** Overrides the webhook's icon, e.g. `:shield:` (legacy webhooks only). */
  iconEmoji?: string
  delivery?: DeliveryOverrides
}

/**
 * Escapes Slack's control characters (`&`, `<`, `>`) so text cannot form links or mentions
 * (`<!channel>`, `<https://evil|click>`), and breaks bare `@channel`/`@here`/`@everyone`.
 */
export function escapeSlack(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(channel|here|everyone)\b/gi, '@\u200b$1')
}

/** Escapes, then cuts to `max` characters without splitting an entity. */
function esc(text: string, max = 2000): string {
  const escaped = escapeSlack(oneLine(text))
  if (escaped.length <= max) return escaped
  return clamp(escaped, max).replace(/&[a-z]*…$/, '…')
}

/** Attacker-controlled text as inline code: escaped, backticks replaced so it cannot close the span. */
function code(text: string | undefined, max = 600): string {
  if (!text || text.trim() === '') return '—'
  return `\`${esc(text.replace(/`/g, 'ˋ'), max)}\``
}

type SlackText = { type: 'mrkdwn'; text: string } | { type: 'plain_text'; text: string; emoji?: boolean }
export interface SlackMessage {
  text: string
  blocks: Array<Record<string, unknown>>
  unfurl_links: false
  unfurl_media: false
  username?: string
  icon_emoji?: string
}

function field(label: string, value: string): SlackText {
  return { type: 'mrkdwn', text: `*${label}*\n${value}` }
}

function header(text: string): Record<string, unknown> {
  return { type: 'header', text: { type: 'plain_text', text: clamp(text, 150), emoji: true } }
}

/** The Slack incoming-webhook body for a notification: a `text` fallback plus Block Kit blocks. */
export function toSlackMessage(notification: Notification): SlackMessage {
  const text = esc(formatText(notification), 3000)
  const blocks: Array<Record<string, unknown>> = []
  switch (notification.kind) {
    case 'ban': {
      const e = notification.event
      const who = subjectLabel(e)
      const monitor = isMonitor(e)
      blocks.push(
        header(monitor ? '👁️ Security block: MONITOR only, not enforced' : '🚫 Security block activated'),
      )
      const fields: SlackText[] = [
        field(who.label, esc(who.value, 200)),
        field('Rule', esc(e.rule, 100)),
        field('Duration', `${e.ttlS}s (until ${new Date(e.expiresAt).toISOString()})`),
        field('Offense', `#${e.offense}`),
        field('Mode', monitor ? 'monitor (not enforced)' : 'enforced'),
      ]
      if (who.label === 'Key' && e.ip) fields.push(field('IP', esc(e.ip, 200)))
      if (e.method || e.path)
        fields.push(field('Request', `${esc(e.method ?? '', 20)} ${code(e.path)}`.trim()))
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: `*Reason:* ${esc(e.reason, 2900)}` },
        fields,
      })
      if (e.userAgent) {
        blocks.push({
          type: 'context',
          elements: [{ type: 'mrkdwn', text: `User agent: ${code(e.userAgent, 1500)}` }],
        })
      }
      break
    }
    case 'unban': {
      const who = subjectLabel(notification.event)
      blocks.push(header('✅ Security block lifted'))
      blocks.push({ type: 'section', fields: [field(who.label, esc(who.value, 200))] })
      break
    }
    case 'digest': {
      const d = notification.digest
      blocks.push(header('📈 Security block digest'))
      const targets = digestTargets(d)
      blocks.push({
        type: 'section',
        text: { type: 'mrkdwn', text: esc(`${digestSummary(d)}${targets ? `: ${targets}` : ''}`, 3000) },
      })
      const rules = digestRules(d)
      if (rules)
        blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Rules: ${esc(rules, 1000)}` }] })
      break
    }
  }
  return { text, blocks, unfurl_links: false, unfurl_media: false }
}

/** A Slack incoming webhook (`https://hooks.slack.com/services/…`). The URL is a secret: it is never logged. */
export function slack(url: string | URL | undefined, options: SlackOptions = {}): Channel {
  const target = parseChannelUrl('slack', url)
  const name = options.name ?? 'slack'
  const delivery = checkDeliveryOverrides('slack(options).delivery', options.delivery)
  return {
    name,
    ...(delivery ? { delivery } : {}),
    send(notification, { signal }) {
      const message = toSlackMessage(notification)
      if (options.username) message.username = options.username
      if (options.iconEmoji) message.icon_emoji = options.iconEmoji
      return postJson({ channel: name, url: target, body: JSON.stringify(message), signal })
    },
  }
}
