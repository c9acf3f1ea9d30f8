// Engine

export type { BulwarkRequestState } from './adapter-request.js'
export { inspectRequest, nodeFacts, pathOf, RequestState } from './adapter-request.js'
export { hashApiKey } from './api-key.js'
export type { ClientIdentity, ClientIpOptions, TrustProxy } from './client-ip.js'
// Identity
export { ClientIpResolver } from './client-ip.js'
export type { AuthFailureFacts, BlockTarget, Bulwark } from './engine.js'
export { createBulwark } from './engine.js'
export type { BulwarkEnvVar } from './env.js'
export { configFromEnv, ENV_VARS } from './env.js'
export type { BulwarkErrorCode } from './errors.js'
export { BulwarkError } from './errors.js'
export { escalatedTtl } from './escalation.js'
export type {
  BlockEvent,
  BulwarkEventName,
  BulwarkEvents,
  BulwarkListener,
  DecisionEvent,
  StoreEvent,
  SuspiciousEvent,
  UnblockEvent,
} from './events.js'
export { fingerprint } from './fingerprint.js'
export type { AdapterOptions, AdapterRuntime, HttpResponse, ResponseOptions } from './http.js'
// For framework adapters
export { adapterRuntime, passHeaders, rateLimitHeaders, responseFor, warnTrustMismatch } from './http.js'
export type { Logger } from './logger.js'
export { consoleLogger, silentLogger } from './logger.js'
export type { MemoryStoreOptions } from './memory-store.js'
export { MEMORY_STORE_DEFAULTS, MemoryStore } from './memory-store.js'
export type { BulwarkOptions, ResolvedOptions, WindowRule, WindowRuleOptions } from './options.js'
export { DEFAULTS, resolveOptions } from './options.js'
export { describeBan, formatWindow } from './reason.js'
export { parseContentLength } from './rules/body-size.js'
export type { EndpointLimit } from './rules/endpoint-limits.js'
export { DEFAULT_PROBE_FILES, DEFAULT_PROBE_SEGMENTS } from './rules/probe-paths.js'
// Rules
export { DEFAULT_SCANNER_AGENTS } from './rules/scanner.js'
// Stores
export type {
  ActiveBan,
  BanPolicy,
  HitOp,
  HitResult,
  MaybePromise,
  Store,
  StoreMessage,
  SubjectCounts,
  SubjectOp,
  WindowLimit,
} from './store.js'
export { TRIP_RULES } from './store.js'
// Types of requests, decisions and events
export type {
  BanRecord,
  BanRule,
  BlockInfo,
  Conclusion,
  Decision,
  Evidence,
  Mode,
  RateLimitInfo,
  RequestFacts,
  RuleId,
  StoreState,
  Subject,
} from './types.js'
export type { WhitelistEntry as Target } from './whitelist.js'
export { parseEntry as parseTarget } from './whitelist.js'
