import type { ActiveBan } from './store.js'
import type { BanRecord, Decision, Evidence, RateLimitInfo, StoreState, Subject } from './types.js'

const EMPTY: Evidence = Object.freeze({}) as Evidence

export function allow(subject: Subject, store: StoreState, rateLimit?: RateLimitInfo): Decision {
  const d: Decision = {
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

export function whitelisted(subject: Subject, matched: string): Decision {
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
): Decision {
  const evidence: Evidence = { banned: ban.subject, expiresAt: ban.expiresAt, offense: ban.offense }
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
