import { expect, test } from 'vitest'
import { CROWDSEC_ENV_VARS, crowdsecFromEnv } from '../src/index.js'

test('nothing configured: neither a bouncer nor a source', () => {
  expect(crowdsecFromEnv({})).toEqual({ bouncer: undefined, source: undefined })
})

test('a bouncer from the URL and key, a source from the URL and machine', async () => {
  const both = crowdsecFromEnv({
    CROWDSEC_LAPI_URL: 'http://127.0.0.1:8080',
    CROWDSEC_BOUNCER_KEY: 'k',
    CROWDSEC_MACHINE_ID: 'm',
    CROWDSEC_MACHINE_PASSWORD: 'p',
    CROWDSEC_INTERVAL_MS: '5000',
  })
  expect(both.bouncer?.name).toBe('crowdsec')
  expect(both.source?.stats()).toMatchObject({ queued: 0, state: 'idle' })
  await both.source?.close()
  const onlyBouncer = crowdsecFromEnv({
    CROWDSEC_LAPI_URL: 'http://127.0.0.1:8080',
    CROWDSEC_BOUNCER_KEY: 'k',
  })
  expect(onlyBouncer.source).toBeUndefined()
  expect(onlyBouncer.bouncer).toBeDefined()
})

test('a bad value is an error that names the variable, never the secret', () => {
  const cases: [Record<string, string>, string][] = [
    [{ CROWDSEC_BOUNCER_KEY: 'secret-key' }, 'CROWDSEC_LAPI_URL is required'],
    [{ CROWDSEC_LAPI_URL: 'http://x', CROWDSEC_MACHINE_ID: 'm' }, 'CROWDSEC_MACHINE_PASSWORD is required'],
    [
      { CROWDSEC_LAPI_URL: 'http://x', CROWDSEC_MACHINE_PASSWORD: 'secret-pw' },
      'CROWDSEC_MACHINE_ID is required',
    ],
    [{ CROWDSEC_LAPI_URL: 'ftp://x', CROWDSEC_BOUNCER_KEY: 'secret-key' }, 'CROWDSEC_LAPI_URL: '],
    [
      { CROWDSEC_LAPI_URL: 'http://x', CROWDSEC_BOUNCER_KEY: 'k', CROWDSEC_INTERVAL_MS: '10s' },
      'CROWDSEC_INTERVAL_MS',
    ],
  ]
  for (const [env, message] of cases) {
    let error: (Error & { code?: string }) | undefined
    try {
      crowdsecFromEnv(env)
    } catch (e) {
      error = e as Error
    }
    expect(error?.code).toBe('ERR_BULWARK_CROWDSEC_ENV')
    expect(error?.message).toContain(message)
    expect(error?.message).not.toMatch(/secret/)
  }
})

test('the list of variables is frozen and complete', () => {
  expect(Object.isFrozen(CROWDSEC_ENV_VARS)).toBe(true)
  expect(CROWDSEC_ENV_VARS).toEqual([
    'CROWDSEC_LAPI_URL',
    'CROWDSEC_BOUNCER_KEY',
    'CROWDSEC_MACHINE_ID',
    'CROWDSEC_MACHINE_PASSWORD',
    'CROWDSEC_INTERVAL_MS',
  ])
})
