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
export { BulwarkError } from './errors.js'
export type { BulwarkErrorCode } from './errors.js'
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
export { MemoryStore, MEMORY_STORE_DEFAULTS } from './memory-store.js'
export type { MemoryStoreOptions } from './memory-store.js'
export { escalatedTtl } from './escalation.js'
