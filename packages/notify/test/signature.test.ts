import { describe, expect, test } from 'vitest'
import { WebhookVerificationError } from '../src/errors.js'
import { generateWebhookSecret, signWebhook, verifyWebhook } from '../src/signature.js'

// The Standard Webhooks specification's published test vector.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const NOW = VECTOR.timestamp * 1000

function headers(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    'webhook-id': VECTOR.id,
    'webhook-timestamp': String(VECTOR.timestamp),
    'webhook-signature': VECTOR.signature,
    ...overrides,
  }
}

function reason(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(WebhookVerificationError)
    expect((error as WebhookVerificationError).code).toBe('ERR_BULWARK_NOTIFY_SIGNATURE')
    return (error as WebhookVerificationError).reason
  }
  return undefined
}

describe('signWebhook', () => {
  test('reproduces the Standard Webhooks reference signature', () => {
    expect(signWebhook(VECTOR)).toBe(VECTOR.signature)
  })

  test('signs bytes the same as the string', () => {
    expect(signWebhook({ ...VECTOR, body: Buffer.from(VECTOR.body) })).toBe(VECTOR.signature)
  })

  test('uses a secret without the whsec_ prefix as raw bytes', () => {
    const raw = 'a plain secret of enough bytes'
    expect(signWebhook({ ...VECTOR, secret: raw })).not.toBe(VECTOR.signature)
    expect(() =>
      verifyWebhook({
        secret: raw,
        headers: headers({ 'webhook-signature': signWebhook({ ...VECTOR, secret: raw }) }),
        body: VECTOR.body,
        now: NOW,
      }),
    ).not.toThrow()
  })

  test('refuses short or malformed secrets', () => {
    expect(reason(() => signWebhook({ ...VECTOR, secret: 'short' }))).toBe('invalid-secret')
    expect(reason(() => signWebhook({ ...VECTOR, secret: 'whsec_not base64!' }))).toBe('invalid-secret')
    expect(reason(() => signWebhook({ ...VECTOR, secret: 'whsec_c2hvcnQ=' }))).toBe('invalid-secret')
  })
})

describe('verifyWebhook', () => {
  test('accepts the reference vector and returns the parsed body', () => {
    expect(verifyWebhook({ secret: VECTOR.secret, headers: headers(), body: VECTOR.body, now: NOW })).toEqual(
      {
        test: 2432232314,
      },
    )
  })

  test('reads a Fetch Headers object and a Buffer body', () => {
    const h = new Headers(headers() as Record<string, string>)
    expect(
      verifyWebhook({ secret: VECTOR.secret, headers: h, body: Buffer.from(VECTOR.body), now: NOW }),
    ).toEqual({
      test: 2432232314,
    })
  })

  test('accepts when any of several signatures matches, and ignores other versions', () => {
    const sig = `v1a,bm90IGEgcmVhbCBzaWduYXR1cmU= v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= ${VECTOR.signature}`
    expect(() =>
      verifyWebhook({
        secret: VECTOR.secret,
        headers: headers({ 'webhook-signature': sig }),
        body: VECTOR.body,
        now: NOW,
      }),
    ).not.toThrow()
  })

  test('accepts any of several secrets (rotation)', () => {
    const secrets = [generateWebhookSecret(), VECTOR.secret]
    expect(() =>
      verifyWebhook({ secret: secrets, headers: headers(), body: VECTOR.body, now: NOW }),
    ).not.toThrow()
  })

  test('refuses a tampered body, a wrong secret, or a non-v1 signature', () => {
    expect(
      reason(() =>
        verifyWebhook({ secret: VECTOR.secret, headers: headers(), body: '{"test": 2432232315}', now: NOW }),
      ),
    ).toBe('no-matching-signature')
    expect(
      reason(() =>
        verifyWebhook({ secret: generateWebhookSecret(), headers: headers(), body: VECTOR.body, now: NOW }),
      ),
    ).toBe('no-matching-signature')
    const v2 = VECTOR.signature.replace('v1,', 'v2,')
    expect(
      reason(() =>
        verifyWebhook({
          secret: VECTOR.secret,
          headers: headers({ 'webhook-signature': v2 }),
          body: VECTOR.body,
          now: NOW,
        }),
      ),
    ).toBe('no-matching-signature')
  })

  test('refuses a tampered id or timestamp (both are signed)', () => {
    expect(
      reason(() =>
        verifyWebhook({
          secret: VECTOR.secret,
          headers: headers({ 'webhook-id': 'msg_other' }),
          body: VECTOR.body,
          now: NOW,
        }),
      ),
    ).toBe('no-matching-signature')
    const ts = String(VECTOR.timestamp + 1)
    expect(
      reason(() =>
        verifyWebhook({
          secret: VECTOR.secret,
          headers: headers({ 'webhook-timestamp': ts }),
          body: VECTOR.body,
          now: NOW,
        }),
      ),
    ).toBe('no-matching-signature')
  })

  test('enforces the timestamp tolerance both ways (default 5 minutes)', () => {
    const at = (offsetS: number) => () =>
      verifyWebhook({
        secret: VECTOR.secret,
        headers: headers(),
        body: VECTOR.body,
        now: NOW + offsetS * 1000,
      })
    expect(reason(at(300))).toBeUndefined()
    expect(reason(at(-300))).toBeUndefined()
    expect(reason(at(301))).toBe('timestamp-too-old')
    expect(reason(at(-301))).toBe('timestamp-too-new')
    expect(
      reason(() =>
        verifyWebhook({
          secret: VECTOR.secret,
          headers: headers(),
          body: VECTOR.body,
          now: NOW + 11_000,
          toleranceS: 10,
        }),
      ),
    ).toBe('timestamp-too-old')
  })

  test('refuses missing headers and unreadable timestamps', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      expect(
        reason(() =>
          verifyWebhook({
            secret: VECTOR.secret,
            headers: headers({ [name]: undefined }),
            body: VECTOR.body,
            now: NOW,
          }),
        ),
      ).toBe('missing-header')
    }
    expect(
      reason(() =>
        verifyWebhook({
          secret: VECTOR.secret,
          headers: headers({ 'webhook-timestamp': '1e9' }),
          body: VECTOR.body,
          now: NOW,
        }),
      ),
    ).toBe('invalid-timestamp')
  })

  test('refuses a signed body that is not JSON, and an unusable secret', () => {
    const body = 'not json'
    const sig = signWebhook({ ...VECTOR, body })
    expect(
      reason(() =>
        verifyWebhook({
          secret: VECTOR.secret,
          headers: headers({ 'webhook-signature': sig }),
          body,
          now: NOW,
        }),
      ),
    ).toBe('invalid-body')
    expect(reason(() => verifyWebhook({ secret: [], headers: headers(), body: VECTOR.body, now: NOW }))).toBe(
      'invalid-secret',
    )
    expect(
      reason(() => verifyWebhook({ secret: 'short', headers: headers(), body: VECTOR.body, now: NOW })),
    ).toBe('invalid-secret')
  })
})

describe('generateWebhookSecret', () => {
  test('makes whsec_ + 32 random bytes', () => {
    const a = generateWebhookSecret()
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32)
    expect(generateWebhookSecret()).not.toBe(a)
  })
})
