/**
 * @bulwark/validate: validators for what clients send to a scraping or webhook-style task API.
 * The public API is listed here explicitly; `test/exports.test.ts` pins it.
 */

export { type SafeAgentOptions, safeAgent, safeHttpsAgent } from './agent.js'
export { FilenameCode, SelectorCode, TaskConfigCode, UrlCode, type ValidationCode } from './codes.js'
export type { SafeConnectOptions } from './connect-guard.js'
export { type SafeDispatcherOptions, safeDispatcher } from './dispatcher.js'
export {
  checkFilename,
  type FilenameOptions,
  LOOKALIKE_SEPARATORS,
  type SanitizeFilenameOptions,
  sanitizeFilename,
  WINDOWS_RESERVED_NAMES,
} from './filename.js'
export { LOCAL_NAME_SUFFIXES } from './hostname.js'
export {
  DEFAULT_HTML_TAGS,
  type HtmlTag,
  PERMITTED_HTML_TAGS,
  type SanitizeHtmlOptions,
  sanitizeHtml,
} from './html.js'
export { type AddressClassification, CLOUD_METADATA_ADDRESSES, classifyAddress } from './ip-classify.js'
export type { Lookup, LookupAddress } from './lookup.js'
export { escapeCsvCell, escapeXmlAttribute, escapeXmlText, stripInvalidXmlChars, toCsvRow } from './output.js'
export { assertPublicUrl, checkPublicUrl, type PublicUrlOptions, type ResolvedUrl } from './public-url.js'
export { type Fail, type Ok, type Result, ValidationError } from './result.js'
export {
  checkSelector,
  INDEX_PSEUDO_CLASSES,
  NESTING_PSEUDO_CLASSES,
  NTH_PSEUDO_CLASSES,
  type SelectorOptions,
  SIMPLE_PSEUDO_CLASSES,
  TEXT_PSEUDO_CLASSES,
} from './selector.js'
export {
  FilenameSchema,
  filenameSchema,
  parseTaskConfig,
  RESERVED_KEYS,
  SelectorSchema,
  selectorSchema,
  type TaskConfig,
  type TaskConfigFailure,
  type TaskConfigInput,
  type TaskConfigIssue,
  type TaskConfigOptions,
  TaskConfigSchema,
  taskConfigJsonSchema,
  taskConfigSchema,
  UrlSchema,
  urlSchema,
} from './task-config.js'
export { type CheckedUrl, checkUrl } from './url.js'
export { type AllowedProtocol, DEFAULT_PORTS, type UrlPolicyOptions } from './url-policy.js'
