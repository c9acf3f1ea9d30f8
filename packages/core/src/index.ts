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
