import { parseDiscordRetryAfter } from './backoff.js'
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

export interface DiscordOptions {
  /** Name in `stats()` and errors. Default `discord`. */
  name?: string
  /** Overrides the webhook's default username. */
  username?: string
  /** Overrides the webhook's default avatar. */
  avatarUrl?: string
  delivery?: DeliveryOverrides
}

/** Discord's embed limits (characters). */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const

const COLORS = { ban: 0xd93f0b, monitor: 0xf2c744, unban: 0x2ea043, digest: 0x5865f2 } as const

export interface DiscordEmbedField {
  name: string
  value: string
  inline?: boolean
}

export interface DiscordEmbed {
  title: string
  description?: string
  color: number
  fields: DiscordEmbedField[]
  timestamp: string
  footer: { text: string }
}

export interface DiscordMessage {
  /** The one-line text every channel shows (`formatText()`), markdown-escaped; also what notifications preview. */
  content: string
  embeds: DiscordEmbed[]
  allowed_mentions: { parse: [] }
  username?: string
  avatar_url?: string
}

/** Backslash-escapes Discord markdown (links, emphasis, headings, quotes, spoilers, mentions' `<`). */
export function escapeDiscord(text: string): string {
  return text.replace(/[\\`*_~|>#\-[\]()<:@]/g, '\\$&')
}

function md(text: string, max: number): string {
  const escaped = escapeDiscord(oneLine(text))
  if (escaped.length <= max) return escaped
  // do not end on a lone escaping backslash
  return clamp(escaped, max).replace(/(?<!\\)\\…$/, '…')
}

/** Attacker-controlled text as inline code: nothing in it is rendered, backticks cannot close the span. */
function code(text: string | undefined, max: number): string {
  if (!text || text.trim() === '') return '—'
  return `\`${clamp(oneLine(text).replace(/`/g, 'ˋ'), max - 2)}\``
}

function embedSize(embed: DiscordEmbed): number {
  let n = embed.title.length + (embed.description?.length ?? 0) + embed.footer.text.length
  for (const f of embed.fields) n += f.name.length + f.value.length
  return n
}

/** Applies every per-part limit, then drops fields from the end while the total is over 6000. */
export function fitEmbed(embed: DiscordEmbed): DiscordEmbed {
  const fitted: DiscordEmbed = {
    ...embed,
    title: clamp(embed.title, DISCORD_LIMITS.title),
    footer: { text: clamp(embed.footer.text, DISCORD_LIMITS.footer) },
    fields: embed.fields.slice(0, DISCORD_LIMITS.fields).map((f) => ({
      ...f,
      name: clamp(f.name, DISCORD_LIMITS.fieldName) || '—',
      value: clamp(f.value, DISCORD_LIMITS.fieldValue) || '—',
    })),
  }
  if (embed.description !== undefined)
    fitted.description = clamp(embed.description, DISCORD_LIMITS.description)
  while (embedSize(fitted) > DISCORD_LIMITS.total && fitted.fields.length > 0) fitted.fields.pop()
  if (embedSize(fitted) > DISCORD_LIMITS.total && fitted.description !== undefined) {
    const room = DISCORD_LIMITS.total - (embedSize(fitted) - fitted.description.length)
    fitted.description = clamp(fitted.description, Math.max(1, room))
  }
  return fitted
}

/** The Discord webhook body for a notification: the one-line text as `content`, one embed, mentions disabled. */
export function toDiscordMessage(notification: Notification): DiscordMessage {
  let embed: DiscordEmbed
  switch (notification.kind) {
    case 'ban': {
      const e = notification.event
      const who = subjectLabel(e)
      const monitor = isMonitor(e)
      const fields: DiscordEmbedField[] = [
        { name: who.label, value: code(who.value, 200), inline: true },
        { name: 'Rule', value: md(e.rule, 100), inline: true },
        {
          name: 'Duration',
          value: `${e.ttlS}s (until <t:${Math.floor(e.expiresAt / 1000)}:f>)`,
          inline: true,
        },
        { name: 'Offense', value: `#${e.offense}`, inline: true },
        { name: 'Mode', value: monitor ? 'monitor (not enforced)' : 'enforced', inline: true },
      ]
      if (who.label === 'Key' && e.ip) fields.push({ name: 'IP', value: code(e.ip, 200), inline: true })
      if (e.method || e.path) {
        fields.push({ name: 'Request', value: `${md(e.method ?? '', 20)} ${code(e.path, 600)}`.trim() })
      }
      if (e.userAgent)
        fields.push({ name: 'User agent', value: code(e.userAgent, DISCORD_LIMITS.fieldValue) })
      embed = {
        title: monitor ? '👁️ Security block: MONITOR only, not enforced' : '🚫 Security block activated',
        description: `**Reason:** ${md(e.reason, 3800)}`,
        color: monitor ? COLORS.monitor : COLORS.ban,
        fields,
        timestamp: new Date(e.at).toISOString(),
        footer: { text: 'Bulwark' },
      }
      break
    }
    case 'unban': {
      const e = notification.event
      const who = subjectLabel(e)
      embed = {
        title: '✅ Security block lifted',
        color: COLORS.unban,
        fields: [{ name: who.label, value: code(who.value, 200), inline: true }],
        timestamp: new Date(e.at).toISOString(),
        footer: { text: 'Bulwark' },
      }
      break
    }
    case 'digest': {
      const d = notification.digest
      const targets = digestTargets(d)
      const rules = digestRules(d)
      embed = {
        title: '📈 Security block digest',
        description: md(`${digestSummary(d)}${targets ? `: ${targets}` : ''}`, 4000),
        color: COLORS.digest,
        fields: rules ? [{ name: 'Rules', value: md(rules, 1000) }] : [],
        timestamp: new Date(d.at).toISOString(),
        footer: { text: 'Bulwark' },
      }
      break
    }
  }
  return {
    content: md(formatText(notification), DISCORD_LIMITS.content),
    embeds: [fitEmbed(embed)],
    allowed_mentions: { parse: [] },
  }
}

/** A Discord webhook (`https://discord.com/api/webhooks/<id>/<token>`). The URL is a secret: it is never logged. */
export function discord(url: string | URL | undefined, options: DiscordOptions = {}): Channel {
  const target = parseChannelUrl('discord', url)
  const name = options.name ?? 'discord'
  const delivery = checkDeliveryOverrides('discord(options).delivery', options.delivery)
  return {
    name,
    ...(delivery ? { delivery } : {}),
    send(notification, { signal }) {
      const message = toDiscordMessage(notification)
      if (options.username) message.username = options.username
      if (options.avatarUrl) message.avatar_url = options.avatarUrl
      return postJson({
        channel: name,
        url: target,
        body: JSON.stringify(message),
        signal,
        retryAfterFromBody: parseDiscordRetryAfter,
      })
    },
  }
}
