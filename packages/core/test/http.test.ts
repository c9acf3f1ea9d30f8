import { describe, expect, it } from 'vitest'
import { type Decision, passHeaders, rateLimitHeaders, responseFor } from '../src/index.js'

const base: Decision = {
  conclusion: 'allow',
  rule: null,
  reason: '',
  evidence: {},
  status: 200,
  enforced: true,
  newBan: false,
  subject: { ip: '192.0.2.1', ipKey: 'ip:192.0.2.1' },
  store: 'primary',
}

describe('HTTP mapping shared by the adapters', () => {
  it('an allow goes on, with RateLimit headers when an endpoint limit applies', () => {
    expect(responseFor(base)).toBeNull()
    const d = { ...base, rateLimit: { limit: 5, remaining: 3, resetS: 40, windowS: 60, policy: '/auth/' } }
    expect(passHeaders(d)).toEqual({
      'RateLimit-Policy': '"/auth/";q=5;w=60',
      RateLimit: '"/auth/";r=3;t=40',
    })
  })

  it('a ban is 403 with the seed body, Retry-After, and headers that keep it out of caches and sniffers', () => {
    const d: Decision = {
      ...base,
      conclusion: 'block',
      rule: 'burst',
      reason: 'Burst: 51 req/s (limit 50)',
      status: 403,
      retryAfterS: 3600,
    }
    expect(responseFor(d)).toEqual({
      status: 403,
      headers: {
        'Retry-After': '3600',
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
        'Content-Type': 'application/json; charset=utf-8',
      },
      body: {
        error: 'Rate Limit Exceeded - Security Block',
        status: 403,
        detail: 'Burst: 51 req/s (limit 50)',
      },
    })
    expect(responseFor(d, { exposeReason: false })?.body).toEqual({
      error: 'Rate Limit Exceeded - Security Block',
      status: 403,
    })
  })

  it('a limit is 429 with RateLimit, RateLimit-Policy, Retry-After and optional legacy headers', () => {
    const d: Decision = {
      ...base,
      conclusion: 'limit',
      rule: 'endpoint',
      reason: 'Rate limit',
      status: 429,
      retryAfterS: 12,
      rateLimit: { limit: 5, remaining: 0, resetS: 12, windowS: 60, policy: 'a"b\\c' },
    }
    expect(responseFor(d, { legacyHeaders: true })?.headers).toEqual({
      'RateLimit-Policy': '"a\\"b\\\\c";q=5;w=60',
      RateLimit: '"a\\"b\\\\c";r=0;t=12',
      'Retry-After': '12',
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Type': 'application/json; charset=utf-8',
      'X-RateLimit-Limit': '5',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': '12',
    })
  })

  it('monitor mode never changes a response', () => {
    expect(responseFor({ ...base, conclusion: 'block', status: 403, enforced: false })).toBeNull()
  })

  it('policy names are made printable ASCII', () => {
    expect(rateLimitHeaders({ limit: 1, remaining: 0, resetS: 1, windowS: 1, policy: 'ü\n' }).RateLimit).toBe(
      '"??";r=0;t=1',
    )
  })
})
