import type { Bulwark } from '@bulwark/core'
import type { ContextVariableMap, MiddlewareHandler } from 'hono'
import type { GetConnInfo } from 'hono/conninfo'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type {
  BulwarkHonoMiddleware,
  BulwarkHonoOptions,
  HonoRefusalHandler,
  RouteLimitOptions,
} from '../src/hono.js'
import * as hono from '../src/hono.js'
import type {
  BulwarkFetchOptions,
  BulwarkHandler,
  BulwarkRequestState,
  FetchBulwark,
  GuardedHandler,
  HandlerLimitOptions,
  NextHandler,
  RefusalHandler,
  RequestInfo,
  WithBulwarkOptions,
} from '../src/index.js'
import * as api from '../src/index.js'

describe('@bulwark/fetch public API', () => {
  it('exports exactly BodyTooLargeError, bulwark and withBulwark; @bulwark/fetch/hono exactly bulwarkHono', () => {
    expect(Object.keys(api).sort()).toEqual(['BodyTooLargeError', 'bulwark', 'withBulwark'])
    expect(Object.keys(hono).sort()).toEqual(['bulwarkHono'])
  })

  it('types the Fetch forms', () => {
    expectTypeOf(api.bulwark).returns.toEqualTypeOf<FetchBulwark>()
    expectTypeOf<FetchBulwark['handle']>().parameters.toEqualTypeOf<[Request, RequestInfo, NextHandler]>()
    expectTypeOf<FetchBulwark['handle']>().returns.toEqualTypeOf<Promise<Response>>()
    expectTypeOf<Parameters<NextHandler>[1]>().toEqualTypeOf<BulwarkRequestState | undefined>()
    expectTypeOf<RequestInfo['limit']>().toEqualTypeOf<HandlerLimitOptions | undefined>()
    expectTypeOf<HandlerLimitOptions['id']>().toEqualTypeOf<string>()
    expectTypeOf<BulwarkFetchOptions['onLimited']>().toEqualTypeOf<RefusalHandler | undefined>()
    expectTypeOf<GuardedHandler['engine']>().toEqualTypeOf<Bulwark>()
    // A Next.js handler keeps its own request and context types through withBulwark.
    type Ctx = { params: Promise<{ id: string }> }
    class NextLikeRequest extends Request {
      readonly nextUrl = new URL(this.url)
    }
    const handler: BulwarkHandler<NextLikeRequest, Ctx> = async (request, { params }) =>
      Response.json({ path: request.nextUrl.pathname, id: (await params).id })
    expectTypeOf(
      api.withBulwark(handler, { ip: (r: NextLikeRequest) => r.headers.get('x-real-ip') }),
    ).toEqualTypeOf<GuardedHandler<NextLikeRequest, Ctx>>()
    expectTypeOf<WithBulwarkOptions<NextLikeRequest, Ctx>['ip']>().toEqualTypeOf<
      ((request: NextLikeRequest, ctx: Ctx) => string | null | undefined) | undefined
    >()
  })

  it("types the Hono middleware and c.get('bulwark')", () => {
    expectTypeOf<ContextVariableMap['bulwark']>().toEqualTypeOf<BulwarkRequestState | undefined>()
    expectTypeOf(hono.bulwarkHono).returns.toEqualTypeOf<BulwarkHonoMiddleware>()
    expectTypeOf<BulwarkHonoMiddleware>().toMatchTypeOf<MiddlewareHandler>()
    expectTypeOf<BulwarkHonoMiddleware['limit']>().parameters.toEqualTypeOf<[RouteLimitOptions]>()
    expectTypeOf<BulwarkHonoMiddleware['auth']>().returns.toEqualTypeOf<MiddlewareHandler>()
    expectTypeOf<BulwarkHonoOptions['getConnInfo']>().toEqualTypeOf<GetConnInfo | undefined>()
    expectTypeOf<BulwarkHonoOptions['onBlocked']>().toEqualTypeOf<HonoRefusalHandler | undefined>()
  })
})
