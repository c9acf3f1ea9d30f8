import type { FastifyContextConfig, FastifyInstance, FastifyRequest } from 'fastify'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  BlockedHandler,
  BulwarkFastifyOptions,
  BulwarkRequestState,
  BulwarkRouteOptions,
} from '../src/index.js'
import * as api from '../src/index.js'

describe('@bulwark/fastify public API', () => {
  it('exports exactly the plugin', () => {
    expect(Object.keys(api).sort()).toEqual(['bulwark'])
  })

  it('is a fastify-plugin for fastify 5, named @bulwark/fastify', () => {
    const meta = (api.bulwark as unknown as Record<symbol, { fastify: string; name: string }>)[
      Symbol.for('plugin-meta')
    ]
    expect(meta).toMatchObject({ fastify: '5.x', name: '@bulwark/fastify' })
  })

  it('merges request.bulwark, fastify.bulwark and route config.bulwark into fastify types', () => {
    expectTypeOf<FastifyRequest['bulwark']>().toEqualTypeOf<BulwarkRequestState | null>()
    expectTypeOf<FastifyInstance['bulwark']>().toHaveProperty('ban')
    expectTypeOf<FastifyContextConfig['bulwark']>().toEqualTypeOf<false | BulwarkRouteOptions | undefined>()
    expectTypeOf<BulwarkFastifyOptions['onBlocked']>().toEqualTypeOf<BlockedHandler | undefined>()
  })
})
