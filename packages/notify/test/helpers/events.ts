import type { BanEvent, UnbanEvent } from '@bulwark/core'

export const T0 = Date.UTC(2026, 10, 22, 12, 0, 0)

export function banEvent(overrides: Partial<BanEvent> = {}): BanEvent {
  const target = overrides.target ?? '203.0.113.7'
  return {
    type: 'ban',
    at: T0,
    subject: `ip:${target}`,
    target,
    ip: target,
    rule: 'burst',
    reason: 'Burst: 51 req/s (limit 50)',
    ttlS: 3600,
    expiresAt: T0 + 3_600_000,
    offense: 1,
    enforced: true,
    method: 'GET',
    path: '/api/items',
    userAgent: 'curl/8.5.0',
    ...overrides,
  }
}

export function unbanEvent(overrides: Partial<UnbanEvent> = {}): UnbanEvent {
  return { type: 'unban', at: T0, subject: 'ip:203.0.113.7', target: '203.0.113.7', ...overrides }
}

/** `count` bans of distinct IPs 198.51.100.1, .2, … */
export function distinctBans(count: number, overrides: Partial<BanEvent> = {}): BanEvent[] {
  return Array.from({ length: count }, (_, i) => {
    const target = `198.51.${100 + Math.floor(i / 250)}.${(i % 250) + 1}`
    return banEvent({ target, subject: `ip:${target}`, ip: target, ...overrides })
  })
}
