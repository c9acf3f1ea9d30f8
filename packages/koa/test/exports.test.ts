import type { DefaultState } from 'koa'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  BlockedHandler,
  BulwarkKoaOptions,
  BulwarkMiddleware,
  BulwarkRequestState,
} from '../src/index.js'
import * as api from '../src/index.js'

describe('@bulwark/koa public API', () => {
  it('exports exactly the middleware factory', () => {
    expect(Object.keys(api).sort()).toEqual(['bulwark'])
  })

  it('types ctx.state.bulwark, the options and the middleware', () => {
    expectTypeOf<DefaultState['bulwark']>().toEqualTypeOf<BulwarkRequestState | undefined>()
    expectTypeOf<BulwarkKoaOptions['onLimited']>().toEqualTypeOf<BlockedHandler | undefined>()
    expectTypeOf<BulwarkMiddleware['engine']>().toHaveProperty('inspect')
  })
})
