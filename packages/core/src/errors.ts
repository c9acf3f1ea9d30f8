/** Stable error codes. Each names what went wrong; the message says what to change. */
export type BulwarkErrorCode =
  | 'ERR_BULWARK_OPTIONS'
  | 'ERR_BULWARK_ENV'
  | 'ERR_BULWARK_TARGET'
  | 'ERR_BULWARK_STORE'
  | 'ERR_BULWARK_STORE_TIMEOUT'
  | 'ERR_BULWARK_CLOSED'
  | 'ERR_BULWARK_LISTENER'
  | 'ERR_BULWARK_ADAPTER'
  /** A deny list failed to load (the previous list stays in force). */
  | 'ERR_BULWARK_DENY_LIST'

const DOCS = 'https://github.com/bulwark-js/bulwark/blob/main/packages/core/README.md#errors'

export class BulwarkError extends Error {
  readonly code: BulwarkErrorCode
  constructor(code: BulwarkErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${message} (${code}, see ${DOCS})`, options)
    this.name = 'BulwarkError'
    this.code = code
  }
}

/** Warning codes, emitted once each through `process.emitWarning`-style logging. */
export type BulwarkWarningCode = 'BULWARK_XFF_UNTRUSTED' | 'BULWARK_TRUST_PROXY_MISMATCH'
