import type { Bulwark } from '@bulwark/core'

/** What an admin problem is, for code: `err.code`. */
export type AdminErrorCode = 'ERR_BULWARK_ADMIN_TOKEN' | 'ERR_BULWARK_ADMIN_OPTIONS'

/** A setup mistake, thrown when the admin is created (never while serving a request). */
export class AdminError extends Error {
  override readonly name = 'AdminError'
  constructor(
    readonly code: AdminErrorCode,
    message: string,
  ) {
    super(`${message} (${code})`)
  }
}

/** Where notification counts come from (`createNotifier()` of `@bulwark/notify` fits). */
export interface NotifierStatsSource {
  stats(): unknown
}

export interface AdminOptions {
  /** The engine to manage: its bans, whitelist and decisions. */
  engine: Bulwark
  /**
   * The bearer token every API call must send (`Authorization: Bearer <token>`), at least 16 characters. Default:
   * the `BULWARK_ADMIN_TOKEN` environment variable. Without a token the admin refuses to start unless
   * `loopbackOnly` is set.
   */
  token?: string
  /**
   * Serve without a token, to loopback clients only (127.0.0.0/8, ::1), for a server you bind to 127.0.0.1. Any
   * other client gets 403. Ignored when a token is set. Default false.
   */
  loopbackOnly?: boolean
  /** Serve the dashboard page at the mount point (`/`). Default true. */
  dashboard?: boolean
  /**
   * Report a wrong or missing token to the engine as a failed authentication, so a client guessing tokens is banned
   * by the `authFailures` rule like any other (then refused with 403). Default true.
   */
  reportAuthFailures?: boolean
  /** Bytes waiting for one event-stream client before it is dropped as too slow. Default 1 MiB. */
  maxStreamBufferBytes?: number
  /** Open event streams at once; one more is refused with 503. Default 32. */
  maxStreams?: number
  /** Extra fields for `GET /api/info` (your service name, your servers). */
  info?: () => Record<string, unknown>
  /** A notifier whose `stats()` the dashboard shows (`notifications sent`). */
  notifier?: NotifierStatsSource
  /** The store's name shown on the dashboard. Default: the engine's store name. */
  storeName?: string
  /** Milliseconds since the epoch. Default `Date.now`. */
  clock?: () => number
  /** The environment read for `BULWARK_ADMIN_TOKEN`. Default `process.env`. */
  env?: Record<string, string | undefined>
}

export interface ResolvedAdminOptions {
  engine: Bulwark
  token: string | null
  dashboard: boolean
  reportAuthFailures: boolean
  maxStreamBufferBytes: number
  maxStreams: number
  info: () => Record<string, unknown>
  notifier: NotifierStatsSource | undefined
  storeName: string | undefined
  clock: () => number
}

export const ADMIN_DEFAULTS = Object.freeze({
  dashboard: true,
  reportAuthFailures: true,
  maxStreamBufferBytes: 1024 * 1024,
  maxStreams: 32,
  minTokenLength: 16,
})

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 1)
    throw new AdminError('ERR_BULWARK_ADMIN_OPTIONS', `${name} must be a positive whole number, got ${value}`)
  return value
}

export function resolveAdminOptions(options: AdminOptions): ResolvedAdminOptions {
  if (options === null || typeof options !== 'object' || typeof options.engine?.listBans !== 'function') {
    throw new AdminError(
      'ERR_BULWARK_ADMIN_OPTIONS',
      'createAdmin({ engine }) needs the Bulwark engine (createBulwark(), or the adapter middleware .engine)',
    )
  }
  const env = options.env ?? process.env
  const raw = options.token ?? env.BULWARK_ADMIN_TOKEN
  let token: string | null = null
  if (raw !== undefined && raw !== '') {
    if (typeof raw !== 'string' || raw.length < ADMIN_DEFAULTS.minTokenLength || /\s/.test(raw)) {
      throw new AdminError(
        'ERR_BULWARK_ADMIN_TOKEN',
        `The admin token must be at least ${ADMIN_DEFAULTS.minTokenLength} characters without spaces: generate one with \`node -e "console.log(crypto.randomBytes(24).toString('base64url'))"\``,
      )
    }
    token = raw
  } else if (options.loopbackOnly !== true) {
    throw new AdminError(
      'ERR_BULWARK_ADMIN_TOKEN',
      'The admin API needs a token: set token (or BULWARK_ADMIN_TOKEN), or loopbackOnly: true for a server bound to 127.0.0.1',
    )
  }
  return {
    engine: options.engine,
    token,
    dashboard: options.dashboard ?? ADMIN_DEFAULTS.dashboard,
    reportAuthFailures: options.reportAuthFailures ?? ADMIN_DEFAULTS.reportAuthFailures,
    maxStreamBufferBytes: positiveInteger(
      'maxStreamBufferBytes',
      options.maxStreamBufferBytes,
      ADMIN_DEFAULTS.maxStreamBufferBytes,
    ),
    maxStreams: positiveInteger('maxStreams', options.maxStreams, ADMIN_DEFAULTS.maxStreams),
    info: options.info ?? (() => ({})),
    notifier: options.notifier,
    storeName: options.storeName,
    clock: options.clock ?? Date.now,
  }
}
