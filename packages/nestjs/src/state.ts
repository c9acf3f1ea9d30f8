import type { BulwarkRequestState } from '@bulwark/core'
import { createParamDecorator, type ExecutionContext } from '@nestjs/common'

/**
 * The request's Bulwark state as a handler parameter: `login(@BulwarkState() bulwark?: BulwarkRequestState)`, then
 * `bulwark?.decision`, `await bulwark?.reportAuthFailure()`, `await bulwark?.report('2fa-failure')`. Undefined for
 * skipped requests.
 */
export const BulwarkState = createParamDecorator(
  (_data: unknown, context: ExecutionContext): BulwarkRequestState | undefined => {
    const req = context.switchToHttp().getRequest<{ bulwark?: BulwarkRequestState | null }>()
    return req.bulwark ?? undefined
  },
)
