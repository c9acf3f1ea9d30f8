import { DEFAULTS } from '../defaults.js'
import type { Mode } from '../types.js'
import { fail, modeOption, objectOption } from './options.js'
import type { Rule, RuleAsk } from './rule.js'

/** The declared body size, `undefined` when none was declared, or `'malformed'` for a value no server should accept. */
export type ContentLength = number | undefined | 'malformed'

const DIGITS = /^\d{1,16}$/

/**
 * Read a Content-Length the way RFC 9110 allows it: one decimal number, or a comma-separated list of identical ones.
 * Anything else (signs, hex, spaces inside, differing duplicates, absurd lengths) is `'malformed'`. Never throws.
 */
export function parseContentLength(value: unknown): ContentLength {
  if (value === undefined || value === null || value === '') return undefined
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : 'malformed'
  if (Array.isArray(value)) {
    if (value.length === 0) return undefined
    return parseContentLength(value.join(','))
  }
  if (typeof value !== 'string' || value.length > 256) return 'malformed'
  if (DIGITS.test(value)) return Number(value)
  let found: number | undefined
  for (const part of value.split(',')) {
    const text = part.trim()
    if (!DIGITS.test(text)) return 'malformed'
    const n = Number(text)
    if (found !== undefined && n !== found) return 'malformed'
    found = n
  }
  return found
}

export interface BodySizeOptions {
  /** Largest declared body accepted. Default 10 MB. */
  maxBytes?: number
  mode?: Mode
}

/**
 * The event the adapters report when a body without a declared size (chunked) is read past `maxBytes`: the rule answers
 * it with 413 and a suspicious event, as for a declared size over the limit.
 */
export const BODY_TOO_LARGE = 'body-too-large'

const MALFORMED: RuleAsk = Object.freeze({
  signal: { kind: 'body-size', detail: 'malformed' },
  verdict: { conclusion: 'block', status: 400, reason: 'Malformed Content-Length', evidence: {} },
} as const)

/**
 * A declared body over `maxBytes` → 413 before it is read, and a suspicious event; a malformed `Content-Length` →
 * 400. Default 10 MB. A body without a declared size (chunked) is counted by the adapters while the app reads it: past
 * `maxBytes` they report `BODY_TOO_LARGE`, which this rule answers with 413 and a suspicious event, and the upload is
 * cut there.
 */
export function bodySize(options?: BodySizeOptions): Rule {
  const o = objectOption(options, 'bodySize')
  const maxBytes = o.maxBytes ?? DEFAULTS.bodySize.maxBytes
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0)
    fail('Invalid option bodySize.maxBytes: must be an integer ≥ 0')
  const mode = modeOption(o.mode, 'bodySize')
  const streamed: RuleAsk = Object.freeze({
    signal: { kind: 'body-size', detail: `more than ${maxBytes} bytes, no Content-Length` },
    verdict: {
      conclusion: 'block',
      status: 413,
      reason: `Body too large: more than ${maxBytes} bytes (limit ${maxBytes})`,
      evidence: { limit: maxBytes },
    },
  } as const)
  return {
    id: 'body-size',
    mode,
    on: ['request', BODY_TOO_LARGE],
    check(request) {
      if (request.event === BODY_TOO_LARGE) return streamed
      const facts = request.facts
      if (facts.contentLength === undefined && facts.headers?.['content-length'] === undefined) return null
      const cl = parseContentLength(facts.contentLength ?? facts.headers?.['content-length'])
      if (cl === 'malformed') return MALFORMED
      if (cl === undefined || cl <= maxBytes) return null
      return {
        signal: { kind: 'body-size', detail: `${cl} bytes` },
        verdict: {
          conclusion: 'block',
          status: 413,
          reason: `Body too large: ${cl} bytes (limit ${maxBytes})`,
          evidence: { bytes: cl, limit: maxBytes },
        },
      }
    },
  }
}
