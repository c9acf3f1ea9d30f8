/**
 * Spellings of one request, `GET /api/tasks`, that a framework's router really hands to the `GET /api/tasks`
 * handler: the adapter conformance suite checks that a limit on the route, and a global `endpoints` limit on
 * `/api/tasks`, count every one of them (sent byte for byte with `rawExchange`).
 *
 * Each entry was observed, not assumed: a throwaway script started each framework on 127.0.0.1 with only a
 * `GET /api/tasks` route (its handler answering 200 with a marker header), sent each target as a raw HTTP/1.1 request
 * line over `node:net`, and a framework is listed for a spelling only where the handler's answer (status and marker)
 * came back. Versions: express 5.3.0 (`express()`, defaults), fastify 5.12.8 (`Fastify()`, defaults), koa 3.3.0 with
 * @koa/router 15.7.0 (`new Router()`, defaults; the router the koa adapter's `KOA_ROUTING` describes), Node 20.
 *
 * Observed, beyond the list:
 * - express 4.22 routes exactly what express 5 routes.
 * - koa without a router, switching on `ctx.method` and `ctx.path` (`case 'GET /api/tasks'`), routes only the exact
 *   path, with a query or fragment, and absolute-form targets: no HEAD, no case folding, no trailing slash. (The
 *   adapter suite's koa harness answers 200 for every GET path in its `default` branch, so it cannot tell routed from
 *   unrouted: mount @koa/router for these tests.)
 * - Routed by no framework with default options (404): `//api//tasks`, `/api//tasks`, `/api/tasks//`,
 *   `/api/./tasks`, `/api/x/../tasks`, `/api/%2E/tasks`, `/api/x/%2E%2E/tasks`, `/api/tasks/.`, `/api%2Ftasks`,
 *   `/api/tasks%2F`, `/api/%2574asks`, `/api\tasks`, `/api/tasks;x`, `/api/tasks.`, `/api/tasks%20`,
 *   `/api/tasks%00`, `/api/tasks%3Fx`, `http://x//api//tasks`, `http://x?/api/tasks`. fastify with
 *   `ignoreDuplicateSlashes` routes the `//` spellings, with `caseSensitive: false` also `/api/%54asks`, with
 *   `ignoreTrailingSlash` also `/api/tasks/`; express with `strict routing` + `case sensitive routing` and
 *   @koa/router with `strict` + `sensitive` route neither case nor trailing-slash variants.
 * - Refused by Node's parser (400) before any framework: `api/tasks` (no leading slash), raw non-ASCII bytes, a tab
 *   or DEL in the target, `http:/api/tasks`, and schemes with digits or `+.-`. fastify also answers 400 to
 *   `http:///api/tasks` (empty authority) and 404 to non-http(s) schemes (`ftp://x/api/tasks`).
 */
export type Framework = 'express' | 'fastify' | 'koa' | 'hono'

export interface Spelling {
  /** What is re-spelled, for test names. */
  name: string
  method: string
  /** The request target exactly as sent on the request line. */
  target: string
  /** The frameworks (default router options) that were seen to run the `GET /api/tasks` handler for it. */
  frameworks: Framework[]
}

const ALL: Framework[] = ['express', 'fastify', 'koa', 'hono']
const FOLDING: Framework[] = ['express', 'koa']
const DECODING: Framework[] = ['fastify', 'hono']

/** The spellings of `GET /api/tasks` that reach its handler, by framework (observed; see the module comment). */
export const SPELLINGS: Spelling[] = [
  { name: 'canonical', method: 'GET', target: '/api/tasks', frameworks: ALL },
  { name: 'HEAD for GET', method: 'HEAD', target: '/api/tasks', frameworks: ALL },
  { name: 'query', method: 'GET', target: '/api/tasks?x=1', frameworks: ALL },
  { name: 'empty query', method: 'GET', target: '/api/tasks?', frameworks: ALL },
  { name: 'fragment', method: 'GET', target: '/api/tasks#frag', frameworks: ALL },
  { name: 'query and fragment', method: 'GET', target: '/api/tasks?x=1#frag', frameworks: ALL },
  { name: 'absolute form', method: 'GET', target: 'http://x/api/tasks', frameworks: ALL },
  { name: 'absolute form, https', method: 'GET', target: 'https://x/api/tasks', frameworks: ALL },
  { name: 'absolute form with a port', method: 'GET', target: 'http://x:8080/api/tasks', frameworks: ALL },
  {
    name: 'absolute form, upper-case scheme and host',
    method: 'GET',
    target: 'HTTP://X/api/tasks',
    frameworks: ['express', 'fastify', 'koa'],
  },
  { name: 'absolute form with userinfo', method: 'GET', target: 'http://u@x/api/tasks', frameworks: ALL },
  { name: 'absolute form with a query', method: 'GET', target: 'http://x/api/tasks?y=1', frameworks: ALL },
  { name: 'absolute form, HEAD', method: 'HEAD', target: 'http://x/api/tasks', frameworks: ALL },
  { name: 'absolute form, other scheme', method: 'GET', target: 'ftp://x/api/tasks', frameworks: FOLDING },
  { name: 'absolute form, empty authority', method: 'GET', target: 'http:///api/tasks', frameworks: FOLDING },
  { name: 'upper-case segment', method: 'GET', target: '/API/tasks', frameworks: FOLDING },
  { name: 'upper case', method: 'GET', target: '/API/TASKS', frameworks: FOLDING },
  { name: 'mixed case', method: 'GET', target: '/Api/Tasks', frameworks: FOLDING },
  { name: 'upper case, HEAD', method: 'HEAD', target: '/API/tasks', frameworks: FOLDING },
  { name: 'trailing slash', method: 'GET', target: '/api/tasks/', frameworks: FOLDING },
  { name: 'trailing slash and query', method: 'GET', target: '/api/tasks/?x', frameworks: FOLDING },
  { name: 'trailing slash, HEAD', method: 'HEAD', target: '/api/tasks/', frameworks: FOLDING },
  {
    name: 'upper case, trailing slash, fragment',
    method: 'GET',
    target: '/API/tasks/#f',
    frameworks: FOLDING,
  },
  {
    name: 'absolute form, upper case, trailing slash',
    method: 'GET',
    target: 'http://x/API/tasks/',
    frameworks: FOLDING,
  },
  { name: 'encoded letter', method: 'GET', target: '/api/%74asks', frameworks: DECODING },
  { name: 'encoded letter, first segment', method: 'GET', target: '/%61pi/tasks', frameworks: DECODING },
  { name: 'encoded letter, upper-case hex', method: 'GET', target: '/api/tas%6Bs', frameworks: DECODING },
  { name: 'encoded letter, lower-case hex', method: 'GET', target: '/api/tas%6bs', frameworks: DECODING },
  {
    name: 'absolute form, encoded letter',
    method: 'GET',
    target: 'http://x/api/%74asks',
    frameworks: DECODING,
  },
]

/** The spellings the given framework's default router hands to the `GET /api/tasks` handler. */
export function spellingsFor(framework: Framework): Spelling[] {
  return SPELLINGS.filter((s) => s.frameworks.includes(framework))
}
