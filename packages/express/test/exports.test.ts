import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  BlockedHandler,
  BulwarkExpressOptions,
  BulwarkMiddleware,
  BulwarkRequestState,
} from '../src/index.js'
import * as api from '../src/index.js'

describe('@bulwark/express public API', () => {
  it('exports exactly the middleware factory', () => {
    expect(Object.keys(api).sort()).toEqual(['bulwark'])
  })

  it('types req.bulwark, the options and the middleware', () => {
    expectTypeOf<Express.Request['bulwark']>().toEqualTypeOf<BulwarkRequestState | undefined>()
    expectTypeOf<BulwarkExpressOptions['onBlocked']>().toEqualTypeOf<BlockedHandler | undefined>()
    expectTypeOf<BulwarkMiddleware['engine']>().toHaveProperty('inspect')
  })
})
