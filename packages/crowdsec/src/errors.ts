/** Stable error codes. Each names what went wrong; the message says what to change. */
export type CrowdSecErrorCode =
  /** An option passed to `crowdsecBouncer()` or `crowdsecSource()` is invalid. */
  | 'ERR_BULWARK_CROWDSEC_OPTIONS'
  /** A variable read by `crowdsecFromEnv()` is missing or invalid. The message names it. */
  | 'ERR_BULWARK_CROWDSEC_ENV'
  /** The Local API refused the credentials: a bouncer's API key (403) or a machine's login (401). */
  | 'ERR_BULWARK_CROWDSEC_AUTH'
  /** The Local API answered with another status than 2xx. */
  | 'ERR_BULWARK_CROWDSEC_HTTP'
  /** The request got no answer: connection refused, reset, DNS … (the LAPI is down or restarting). */
  | 'ERR_BULWARK_CROWDSEC_NETWORK'
  /** A request took longer than `timeoutMs`. */
  | 'ERR_BULWARK_CROWDSEC_TIMEOUT'
  /** The Local API answered something unreadable (not JSON, too large, not the expected shape). */
  | 'ERR_BULWARK_CROWDSEC_RESPONSE'
  /** The bouncer holds `maxDecisions` decisions; further ones are ignored until some expire (reported once). */
  | 'ERR_BULWARK_CROWDSEC_TOO_MANY'
  /** The source's queue overflowed; the oldest bans are being dropped (reported once per episode). */
  | 'ERR_BULWARK_CROWDSEC_QUEUE_FULL'
  /** `close()` reached its deadline with alerts still queued: they were dropped. */
  | 'ERR_BULWARK_CROWDSEC_CLOSE_TIMEOUT'
  /** `start()` or `attach()` was called after `close()`. */
  | 'ERR_BULWARK_CROWDSEC_CLOSED'

const DOCS = 'https://github.com/bulwark-js/bulwark/blob/main/packages/crowdsec/README.md#errors'

/** Every error of this package. Delivered through `on('error')` (never thrown into a request), or thrown by a factory. */
export class CrowdSecError extends Error {
  readonly code: CrowdSecErrorCode
  /** The HTTP status, when the Local API answered. */
  readonly status: number | undefined
  constructor(code: CrowdSecErrorCode, message: string, options?: { cause?: unknown; status?: number }) {
    super(
      `${message} (${code}, see ${DOCS})`,
      options?.cause === undefined ? undefined : { cause: options.cause },
    )
    this.name = 'CrowdSecError'
    this.code = code
    this.status = options?.status
  }
}
