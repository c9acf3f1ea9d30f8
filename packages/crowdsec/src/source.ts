import type { BanEvent, UnbanEvent } from '@bulwark/core'
import { type BackoffOptions, backoffDelay } from './backoff.js'
import { formatGoDuration } from './duration.js'
import { CrowdSecError } from './errors.js'
import { type FetchLike, type LapiConnection, lapiRequest, lapiUrl } from './http.js'
import { type ErrorListener, ErrorListeners, positiveInt } from './shared.js'

/** What `attach()` needs from an engine: `on`/`off` for `ban` and `unban` (`createBulwark()`'s engine fits). */
export interface BanEventSource {
  on(event: 'ban', listener: (event: BanEvent) => void): unknown
  on(event: 'unban', listener: (event: UnbanEvent) => void): unknown
  off(event: 'ban', listener: (event: BanEvent) => void): unknown
  off(event: 'unban', listener: (event: UnbanEvent) => void): unknown
  /** When present, its rule ids name the scenarios an unban removes. */
  readonly options?: { readonly rules?: readonly { readonly id: string }[] }
}

export interface CrowdSecSourceOptions {
  /** The Local API, e.g. `http://127.0.0.1:8080`. */
  url: string
  /** A machine registered with `cscli machines add <machineId> --password <password>`. */
  machineId: string
  password: string
  /**
   * The origin of the decisions pushed. Default `crowdsec`, as a CrowdSec agent's own: `cscli decisions list` of
   * CrowdSec 1.4 shows only `crowdsec` and `cscli` origins without `--all`.
   */
  origin?: string
  /** Scenario names are `<prefix><rule>`: `bulwark/burst`, `bulwark/manual` … Default `bulwark/`. */
  scenarioPrefix?: string
  /** Push bans of rules in monitor mode too (as simulated decisions). Default false. */
  includeMonitor?: boolean
  /**
   * `engine.unban()` deletes the decisions this source's scenarios made for that address. Default true.
   */
  unban?: boolean
  /** Bans waiting to be sent, at most; when full, the oldest is dropped. Default 1000. */
  queueSize?: number
  /** Alerts per `POST /v1/alerts`. Default 50. */
  batchSize?: number
  /** One request's deadline, in ms. Default 5000. */
  timeoutMs?: number
  /** Waits between retries while the Local API is unreachable. Default `{ baseMs: 1000, maxMs: 60_000 }`. */
  backoff?: Partial<BackoffOptions>
  /** Largest answer read, in bytes. Default 1 MiB. */
  maxResponseBytes?: number
  /** Default the global `fetch`. */
  fetch?: FetchLike
  /** Clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
  /** For tests: the jitter's random source. Default `Math.random`. */
  random?: () => number
}

export interface CrowdSecSourceStats {
  /** Alerts and deletions waiting. */
  queued: number
  /** Alerts the Local API accepted. */
  sent: number
  /** Deletions the Local API made (decisions removed). */
  deleted: number
  /** Bans dropped because the queue was full or `close()` ran out of time. */
  dropped: number
  /** Failed attempts (each is retried). */
  failures: number
  /** `idle`, `sending`, or `retrying` after a failure. */
  state: 'idle' | 'sending' | 'retrying' | 'closed'
}

export interface CrowdSecSource {
  /** Listens to an engine's `ban` (and `unban`) events. Returns a function that stops listening. */
  attach(engine: BanEventSource): () => void
  /** Queues one ban, as an attached engine does. Returns at once; never throws. */
  push(event: BanEvent): void
  /** Resolves when everything queued so far has been sent (or dropped). */
  flush(): Promise<void>
  on(event: 'error', listener: ErrorListener): CrowdSecSource
  off(event: 'error', listener: ErrorListener): CrowdSecSource
  stats(): CrowdSecSourceStats
  /**
   * Stops listening, tries to send what is queued until `timeoutMs` (default 5000), then drops the rest
   * (`ERR_BULWARK_CROWDSEC_CLOSE_TIMEOUT`). No timer is left behind.
   */
  close(options?: { timeoutMs?: number }): Promise<void>
}

type Job =
  | { kind: 'alert'; alert: LapiAlert }
  | { kind: 'delete'; scope: 'ip' | 'range'; value: string; scenarios: readonly string[] }

/** The shape `POST /v1/alerts` takes (CrowdSec's `models.Alert`). */
export interface LapiAlert {
  scenario: string
  scenario_hash: string
  scenario_version: string
  message: string
  events_count: number
  start_at: string
  stop_at: string
  capacity: number
  leakspeed: string
  simulated: boolean
  remediation: boolean
  events: { timestamp: string; meta: { key: string; value: string }[] }[]
  source: { scope: 'Ip' | 'Range'; value: string; ip?: string; range?: string }
  decisions: {
    type: 'ban'
    duration: string
    value: string
    scope: 'Ip' | 'Range'
    origin: string
    scenario: string
    simulated: boolean
  }[]
}

const DEFAULTS = {
  origin: 'crowdsec',
  scenarioPrefix: 'bulwark/',
  queueSize: 1000,
  batchSize: 50,
  timeoutMs: 5000,
  maxResponseBytes: 1 << 20,
  backoff: { baseMs: 1000, maxMs: 60_000 },
} as const

/** An IP ban's target as a CrowdSec source: an address (`Ip`) or a network (`Range`, IPv6 grouped by prefix). */
function scopeOf(target: string): { scope: 'Ip' | 'Range'; value: string } | undefined {
  if (target.length > 64 || !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(target)) return undefined
  return target.includes('/') ? { scope: 'Range', value: target } : { scope: 'Ip', value: target }
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text)

/** The alert for one Bulwark ban, or undefined when it is not an IP ban or has already expired. */
export function alertOf(
  event: BanEvent,
  options: { origin: string; scenarioPrefix: string; now: number },
): LapiAlert | undefined {
  if (typeof event?.subject !== 'string' || !event.subject.startsWith('ip:')) return undefined
  const source = scopeOf(event.subject.slice(3))
  if (source === undefined) return undefined
  const expiresAt = Number(event.expiresAt)
  const remaining = Number.isFinite(expiresAt) ? expiresAt - options.now : Number(event.ttlS) * 1000
  if (!(remaining > 0)) return undefined
  const rule = String(event.rule ?? 'unknown')
    .replace(/[^\w.-]/g, '_')
    .slice(0, 64)
  const scenario = `${options.scenarioPrefix}${rule}`
  const at = new Date(Number.isFinite(event.at) ? event.at : options.now).toISOString()
  const meta: { key: string; value: string }[] = [{ key: 'rule', value: rule }]
  if (event.method) meta.push({ key: 'http_verb', value: clip(String(event.method), 16) })
  if (event.path) meta.push({ key: 'http_path', value: clip(String(event.path), 512) })
  if (event.userAgent) meta.push({ key: 'http_user_agent', value: clip(String(event.userAgent), 512) })
  meta.push({ key: 'offense', value: String(event.offense ?? 1) })
  const simulated = event.enforced === false
  return {
    scenario,
    scenario_hash: '',
    scenario_version: '',
    message: clip(`Bulwark ${rule} ban of ${source.value}: ${String(event.reason ?? '')}`, 1024),
    events_count: 1,
    start_at: at,
    stop_at: at,
    capacity: 0,
    leakspeed: '0',
    simulated,
    remediation: true,
    events: [{ timestamp: at, meta }],
    source: {
      scope: source.scope,
      value: source.value,
      ...(source.scope === 'Ip' ? { ip: source.value } : { range: source.value }),
    },
    decisions: [
      {
        type: 'ban',
        duration: formatGoDuration(remaining),
        value: source.value,
        scope: source.scope,
        origin: options.origin,
        scenario,
        simulated,
      },
    ],
  }
}

/**
 * Pushes Bulwark's bans to a CrowdSec Local API as alerts with decisions, so every CrowdSec bouncer in front of the
 * app (nginx, HAProxy, a firewall) blocks what the app learned. Never in the request path: a ban is queued (bounded),
 * sent in batches by one worker, retried with backoff while the Local API is down.
 */
export function crowdsecSource(options: CrowdSecSourceOptions): CrowdSecSource {
  if (options === null || typeof options !== 'object') {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      'crowdsecSource() needs { url, machineId, password }',
    )
  }
  const url = lapiUrl(options.url, 'crowdsecSource({ url })')
  for (const key of ['machineId', 'password'] as const) {
    if (typeof options[key] !== 'string' || options[key] === '') {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_OPTIONS',
        `crowdsecSource({ ${key} }) is required: the machine made with \`cscli machines add <id> --password <password>\``,
      )
    }
  }
  const origin = options.origin ?? DEFAULTS.origin
  const scenarioPrefix = options.scenarioPrefix ?? DEFAULTS.scenarioPrefix
  if (typeof origin !== 'string' || origin === '' || typeof scenarioPrefix !== 'string') {
    throw new CrowdSecError(
      'ERR_BULWARK_CROWDSEC_OPTIONS',
      'crowdsecSource({ origin, scenarioPrefix }) must be strings',
    )
  }
  const queueSize = positiveInt(options.queueSize, DEFAULTS.queueSize, 'crowdsecSource({ queueSize })')
  const batchSize = positiveInt(options.batchSize, DEFAULTS.batchSize, 'crowdsecSource({ batchSize })')
  const backoff: BackoffOptions = {
    baseMs: positiveInt(
      options.backoff?.baseMs,
      DEFAULTS.backoff.baseMs,
      'crowdsecSource({ backoff.baseMs })',
    ),
    maxMs: positiveInt(options.backoff?.maxMs, DEFAULTS.backoff.maxMs, 'crowdsecSource({ backoff.maxMs })'),
  }
  const conn: LapiConnection = {
    url,
    timeoutMs: positiveInt(options.timeoutMs, DEFAULTS.timeoutMs, 'crowdsecSource({ timeoutMs })'),
    maxResponseBytes: positiveInt(
      options.maxResponseBytes,
      DEFAULTS.maxResponseBytes,
      'crowdsecSource({ maxResponseBytes })',
    ),
    userAgent: 'bulwark-crowdsec-source/0',
    fetch: options.fetch ?? ((u, init) => fetch(u, init)),
  }
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const includeMonitor = options.includeMonitor === true
  const deleteOnUnban = options.unban !== false
  const errors = new ErrorListeners('@bulwark/crowdsec source')

  const queue: Job[] = []
  let dropped = 0
  let sent = 0
  let deleted = 0
  let failures = 0
  let overflowing = false
  let retry = 0
  let timer: NodeJS.Timeout | undefined
  let working = false
  let closed = false
  let token: { value: string; expiresAt: number } | undefined
  let waiters: (() => void)[] = []
  /** Scenarios an unban deletes: every rule of the attached engines and every scenario this source has pushed. */
  const scenarios = new Set<string>([`${scenarioPrefix}manual`])
  const detachers = new Set<() => void>()

  const settleWaiters = () => {
    if (queue.length > 0 || working) return
    const list = waiters
    waiters = []
    for (const resolve of list) resolve()
  }

  const enqueue = (job: Job) => {
    if (closed) return
    if (queue.length >= queueSize) {
      queue.shift()
      dropped++
      if (!overflowing) {
        overflowing = true
        errors.emit(
          new CrowdSecError(
            'ERR_BULWARK_CROWDSEC_QUEUE_FULL',
            `${queueSize} bans are waiting for the Local API at ${url}; the oldest are dropped (raise queueSize, or check the LAPI)`,
          ),
        )
      }
    }
    queue.push(job)
    if (timer === undefined && !working) void work()
  }

  const login = async (): Promise<string> => {
    if (token !== undefined && token.expiresAt - 60_000 > now()) return token.value
    const answer = (await lapiRequest(conn, {
      method: 'POST',
      path: '/v1/watchers/login',
      body: { machine_id: options.machineId, password: options.password, scenarios: [...scenarios] },
    })) as { token?: unknown; expire?: unknown } | null
    if (typeof answer?.token !== 'string') {
      throw new CrowdSecError(
        'ERR_BULWARK_CROWDSEC_RESPONSE',
        'POST /v1/watchers/login: no token in the answer',
      )
    }
    const expire = typeof answer.expire === 'string' ? Date.parse(answer.expire) : Number.NaN
    token = { value: answer.token, expiresAt: Number.isFinite(expire) ? expire : now() + 10 * 60_000 }
    return token.value
  }

  /** Sends the jobs at the head of the queue (a batch of alerts, or one deletion). Throws on failure. */
  const sendHead = async (): Promise<void> => {
    const head = queue[0] as Job
    const authorised = async (send: (jwt: string) => Promise<unknown>) => {
      try {
        return await send(await login())
      } catch (error) {
        // an expired or revoked token: log in again once
        if (error instanceof CrowdSecError && error.status === 401 && token !== undefined) {
          token = undefined
          return send(await login())
        }
        throw error
      }
    }
    if (head.kind === 'alert') {
      let n = 1
      while (n < batchSize && n < queue.length && queue[n]?.kind === 'alert') n++
      const batch = queue.slice(0, n) as { kind: 'alert'; alert: LapiAlert }[]
      await authorised((jwt) =>
        lapiRequest(conn, {
          method: 'POST',
          path: '/v1/alerts',
          headers: { authorization: `Bearer ${jwt}` },
          body: batch.map((job) => job.alert),
        }),
      )
      // the queue may have dropped entries from its head meanwhile: remove exactly the batch sent
      for (const job of batch) {
        const i = queue.indexOf(job)
        if (i >= 0) queue.splice(i, 1)
      }
      sent += batch.length
      return
    }
    for (const scenario of head.scenarios) {
      const answer = (await authorised((jwt) =>
        lapiRequest(conn, {
          method: 'DELETE',
          path: `/v1/decisions?${head.scope}=${encodeURIComponent(head.value)}&scenario=${encodeURIComponent(scenario)}`,
          headers: { authorization: `Bearer ${jwt}` },
        }),
      )) as { nbDeleted?: unknown } | null
      deleted += Number(answer?.nbDeleted) || 0
    }
    const i = queue.indexOf(head)
    if (i >= 0) queue.splice(i, 1)
  }

  const work = async (): Promise<void> => {
    timer = undefined
    if (working) return
    working = true
    try {
      while (queue.length > 0) {
        try {
          await sendHead()
          retry = 0
          errors.reset()
          if (queue.length < queueSize) overflowing = false
        } catch (error) {
          failures++
          retry++
          errors.emit(
            error instanceof CrowdSecError
              ? error
              : new CrowdSecError('ERR_BULWARK_CROWDSEC_NETWORK', String(error), { cause: error }),
          )
          if (closed) return
          timer = setTimeout(() => void work(), backoffDelay(retry, backoff, random))
          timer.unref?.()
          return
        }
      }
    } finally {
      working = false
      settleWaiters()
    }
  }

  const source: CrowdSecSource = {
    attach(engine) {
      if (closed) throw new CrowdSecError('ERR_BULWARK_CROWDSEC_CLOSED', 'attach() was called after close()')
      for (const rule of engine.options?.rules ?? []) {
        if (typeof rule?.id === 'string') scenarios.add(`${scenarioPrefix}${rule.id}`)
      }
      const onBan = (event: BanEvent) => source.push(event)
      const onUnban = (event: UnbanEvent) => {
        try {
          if (!deleteOnUnban || typeof event?.subject !== 'string' || !event.subject.startsWith('ip:')) return
          const target = scopeOf(event.subject.slice(3))
          if (target === undefined) return
          enqueue({
            kind: 'delete',
            scope: target.scope === 'Ip' ? 'ip' : 'range',
            value: target.value,
            scenarios: [...scenarios],
          })
        } catch (error) {
          errors.emit(error)
        }
      }
      engine.on('ban', onBan)
      engine.on('unban', onUnban)
      const detach = () => {
        if (!detachers.delete(detach)) return
        engine.off('ban', onBan)
        engine.off('unban', onUnban)
      }
      detachers.add(detach)
      return detach
    },
    push(event) {
      try {
        if (closed || (event?.enforced === false && !includeMonitor)) return
        // a ban that came from CrowdSec goes back no further
        if ((event as { source?: unknown })?.source === 'crowdsec') return
        const alert = alertOf(event, { origin, scenarioPrefix, now: now() })
        if (alert === undefined) return
        if (scenarios.size < 256) scenarios.add(alert.scenario)
        enqueue({ kind: 'alert', alert })
      } catch (error) {
        errors.emit(error)
      }
    },
    flush() {
      if (queue.length === 0 && !working) return Promise.resolve()
      return new Promise<void>((resolve) => waiters.push(resolve))
    },
    on(event, listener) {
      if (event === 'error') errors.add(listener)
      return source
    },
    off(event, listener) {
      if (event === 'error') errors.delete(listener)
      return source
    },
    stats() {
      return {
        queued: queue.length,
        sent,
        deleted,
        dropped,
        failures,
        state: closed ? 'closed' : working ? 'sending' : timer !== undefined ? 'retrying' : 'idle',
      }
    },
    async close({ timeoutMs = 5000 } = {}) {
      if (closed) return
      for (const detach of [...detachers]) detach()
      // one last prompt attempt for what is queued, within the deadline
      if (timer !== undefined) {
        clearTimeout(timer)
        timer = undefined
        void work()
      }
      let deadline: NodeJS.Timeout | undefined
      await Promise.race([
        source.flush(),
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(deadline)
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      if (queue.length > 0) {
        const left = queue.length
        dropped += left
        queue.length = 0
        errors.emit(
          new CrowdSecError(
            'ERR_BULWARK_CROWDSEC_CLOSE_TIMEOUT',
            `close(): ${left} alert(s) for ${url} were not sent within ${timeoutMs} ms and are dropped`,
          ),
        )
      }
      const list = waiters
      waiters = []
      for (const resolve of list) resolve()
    },
  }
  return source
}
