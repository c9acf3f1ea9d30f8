import { z } from 'zod'
import { BulwarkError } from './errors.js'
import type { BulwarkOptions } from './options.js'

const int = (min: number) =>
  z.string().trim().regex(/^\d+$/, 'a whole number').transform(Number).pipe(z.number().int().min(min))

/** Each variable, the form it takes, and what it sets. */
const VARS = {
  BULWARK_MODE: { schema: z.enum(['enforce', 'monitor']), form: 'enforce or monitor' },
  BURST_LIMIT: { schema: int(1), form: 'a positive whole number (requests per second)' },
  BURST_WINDOW_MS: { schema: int(1), form: 'a positive whole number of milliseconds' },
  AUTH_FAIL_LIMIT: { schema: int(1), form: 'a positive whole number (failures per window)' },
  AUTH_FAIL_WINDOW: { schema: int(1), form: 'a positive whole number of seconds' },
  ANOMALY_LIMIT: { schema: int(1), form: 'a positive whole number (distinct items per window)' },
  ANOMALY_WINDOW: { schema: int(1), form: 'a positive whole number of seconds' },
  SUSPICION_LIMIT: { schema: int(1), form: 'a positive whole number (suspicious events that ban)' },
  BLOCK_DURATION: { schema: int(1), form: 'a positive whole number of seconds' },
  MAX_BLOCK_DURATION: { schema: int(1), form: 'a positive whole number of seconds' },
  BAN_ESCALATION: {
    schema: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, 'a number')
      .transform(Number)
      .pipe(z.number().min(1).max(100)),
    form: 'a factor from 1 (off) to 100',
  },
  MAX_BODY_BYTES: { schema: int(0), form: 'a whole number of bytes' },
  TRUST_PROXY: {
    schema: z.string().trim().min(1),
    form: 'false, true, a hop count, or comma-separated CIDRs',
  },
  IPV6_PREFIX: { schema: int(1).pipe(z.number().max(128)), form: 'a prefix length from 1 to 128' },
  BULWARK_KEY_SECRET: { schema: z.string().min(16), form: 'a secret of at least 16 characters' },
  BULWARK_WHITELIST: { schema: z.string(), form: 'comma-separated IPs, CIDRs or API keys' },
  FAILURE_MODE: { schema: z.enum(['open', 'closed']), form: 'open or closed' },
  STORE_TIMEOUT_MS: { schema: int(1), form: 'a positive whole number of milliseconds' },
} as const

export type BulwarkEnvVar = keyof typeof VARS

/** The variables `configFromEnv` reads, with the form each takes. */
export const ENV_VARS: Readonly<Record<BulwarkEnvVar, string>> = Object.fromEntries(
  Object.entries(VARS).map(([k, v]) => [k, v.form]),
) as Record<BulwarkEnvVar, string>

function read<K extends BulwarkEnvVar>(
  env: Record<string, string | undefined>,
  name: K,
): z.output<(typeof VARS)[K]['schema']> | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  const parsed = VARS[name].schema.safeParse(raw)
  if (!parsed.success) {
    throw new BulwarkError(
      'ERR_BULWARK_ENV',
      `Environment variable ${name}=${JSON.stringify(raw.slice(0, 60))} is invalid: expected ${VARS[name].form}`,
    )
  }
  return parsed.data as z.output<(typeof VARS)[K]['schema']>
}

function trustProxyOf(text: string): BulwarkOptions['trustProxy'] {
  if (text === 'false') return false
  if (text === 'true') return true
  if (/^\d+$/.test(text)) return Number(text)
  if (text === 'cloudflare' || text === 'fly' || text === 'x-real-ip' || text === 'forwarded') return text
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
}

/**
 * Engine options from environment variables (see `ENV_VARS`), to spread into `createBulwark`. Unset variables are
 * left out so the defaults apply. A bad value throws ERR_BULWARK_ENV naming the variable and the expected form.
 */
export function configFromEnv(env: Record<string, string | undefined> = process.env): BulwarkOptions {
  const o: BulwarkOptions = {}
  const mode = read(env, 'BULWARK_MODE')
  if (mode) o.mode = mode
  const burstLimit = read(env, 'BURST_LIMIT')
  const burstWindow = read(env, 'BURST_WINDOW_MS')
  if (burstLimit !== undefined || burstWindow !== undefined)
    o.burst = { limit: burstLimit, windowMs: burstWindow }
  const authLimit = read(env, 'AUTH_FAIL_LIMIT')
  const authWindow = read(env, 'AUTH_FAIL_WINDOW')
  if (authLimit !== undefined || authWindow !== undefined) {
    o.authFailures = { limit: authLimit, windowMs: authWindow === undefined ? undefined : authWindow * 1000 }
  }
  const anomaly = read(env, 'ANOMALY_LIMIT')
  const anomalyWindow = read(env, 'ANOMALY_WINDOW')
  if (anomaly !== undefined || anomalyWindow !== undefined) {
    o.scraping = { limit: anomaly, windowMs: anomalyWindow === undefined ? undefined : anomalyWindow * 1000 }
  }
  const suspicion = read(env, 'SUSPICION_LIMIT')
  if (suspicion !== undefined) o.suspicion = { events: suspicion }
  const duration = read(env, 'BLOCK_DURATION')
  const maxDuration = read(env, 'MAX_BLOCK_DURATION')
  const factor = read(env, 'BAN_ESCALATION')
  if (duration !== undefined || maxDuration !== undefined || factor !== undefined) {
    o.ban = {
      ttlMs: duration === undefined ? undefined : duration * 1000,
      escalation:
        factor === 1
          ? false
          : { factor, maxTtlMs: maxDuration === undefined ? undefined : maxDuration * 1000 },
    }
  }
  const maxBody = read(env, 'MAX_BODY_BYTES')
  if (maxBody !== undefined) o.bodySize = { maxBytes: maxBody }
  const trust = read(env, 'TRUST_PROXY')
  if (trust !== undefined) o.trustProxy = trustProxyOf(trust)
  const prefix = read(env, 'IPV6_PREFIX')
  if (prefix !== undefined) o.ipv6Prefix = prefix
  const secret = read(env, 'BULWARK_KEY_SECRET')
  if (secret !== undefined) o.apiKeySecret = secret
  const whitelist = read(env, 'BULWARK_WHITELIST')
  if (whitelist !== undefined)
    o.whitelist = whitelist
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  const failure = read(env, 'FAILURE_MODE')
  if (failure !== undefined) o.failureMode = failure
  const timeout = read(env, 'STORE_TIMEOUT_MS')
  if (timeout !== undefined) o.storeTimeoutMs = timeout
  return o
}
