import type { BlockDecision, HttpResponse, LimitDecision } from '@bulwark/core'
import { HttpException } from '@nestjs/common'

/**
 * Bulwark's refusal, thrown from the guard (and passed to Nest's error handling for requests no route matched), so
 * Nest's exception filters see it like any `HttpException`: Nest's own filter answers with its status and JSON body
 * (`{ error, status, detail }`). Its headers (`Retry-After`, `RateLimit-*`, `Cache-Control: no-store`,
 * `X-Content-Type-Options: nosniff`) are already set on the response when it is thrown; a filter of yours that
 * answers it keeps them.
 */
export class BulwarkException extends HttpException {
  /** The decision that refused the request: the rule, its numbers, the ban. */
  readonly decision: LimitDecision | BlockDecision
  /** The headers Bulwark set on the response. */
  readonly headers: Readonly<Record<string, string>>

  constructor(decision: LimitDecision | BlockDecision, response: HttpResponse) {
    super(response.body, response.status, { description: response.body.error })
    this.name = 'BulwarkException'
    this.decision = decision
    this.headers = response.headers
  }
}
