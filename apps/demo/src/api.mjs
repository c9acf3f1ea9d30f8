// The demo API, written once and served by Express, Fastify and Koa: each framework only reads its request and writes
// the `{ status, body, headers }` these functions return.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { responseFor } from '@bulwark/core'
import { parseTaskConfig } from '@bulwark/validate'

/** @typedef {{ status: number, body: unknown, headers?: Record<string, string> }} Reply */

const HASH = /^(?:[a-f0-9]{32}|[a-f0-9]{40}|[a-f0-9]{64})$/i
const HASH_TYPES = /** @type {const} */ ({ 32: 'md5', 40: 'sha1', 64: 'sha256' })

/** @param {string} a @param {string} b */
function sameSecret(a, b) {
  const digest = (/** @type {string} */ s) => createHash('sha256').update(s).digest()
  return timingSafeEqual(digest(a), digest(b))
}

/** A Map that forgets its oldest entries past `max`: nothing a client sends can grow memory without bound. */
class Bounded extends Map {
  /** @param {number} max */
  constructor(max) {
    super()
    this.max = max
  }
  /** @override @param {unknown} key @param {unknown} value */
  set(key, value) {
    super.set(key, value)
    if (this.size > this.max) this.delete(this.keys().next().value)
    return this
  }
}

/**
 * @param {{ password: string }} options
 */
export function createApi({ password }) {
  /** @type {Map<string, { user: string, createdAt: number }>} */
  const keys = new Bounded(10_000)
  /** @type {Map<string, Record<string, unknown>>} */
  const tasks = new Bounded(1_000)

  return {
    /** @param {string} framework @returns {Reply} */
    index(framework) {
      return {
        status: 200,
        body: {
          service: 'bulwark-demo',
          framework,
          endpoints: {
            'POST /auth/login': '{ "username": "demo", "password": "…" } → { "apiKey": "…" }',
            'POST /api/tasks': 'a scraping task: { "urls": […], "selectors": { "name": "css" } }',
            'GET /api/tasks/:id': 'a task you created',
            'GET /api/scan?hash=…': 'look a file hash up (needs X-API-Key)',
            'GET /health': 'liveness, not inspected by Bulwark',
          },
        },
      }
    },

    /** @param {unknown} body @returns {Reply} */
    login(body) {
      const { username, password: given } = /** @type {{ username?: unknown, password?: unknown }} */ (
        body ?? {}
      )
      if (username !== 'demo' || typeof given !== 'string' || !sameSecret(given, password)) {
        // A 401 is counted as a failed authentication by the Bulwark adapter, without any code here.
        return { status: 401, body: { error: 'Unauthorized', detail: 'Wrong username or password' } }
      }
      const apiKey = `bwk_${randomBytes(18).toString('base64url')}`
      keys.set(apiKey, { user: username, createdAt: Date.now() })
      return { status: 200, body: { apiKey, user: username } }
    },

    /** @param {unknown} body @returns {Reply} */
    createTask(body) {
      const result = parseTaskConfig(body)
      if (!result.ok) return { status: 400, body: { error: result.code, issues: result.issues } }
      const task = {
        id: randomUUID(),
        status: 'queued',
        createdAt: new Date().toISOString(),
        config: result.value,
      }
      tasks.set(task.id, task)
      return { status: 201, body: task, headers: { Location: `/api/tasks/${task.id}` } }
    },

    /** @param {string} id @returns {Reply} */
    getTask(id) {
      const task = tasks.get(id)
      return task
        ? { status: 200, body: task }
        : { status: 404, body: { error: 'Not Found', detail: 'No such task' } }
    },

    /**
     * Look a hash up. A missing or unknown key is a failed authentication: `authFailure` tells the framework code to
     * report it (see `refuseKey`).
     * @param {{ apiKey: unknown, hash: unknown }} input
     * @returns {Reply & { authFailure?: true }}
     */
    scan({ apiKey, hash }) {
      if (typeof apiKey !== 'string' || !keys.has(apiKey)) {
        return {
          status: 401,
          authFailure: true,
          headers: { 'WWW-Authenticate': 'ApiKey header="X-API-Key"' },
          body: {
            error: 'Unauthorized',
            detail: 'Missing or unknown X-API-Key (POST /auth/login gives one)',
          },
        }
      }
      if (typeof hash !== 'string' || !HASH.test(hash)) {
        return {
          status: 400,
          body: { error: 'Bad Request', detail: 'hash must be an MD5, SHA-1 or SHA-256 in hex' },
        }
      }
      // A made-up but stable verdict, so the demo has something to return.
      const score = createHash('sha256').update(hash.toLowerCase()).digest()[0] ?? 0
      const verdict = score < 8 ? 'malicious' : score < 32 ? 'suspicious' : 'clean'
      return {
        status: 200,
        body: {
          hash: hash.toLowerCase(),
          type: HASH_TYPES[/** @type {32 | 40 | 64} */ (hash.length)],
          verdict,
          engines: { detected: verdict === 'clean' ? 0 : Math.ceil(score / 4), total: 64 },
        },
      }
    },
  }
}

/** @typedef {ReturnType<typeof createApi>} Api */

/**
 * The answer to a bad API key. It reports the failure itself and waits for the engine's decision, so the request
 * that crosses the limit is already refused with the ban (403) instead of a 401. (A plain 401 would be counted too,
 * by the adapter, after the response.)
 * @param {{ reportAuthFailure(): Promise<import('@bulwark/core').Decision | undefined> } | null | undefined} state
 *   `req.bulwark`, `request.bulwark` or `ctx.state.bulwark`
 * @param {Reply} unauthorized the 401 to send otherwise
 * @returns {Promise<Reply>}
 */
export async function refuseKey(state, unauthorized) {
  const decision = state ? await state.reportAuthFailure() : undefined
  const refusal = decision ? responseFor(decision) : null
  return refusal ? { status: refusal.status, headers: refusal.headers, body: refusal.body } : unauthorized
}

/** @param {{ status?: number, statusCode?: number, type?: string, expose?: boolean }} error @returns {Reply} */
export function errorReply(error) {
  const status = error.status ?? error.statusCode ?? 500
  if (status === 413)
    return { status, body: { error: 'Payload Too Large', detail: 'The body is over 100 kB' } }
  if (status === 400 || status === 415)
    return { status, body: { error: 'Bad Request', detail: 'The body must be valid JSON' } }
  return { status: 500, body: { error: 'Internal Server Error' } }
}
