import { type CrowdSecBouncer, crowdsecBouncer } from './bouncer.js'
import { CrowdSecError } from './errors.js'
import { type CrowdSecSource, crowdsecSource } from './source.js'

/** The variables `crowdsecFromEnv()` reads. */
export const CROWDSEC_ENV_VARS = Object.freeze([
  'CROWDSEC_LAPI_URL',
  'CROWDSEC_BOUNCER_KEY',
  'CROWDSEC_MACHINE_ID',
  'CROWDSEC_MACHINE_PASSWORD',
  'CROWDSEC_INTERVAL_MS',
] as const)

export type CrowdSecEnvVar = (typeof CROWDSEC_ENV_VARS)[number]

/**
 * A bouncer and a source from the environment: `CROWDSEC_LAPI_URL` names the Local API; `CROWDSEC_BOUNCER_KEY` makes
 * a bouncer (and `CROWDSEC_INTERVAL_MS` its pause between pulls); `CROWDSEC_MACHINE_ID` with
 * `CROWDSEC_MACHINE_PASSWORD` makes a source. What is not configured is undefined, so
 * `createBulwark({ deny: [bouncer].filter(Boolean) })` works either way. A bad value is an error that names the
 * variable (`ERR_BULWARK_CROWDSEC_ENV`); secrets are never in messages.
 */
export function crowdsecFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): {
  bouncer: CrowdSecBouncer | undefined
  source: CrowdSecSource | undefined
} {
  const read = (name: CrowdSecEnvVar) => {
    const value = env[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  const fail = (name: CrowdSecEnvVar, what: string): never => {
    throw new CrowdSecError('ERR_BULWARK_CROWDSEC_ENV', `${name} ${what}`)
  }
  const url = read('CROWDSEC_LAPI_URL')
  const apiKey = read('CROWDSEC_BOUNCER_KEY')
  const machineId = read('CROWDSEC_MACHINE_ID')
  const password = read('CROWDSEC_MACHINE_PASSWORD')
  const interval = read('CROWDSEC_INTERVAL_MS')
  if (machineId !== undefined && password === undefined)
    fail('CROWDSEC_MACHINE_PASSWORD', 'is required with CROWDSEC_MACHINE_ID')
  if (password !== undefined && machineId === undefined)
    fail('CROWDSEC_MACHINE_ID', 'is required with CROWDSEC_MACHINE_PASSWORD')
  if (url === undefined) {
    if (apiKey !== undefined || machineId !== undefined) {
      fail(
        'CROWDSEC_LAPI_URL',
        'is required with CROWDSEC_BOUNCER_KEY or CROWDSEC_MACHINE_ID: the Local API, e.g. http://127.0.0.1:8080',
      )
    }
    return { bouncer: undefined, source: undefined }
  }
  let intervalMs: number | undefined
  if (interval !== undefined) {
    intervalMs = Number(interval)
    if (!/^\d+$/.test(interval) || !Number.isSafeInteger(intervalMs) || intervalMs < 1) {
      fail(
        'CROWDSEC_INTERVAL_MS',
        `must be a positive whole number of milliseconds, got "${interval.slice(0, 40)}"`,
      )
    }
  }
  const wrap = <T>(name: CrowdSecEnvVar, make: () => T): T => {
    try {
      return make()
    } catch (error) {
      const message =
        error instanceof Error ? error.message.replace(/ \(ERR_BULWARK_CROWDSEC_\w+, see [^)]+\)$/, '') : ''
      throw new CrowdSecError('ERR_BULWARK_CROWDSEC_ENV', `${name}: ${message}`, { cause: error })
    }
  }
  return {
    bouncer:
      apiKey === undefined
        ? undefined
        : wrap('CROWDSEC_LAPI_URL', () =>
            crowdsecBouncer({ url, apiKey, ...(intervalMs === undefined ? {} : { intervalMs }) }),
          ),
    source:
      machineId === undefined || password === undefined
        ? undefined
        : wrap('CROWDSEC_LAPI_URL', () => crowdsecSource({ url, machineId, password })),
  }
}
