/**
 * Stable result codes. They are part of the public API: a code is never renamed or reused for
 * something else. Messages may change; match on codes.
 */

/** Codes returned by `checkUrl`, `checkPublicUrl`, `assertPublicUrl` and raised by the safe dispatcher/agent. */
export const UrlCode = {
  NOT_STRING: 'URL_NOT_STRING',
  TOO_LONG: 'URL_TOO_LONG',
  CONTROL_CHARACTER: 'URL_CONTROL_CHARACTER',
  WHITESPACE: 'URL_WHITESPACE',
  BACKSLASH: 'URL_BACKSLASH',
  PROTOCOL_RELATIVE: 'URL_PROTOCOL_RELATIVE',
  INVALID: 'URL_INVALID',
  PROTOCOL_NOT_ALLOWED: 'URL_PROTOCOL_NOT_ALLOWED',
  CREDENTIALS: 'URL_CREDENTIALS',
  PORT_NOT_ALLOWED: 'URL_PORT_NOT_ALLOWED',
  HOST_INVALID: 'URL_HOST_INVALID',
  HOST_LOCAL: 'URL_HOST_LOCAL',
  HOST_SINGLE_LABEL: 'URL_HOST_SINGLE_LABEL',
  HOST_DENIED: 'URL_HOST_DENIED',
  HOST_NOT_ALLOWED: 'URL_HOST_NOT_ALLOWED',
  ADDRESS_NOT_PUBLIC: 'URL_ADDRESS_NOT_PUBLIC',
  DNS_FAILED: 'URL_DNS_FAILED',
} as const
export type UrlCode = (typeof UrlCode)[keyof typeof UrlCode]

/** Codes returned by `checkSelector`. */
export const SelectorCode = {
  NOT_STRING: 'SELECTOR_NOT_STRING',
  EMPTY: 'SELECTOR_EMPTY',
  TOO_LONG: 'SELECTOR_TOO_LONG',
  CONTROL_CHARACTER: 'SELECTOR_CONTROL_CHARACTER',
  INVALID: 'SELECTOR_INVALID',
  PARENT_COMBINATOR: 'SELECTOR_PARENT_COMBINATOR',
  UNSUPPORTED: 'SELECTOR_UNSUPPORTED',
  PSEUDO_NOT_ALLOWED: 'SELECTOR_PSEUDO_NOT_ALLOWED',
  PSEUDO_ELEMENT: 'SELECTOR_PSEUDO_ELEMENT',
  TOO_MANY: 'SELECTOR_TOO_MANY',
  TOO_DEEP: 'SELECTOR_TOO_DEEP',
} as const
export type SelectorCode = (typeof SelectorCode)[keyof typeof SelectorCode]

/** Codes returned by `checkFilename`. */
export const FilenameCode = {
  NOT_STRING: 'FILENAME_NOT_STRING',
  EMPTY: 'FILENAME_EMPTY',
  INVALID_UNICODE: 'FILENAME_INVALID_UNICODE',
  NOT_NORMALIZED: 'FILENAME_NOT_NORMALIZED',
  TOO_LONG: 'FILENAME_TOO_LONG',
  CONTROL_CHARACTER: 'FILENAME_CONTROL_CHARACTER',
  SEPARATOR: 'FILENAME_SEPARATOR',
  FORBIDDEN_CHARACTER: 'FILENAME_FORBIDDEN_CHARACTER',
  BIDI_CONTROL: 'FILENAME_BIDI_CONTROL',
  INVISIBLE_CHARACTER: 'FILENAME_INVISIBLE_CHARACTER',
  PERCENT_ENCODED: 'FILENAME_PERCENT_ENCODED',
  DOTS: 'FILENAME_DOTS',
  LEADING_CHARACTER: 'FILENAME_LEADING_CHARACTER',
  TRAILING_DOT_OR_SPACE: 'FILENAME_TRAILING_DOT_OR_SPACE',
  RESERVED_NAME: 'FILENAME_RESERVED_NAME',
} as const
export type FilenameCode = (typeof FilenameCode)[keyof typeof FilenameCode]

/**
 * Codes of `parseTaskConfig`: the result's code is always `TASK_CONFIG_INVALID`; each issue carries
 * either the code of the validator that failed (`URL_…`, `SELECTOR_…`) or one of the others here.
 */
export const TaskConfigCode = {
  INVALID: 'TASK_CONFIG_INVALID',
  INVALID_TYPE: 'TASK_CONFIG_INVALID_TYPE',
  OUT_OF_RANGE: 'TASK_CONFIG_OUT_OF_RANGE',
  INVALID_VALUE: 'TASK_CONFIG_INVALID_VALUE',
  INVALID_KEY: 'TASK_CONFIG_INVALID_KEY',
  RESERVED_KEY: 'TASK_CONFIG_RESERVED_KEY',
  UNKNOWN_KEY: 'TASK_CONFIG_UNKNOWN_KEY',
  WAIT_NOT_BELOW_TIMEOUT: 'TASK_CONFIG_WAIT_NOT_BELOW_TIMEOUT',
} as const
export type TaskConfigCode = (typeof TaskConfigCode)[keyof typeof TaskConfigCode]

/** Every code this package can return or throw. */
export type ValidationCode = UrlCode | SelectorCode | FilenameCode | TaskConfigCode
