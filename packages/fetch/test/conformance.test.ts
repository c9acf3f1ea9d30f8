import { adapterConformanceSuite } from '@bulwark/testkit'
import { beforeEach } from 'vitest'
import { fetchHarness, honoHarness } from './harness.js'

/**
 * Suite tests whose premise Hono and plain fetch handlers do not have, skipped by name (and listed as skipped in the
 * run):
 * - Hono has no proxy trust of its own (nothing like express `trust proxy`), nor have Bun, Deno or Next.js route
 *   handlers: there is no framework setting for Bulwark's `trustProxy` to disagree with, so no
 *   BULWARK_TRUST_PROXY_MISMATCH warning can be right.
 * - `GET http:///api/tasks` (absolute form, empty authority) is not a spelling of `/api/tasks` for a fetch handler:
 *   @hono/node-server parses it with WHATWG URL as host `api`, path `/tasks`, and the app routes `/tasks`. Bulwark
 *   counts the path the app routes (a raw-target reading would let `http:///x/api/tasks`, routed to `/api/tasks`,
 *   escape).
 */
const NOT_APPLICABLE: Record<string, string> = {
  'warns once when the framework and Bulwark disagree about proxies':
    'no proxy trust setting in Hono or a fetch runtime',
  'a global endpoint limit counts every spelling of its path against one limit':
    'WHATWG URL reads http:///api/tasks as path /tasks',
}

beforeEach((context) => {
  const reason = NOT_APPLICABLE[context.task.name]
  if (reason !== undefined) context.skip(reason)
})

adapterConformanceSuite('hono on @hono/node-server', honoHarness())
adapterConformanceSuite('fetch handlers (wrap) on @hono/node-server', fetchHarness())
