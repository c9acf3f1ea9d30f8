import { adapterConformanceSuite } from '@bulwark/testkit'
import { beforeEach } from 'vitest'
import { honoHarness } from './harness.js'

/**
 * Suite tests whose premise Hono does not have, skipped by name (and listed as skipped in the run):
 * - Hono has no proxy trust of its own (nothing like express `trust proxy`): there is no framework setting for
 *   Bulwark's `trustProxy` to disagree with, so no BULWARK_TRUST_PROXY_MISMATCH warning can be right.
 * - `GET http:///api/tasks` (absolute form, empty authority) is not a spelling of `/api/tasks` under Hono:
 *   @hono/node-server parses it with WHATWG URL as host `api`, path `/tasks`, and Hono routes `/tasks`. Bulwark counts
 *   the path the router routes (a raw-target reading would let `http:///x/api/tasks`, routed to `/api/tasks`, escape).
 */
const NOT_APPLICABLE: Record<string, string> = {
  'warns once when the framework and Bulwark disagree about proxies': 'hono has no proxy trust setting',
  'a global endpoint limit counts every spelling of its path against one limit':
    'WHATWG URL reads http:///api/tasks as path /tasks',
}

beforeEach((context) => {
  const reason = NOT_APPLICABLE[context.task.name]
  if (reason !== undefined) context.skip(reason)
})

adapterConformanceSuite('hono on @hono/node-server', honoHarness())
