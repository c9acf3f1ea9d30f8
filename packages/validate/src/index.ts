/**
 * @bulwark/validate: validators for what clients send to a scraping or webhook-style task API.
 * The public API is listed here explicitly; `test/exports.test.ts` pins it.
 */

export { FilenameCode, SelectorCode, TaskConfigCode, UrlCode, type ValidationCode } from './codes.js'
export { type Fail, type Ok, type Result, ValidationError } from './result.js'

export { type AddressClassification, CLOUD_METADATA_ADDRESSES, classifyAddress } from './ip-classify.js'
export { LOCAL_NAME_SUFFIXES } from './hostname.js'
export { type AllowedProtocol, DEFAULT_PORTS, type UrlPolicyOptions } from './url-policy.js'
export { type CheckedUrl, checkUrl } from './url.js'
export type { Lookup, LookupAddress } from './lookup.js'
export { type PublicUrlOptions, type ResolvedUrl, assertPublicUrl, checkPublicUrl } from './public-url.js'
export type { SafeConnectOptions } from './connect-guard.js'
export { type SafeDispatcherOptions, safeDispatcher } from './dispatcher.js'
export { type SafeAgentOptions, safeAgent, safeHttpsAgent } from './agent.js'

export {
  INDEX_PSEUDO_CLASSES,
  NESTING_PSEUDO_CLASSES,
  NTH_PSEUDO_CLASSES,
  SIMPLE_PSEUDO_CLASSES,
  type SelectorOptions,
  TEXT_PSEUDO_CLASSES,
  checkSelector,
} from './selector.js'
export {
  type FilenameOptions,
  LOOKALIKE_SEPARATORS,
  type SanitizeFilenameOptions,
  WINDOWS_RESERVED_NAMES,
  checkFilename,
  sanitizeFilename,
} from './filename.js'
export {
  DEFAULT_HTML_TAGS,
  type HtmlTag,
  PERMITTED_HTML_TAGS,
  type SanitizeHtmlOptions,
  sanitizeHtml,
} from './html.js'
export { escapeCsvCell, escapeXmlAttribute, escapeXmlText, stripInvalidXmlChars, toCsvRow } from './output.js'
export {
  FilenameSchema,
  RESERVED_KEYS,
  SelectorSchema,
  type TaskConfig,
  type TaskConfigFailure,
  type TaskConfigInput,
  type TaskConfigIssue,
  type TaskConfigOptions,
  TaskConfigSchema,
  UrlSchema,
  filenameSchema,
  parseTaskConfig,
  selectorSchema,
  taskConfigJsonSchema,
  taskConfigSchema,
  urlSchema,
} from './task-config.js'
