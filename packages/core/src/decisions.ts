import type { ActiveBan } from './store.js'
import type {
  AllowDecision,
  BanRecord,
  BlockDecision,
  Decision,
  Evidence,
  LimitDecision,
  RateLimitInfo,
  StoreState,
  Subject,
} from './types.js'

const EMPTY: Evidence = Object.freeze({}) as Evidence

/** The request goes on. */
export function isAllowed(d: Decision): d is AllowDecision {
  return d.conclusion === 'allow'
}

/** A rate limit refused the request (429). */
export function isRateLimit(d: Decision): d is LimitDecision {
  return d.conclusion === 'limit'
}

/** A ban refused the request (403): `evidence.banned` names the banned subject, `retryAfterS` when it ends. */
export function isBan(d: Decision): d is BlockDecision & { status: 403; retryAfterS: number } {
  return d.conclusion === 'block' && d.status === 403
}

/** The adapter answers instead of the app: a refusal that is enforced (not monitor mode). */
export function isRefused(d: Decision): d is LimitDecision | BlockDecision {
  return d.conclusion !== 'allow' && d.enforced
}

export function allow(subject: Subject, store: StoreState, rateLimit?: RateLimitInfo): AllowDecision {
  const d: AllowDecision = {
    conclusion: 'allow',
    rule: null,
    reason: '',
    evidence: EMPTY,
    status: 200,
    enforced: true,
    newBan: false,
    subject,
    store,
  }
  if (rateLimit !== undefined) d.rateLimit = rateLimit
  return d
}

export function whitelisted(subject: Subject, matched: string): AllowDecision {
  return {
    conclusion: 'allow',
    rule: 'whitelist',
    reason: `Whitelisted: ${matched}`,
    evidence: { matched },
    status: 200,
    enforced: true,
    newBan: false,
    subject,
    store: 'none',
  }
}

export function banned(
  ban: BanRecord | ActiveBan,
  reason: string,
  subject: Subject,
  now: number,
  store: StoreState,
  enforced: boolean,
): BlockDecision {
  const evidence: Evidence = {
    banned: ban.subject,
    expiresAt: ban.expiresAt,
    offense: ban.offense,
    source: ban.rule,
  }
  if (ban.count !== undefined) evidence.count = ban.count
  if (ban.limit !== undefined) evidence.limit = ban.limit
  if (ban.note !== undefined) evidence.matched = ban.note
  return {
    conclusion: 'block',
    rule: ban.rule,
    reason,
    evidence,
    status: 403,
    retryAfterS: Math.max(1, Math.ceil((ban.expiresAt - now) / 1000)),
    enforced,
    newBan: 'created' in ban && ban.created,
    subject,
    store,
  }
}
