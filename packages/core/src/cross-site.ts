import type { RequestFacts } from './types.js'

/**
 * True for a request a browser sent on behalf of a page of another site (`Sec-Fetch-Site: cross-site`): an image,
 * script, frame, form or `fetch()` that page asked for. Anyone can publish a page that makes every visitor's browser
 * ask your API for `/.env` or for made-up paths; counted as probes or 404 enumeration, those requests would get the
 * visitors banned (a cross-site forgery of suspicion, a lock-out of innocent clients). So the path rules (probes and
 * 404 enumeration) take no signal from such a request. Browsers set the header and a page's scripts cannot; a tool
 * can send it, which spares it the path rules only: burst, limits, scanner agents, auth failures and scraping still
 * count it.
 */
export function isCrossSite(facts: RequestFacts): boolean {
  const v = facts.headers?.['sec-fetch-site']
  return v === 'cross-site' || (Array.isArray(v) && v[0] === 'cross-site')
}
