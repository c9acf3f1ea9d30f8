// Engine
export type { AdapterOptions, AdapterRuntime, BulwarkRequestState, Outcome, WireRequest } from './adapter.js'
// For framework adapters
export { adapterRuntime, NOT_FOUND, RequestState } from './adapter.js'
export { hashApiKey } from './api-key.js'
export type { BodyStream } from './body-limit.js'
export { hasUndeclaredBody } from './body-limit.js'
export {
  canonicalMethod,
  canonicalPath,
  EXPRESS_ROUTING,
  FASTIFY_ROUTING,
  KOA_ROUTING,
} from './canonical-path.js'
export type {
  ClientIdentity,
  ClientIpOptions,
  RequestHeaders,
  TrustedProxies,
  TrustProxy,
  TrustProxyPreset,
  TrustProxyPresetOptions,
  TrustProxyRule,
  UntrustedForwardedInfo,
} from './client-ip.js'
// Identity
export { ClientIpResolver } from './client-ip.js'
export { isCrossSite } from './cross-site.js'
export { CLOUDFLARE_IPS } from './data/cloudflare-ranges.js'
export type { BotRangesSource } from './data/good-bot-ranges.js'
export { GOOD_BOT_RANGE_SOURCES, GOOD_BOT_RANGES } from './data/good-bot-ranges.js'
export { isAllowed, isBan, isRateLimit, isRefused } from './decisions.js'
export type { DenyList, DenyListFormat, DenyListOptions, DenyListStats } from './deny-list.js'
export { denyList } from './deny-list.js'
export type { DenyEntry, DenyReplaceResult, DenySink, DenySource } from './deny-source.js'
export type { Diagnostic, DiagnosticCode, DiagnosticsOption } from './diagnostics.js'
export { DIAGNOSTICS } from './diagnostics.js'
export type { AuthFailureFacts, BanTarget, BlockTarget, Bulwark, ReportFacts, RouteRules } from './engine.js'
export { createBulwark } from './engine.js'
export type { BulwarkEnvVar } from './env.js'
export { configFromEnv, ENV_VARS } from './env.js'
export type { BulwarkErrorCode } from './errors.js'
export { BulwarkError } from './errors.js'
export { escalatedTtl } from './escalation.js'
export type {
  BanEvent,
  BlockEvent,
  BulwarkEventName,
  BulwarkEvents,
  BulwarkListener,
  DecisionEvent,
  EvictedEvent,
  StoreEvent,
  SuspiciousEvent,
  UnbanEvent,
  UnblockEvent,
} from './events.js'
export { fingerprint } from './fingerprint.js'
export { formatWindow } from './format-window.js'
export type { BotClaim, BotRangesOptions, BotResolver, GoodBotsOptions } from './good-bots.js'
export { fetchBotRanges } from './good-bots.js'
export type { HttpResponse, ResponseOptions } from './http.js'
export { passHeaders, rateLimitHeaders, responseFor } from './http.js'
export type { ConsoleLogger, ConsoleLoggerOptions, ConsoleSink, LogFields, Logger } from './logger.js'
export { consoleLogger, createConsoleLogger, silentLogger } from './logger.js'
export type { MemoryStoreOptions } from './memory-store.js'
export { MEMORY_STORE_DEFAULTS, MemoryStore } from './memory-store.js'
export type { BulwarkOptions, ResolvedOptions, WindowRule, WindowRuleOptions } from './options.js'
export { DEFAULTS, resolveOptions } from './options.js'
export type { RouteLimitOptions } from './route-limit.js'
export { routeLimit } from './route-limit.js'
// Rules
export type { AuthFailuresOptions } from './rules/auth-failures.js'
export { AUTH_FAILURE, authFailures } from './rules/auth-failures.js'
export type { BodySizeOptions } from './rules/body-size.js'
export { BODY_TOO_LARGE, bodySize, parseContentLength } from './rules/body-size.js'
export { burst } from './rules/burst.js'
export type { EndpointLimit, LimitOptions, PerRequest } from './rules/limit.js'
export { endpoints, limit } from './rules/limit.js'
export { NOT_FOUND_DEFAULTS, type NotFoundOptions, notFound } from './rules/not-found.js'
export type { CountingRuleOptions } from './rules/options.js'
export type { ProbeOptions, ProbePattern } from './rules/probe-paths.js'
export { DEFAULT_PROBE_ALLOW, probes } from './rules/probe-paths.js'
export type { By, Rule, RuleAsk, RuleRequest, Signal, Verdict } from './rules/rule.js'
export type { ScannerOptions } from './rules/scanner.js'
export { DEFAULT_SCANNER_AGENTS, scanner } from './rules/scanner.js'
export { scraping } from './rules/scraping.js'
export type { SuspicionOptions } from './rules/suspicion.js'
export { suspicion } from './rules/suspicion.js'
export type { GoodBotSignature } from './signatures/good-bots.js'
export { GOOD_BOT_SIGNATURES } from './signatures/good-bots.js'
// Signatures: the default scanner agents and probe paths, each with its source
export { PROBE_SIGNATURES } from './signatures/probe-paths.js'
export { SCANNER_AGENT_SIGNATURES } from './signatures/scanner-agents.js'
export { SIGNATURE_SOURCES } from './signatures/sources.js'
export type { AgentSignature, ProbeSignature, ProbeStrength, SignatureSource } from './signatures/types.js'
// Stores
export type {
  ActiveBan,
  BanNowCount,
  BanPolicy,
  Count,
  DistinctCount,
  EventsCount,
  HitOp,
  HitResult,
  MaybePromise,
  Measure,
  RequestsCount,
  SpreadCount,
  Store,
  StoreCapabilities,
  StoreMessage,
  SubjectOp,
  WindowCount,
  WindowMeasure,
} from './store.js'
export { BUILTIN_COUNTER_KEYS } from './store.js'
// Types of requests, decisions and events
export type {
  AllowDecision,
  BanInfo,
  BanRecord,
  BanRule,
  BlockDecision,
  BlockInfo,
  BuiltinRuleId,
  Conclusion,
  Decision,
  Evidence,
  LimitDecision,
  Mode,
  RateLimitInfo,
  RequestFacts,
  Routing,
  RuleId,
  StoreState,
  Subject,
} from './types.js'
export type { WhitelistEntry as Target } from './whitelist.js'
export { parseEntry as parseTarget } from './whitelist.js'
