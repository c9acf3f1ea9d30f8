import {
  type BanRecord,
  BulwarkError,
  type HitOp,
  type HitResult,
  type Store,
  type StoreCapabilities,
  type StoreMessage,
} from '@bulwark/core'
import { Cluster, Redis } from 'ioredis'
import {
  clientFamily,
  isRedisClient,
  type RedisClient,
  type Subscription,
  unknownClientError,
} from './client.js'
import { ioredisClient } from './clients/ioredis.js'
import {
  type NodeRedisClientLike,
  type NodeRedisClusterLike,
  type NodeRedisSentinelLike,
  nodeRedisClient,
} from './clients/node-redis.js'
import { closedError, optionsError, storeError } from './errors.js'
import { appendOp, hitCall, type ScriptArg } from './hit-args.js'
import { HitBatcher } from './hit-batcher.js'
import { KeySpace } from './keys.js'
import { banMessagePrefix, decodeMessage, encodeMessage } from './messages.js'
import {
  REDIS_STORE_DEFAULTS,
  type RedisStoreOptions,
  type ResolvedRedisStoreOptions,
  safeRedisOptions,
} from './options.js'
import { decodeBan, decodeOpReply, mergeHits, toRecord } from './replies.js'
import { Scripts } from './scripts.js'

type Listener = (message: StoreMessage) => void
type BanInput = Omit<BanRecord, 'offense'> & { offense?: number }

/** Bans fetched per batch by `listBans`. */
const LIST_BATCH = 256
/** Most requests in one hit call, and most waiting for one (see HitBatcher). */
const HIT_BATCH = 64
const HIT_QUEUE = 10_000

/**
 * The Redis store: one set of counters and bans for every app server. Each `hit` is applied atomically by one Lua
 * call, which on a single server it shares with the hits of the same event-loop turn (on a cluster: one call per
 * slot when the op's subjects live in different slots). See the README for the key layout.
 */
export class RedisStore<C extends object = Redis | Cluster> implements Store {
  readonly name = 'redis'
  /** Shared state: the engine keeps a fallback store and a deadline for it, and needs the shared API-key secret. */
  readonly capabilities: StoreCapabilities = Object.freeze({ local: false })
  /** The client: yours when you passed `client`, else the ioredis `Redis` or `Cluster` the store created. */
  readonly client: C
  /** What the store runs its commands through (see `RedisClient`). */
  readonly connection: RedisClient
  readonly options: Readonly<ResolvedRedisStoreOptions>
  readonly keys: KeySpace
  /** True when the store talks to a Redis Cluster: ops are split per slot and the ban index is kept separately. */
  readonly isCluster: boolean
  /** The last connection error reported by a client the store created, for diagnostics. */
  lastError: Error | null = null

  private readonly owned: boolean
  private readonly scripts: Scripts
  private readonly batcher: HitBatcher
  private readonly serverClock: boolean
  private readonly listeners = new Set<Listener>()
  private subscriber: Subscription | null = null
  /** Settles once the subscriber's SUBSCRIBE is confirmed (or failed). */
  private subscribed: Promise<void> | null = null
  private closed = false
  private readonly onError = (err: Error): void => {
    this.lastError = err
  }
  private readonly failHit = (err: unknown): never => {
    throw storeError('hit', err)
  }

  constructor(options: RedisStoreOptions<C> = {}) {
    const o = resolveOptions(options)
    this.options = o
    this.keys = new KeySpace(o.prefix)
    this.serverClock = o.clock === 'server'
    if (options.client !== undefined) {
      this.client = options.client
      this.connection = toRedisClient(options.client)
      this.owned = false
    } else {
      const client = options.cluster !== undefined ? createCluster(options, o) : createRedis(options, o)
      this.client = client as unknown as C
      this.connection = ioredisClient(client)
      this.owned = true
      client.on('error', this.onError)
      const userQueue =
        options.cluster !== undefined
          ? options.clusterOptions?.enableOfflineQueue
          : options.redisOptions?.enableOfflineQueue
      if (userQueue === undefined) {
        // Wait for the first connection, then fail fast: commands are rejected at once while Redis is away.
        client.once('ready', () => {
          client.options.enableOfflineQueue = false
        })
      }
    }
    this.isCluster = this.connection.isCluster
    this.scripts = new Scripts(this.connection, o.functions)
    this.batcher = new HitBatcher(this.sendHits, decodeOpReply, (err) => storeError('hit', err), {
      maxBatch: HIT_BATCH,
      maxQueue: HIT_QUEUE,
    })
  }

  /**
   * Resolves once the client is connected and ready. Rejects if the connection ends first, or with
   * `ERR_BULWARK_STORE_TIMEOUT` when `timeoutMs` is given and passes first (the client keeps trying to connect).
   */
  ready(options: { timeoutMs?: number } = {}): Promise<void> {
    const c = this.connection
    const state = c.state()
    if (this.closed || state === 'end') return Promise.reject(closedError())
    if (state === 'ready') return Promise.resolve()
    const { timeoutMs } = options
    if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs >= 0)) {
      return Promise.reject(optionsError(`ready() timeoutMs must be a number ≥ 0, got ${String(timeoutMs)}`))
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const done = (): void => {
        clearTimeout(timer)
        offReady()
        offEnd()
      }
      const onReady = (): void => {
        done()
        resolve()
      }
      const onEnd = (): void => {
        done()
        reject(storeError('connect', this.lastError ?? new Error('connection ended')))
      }
      const offReady = c.once('ready', onReady)
      const offEnd = c.once('end', onEnd)
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          done()
          const last = this.lastError === null ? '' : ` (last error: ${this.lastError.message})`
          reject(
            new BulwarkError(
              'ERR_BULWARK_STORE_TIMEOUT',
              `Redis was not ready within ${timeoutMs} ms${last}`,
            ),
          )
        }, timeoutMs)
        timer.unref()
      }
      if (state === 'idle') c.connect()
    })
  }

  /** The Redis server's clock (`TIME`) in ms; on a cluster, the clock of whichever node answers. */
  async serverTime(): Promise<number> {
    this.assertOpen()
    try {
      const [s, us] = (await this.connection.command('time', [])) as [string, string]
      return Number(s) * 1000 + Math.floor(Number(us) / 1000)
    } catch (err) {
      throw storeError('time', err)
    }
  }

  /**
   * On a single server, the requests of one event-loop turn share one call (see HitBatcher); each is still applied on
   * its own, in order, atomically.
   */
  hit(op: HitOp): Promise<HitResult> {
    if (this.closed) return Promise.reject(closedError())
    if (!this.isCluster) return this.batcher.push(op)
    const now = this.nowArg(op.now)
    if (op.subjects.length <= 1) return this.hitSlot(op, op.subjects, now)
    // Subjects hash to different slots: one call per subject, in parallel, merged as one call would answer.
    return Promise.all(op.subjects.map((s) => this.hitSlot(op, [s], now))).then(mergeHits)
  }

  /** One call for a batch of ops; an op the script cannot take fails alone, with the others sent. */
  private readonly sendHits = (ops: readonly HitOp[]): Promise<unknown[]> => {
    const call = hitCall(this.keys, true)
    let refused: Map<number, Error> | null = null
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as HitOp
      try {
        appendOp(call, this.keys, op, op.subjects, this.nowArg(op.now))
      } catch (err) {
        refused ??= new Map()
        refused.set(i, err instanceof Error ? err : new Error(String(err)))
      }
    }
    if (refused === null) return this.scripts.send('hit', call.keys, call.args) as Promise<unknown[]>
    const errors = refused
    if (errors.size === ops.length) return Promise.resolve(ops.map((_, i) => errors.get(i)))
    return (this.scripts.send('hit', call.keys, call.args) as Promise<unknown[]>).then((replies) => {
      let r = 0
      return ops.map((_, i) => errors.get(i) ?? replies[r++])
    })
  }

  private hitSlot(op: HitOp, subjects: HitOp['subjects'], now: string): Promise<HitResult> {
    const call = hitCall(this.keys, false)
    try {
      appendOp(call, this.keys, op, subjects, now)
    } catch (err) {
      return Promise.reject(storeError('hit', err))
    }
    return this.scripts
      .run('hit', call.keys, call.args)
      .then((replies) => decodeOpReply((replies as unknown[])[0]))
      .catch(this.failHit)
      .then((r) => {
        const ban = r.ban
        if (ban === null || !ban.created) return r
        // The ban is written and enforced; the listing index lives in another slot and is kept best effort.
        return this.scripts.run('indexBan', [this.keys.banIndex], [ban.subject, ban.expiresAt, r.now]).then(
          () => r,
          (err: unknown) => {
            this.lastError = err instanceof Error ? err : new Error(String(err))
            return r
          },
        )
      })
  }

  async setBan(input: BanInput): Promise<BanRecord> {
    this.assertOpen()
    const keys = this.subjectKeys(input.subject)
    const args: ScriptArg[] = [
      this.serverClock ? '' : input.createdAt,
      input.subject,
      input.rule,
      input.createdAt,
      input.expiresAt,
      input.offense ?? 1,
      input.enforced ? '1' : '0',
      input.note === undefined ? '' : `=${input.note}`,
      input.count ?? '',
      input.limit ?? '',
      this.keys.channel,
      banMessagePrefix(input.subject),
      this.isCluster ? '0' : '1',
    ]
    try {
      const ban = toRecord(decodeBan((await this.scripts.run('setBan', keys, args)) as never))
      if (this.isCluster) {
        // The script ran at createdAt (its clock); keep the index in step.
        if (ban.expiresAt > ban.createdAt) {
          await this.scripts.run(
            'indexBan',
            [this.keys.banIndex],
            [ban.subject, ban.expiresAt, ban.createdAt],
          )
        } else {
          await this.connection.command('zrem', [this.keys.banIndex, ban.subject], this.keys.banIndex)
        }
      }
      return ban
    } catch (err) {
      throw storeError('setBan', err)
    }
  }

  async deleteBan(subject: string): Promise<boolean> {
    this.assertOpen()
    const keys = this.subjectKeys(subject)
    const message = encodeMessage({ type: 'unban', subject })
    try {
      const [existed] = await Promise.all([
        this.scripts.run('deleteBan', keys, [
          subject,
          this.keys.channel,
          message,
          this.isCluster ? '0' : '1',
        ]),
        this.isCluster
          ? this.connection.command('zrem', [this.keys.banIndex, subject], this.keys.banIndex)
          : undefined,
      ])
      return existed === 1
    } catch (err) {
      throw storeError('deleteBan', err)
    }
  }

  async getBan(subject: string, now: number): Promise<BanRecord | null> {
    this.assertOpen()
    try {
      const [, ban] = (await this.scripts.run(
        'getBan',
        [this.keys.subject(subject).ban],
        [this.nowArg(now), subject],
      )) as [number, never | null]
      return ban === null ? null : toRecord(decodeBan(ban))
    } catch (err) {
      throw storeError('getBan', err)
    }
  }

  /** Bans in force, soonest to end first. On the Redis clock `now` is ignored. */
  async listBans(now: number): Promise<BanRecord[]> {
    this.assertOpen()
    try {
      const [at, ...subjects] = (await this.scripts.run(
        'listBans',
        [this.keys.banIndex],
        [this.nowArg(now)],
      )) as [number, ...string[]]
      const out: BanRecord[] = []
      const stale: string[] = []
      for (let i = 0; i < subjects.length; i += LIST_BATCH) {
        const batch = subjects.slice(i, i + LIST_BATCH)
        const replies = await Promise.all(
          batch.map((s) => this.scripts.run('getBan', [this.keys.subject(s).ban], [String(at), s])),
        )
        replies.forEach((reply, j) => {
          const ban = (reply as [number, never | null])[1]
          if (ban === null) stale.push(batch[j] as string)
          else out.push(toRecord(decodeBan(ban)))
        })
      }
      // Index entries whose ban is gone (possible on a cluster, where the index is kept apart).
      if (stale.length > 0) {
        await this.connection.command('zrem', [this.keys.banIndex, ...stale], this.keys.banIndex)
      }
      return out.sort((a, b) => a.expiresAt - b.expiresAt)
    } catch (err) {
      throw storeError('listBans', err)
    }
  }

  async whitelistAdd(entry: string): Promise<void> {
    await this.whitelistChange('add', entry)
  }

  async whitelistRemove(entry: string): Promise<boolean> {
    return (await this.whitelistChange('remove', entry)) === 1
  }

  /**
   * The shared whitelist. When a subscription is being set up, waits for it first (up to `commandTimeoutMs`), so an
   * engine that loads the list at start cannot miss a change published between the load and the subscription.
   */
  async whitelistList(): Promise<string[]> {
    this.assertOpen()
    if (this.subscribed !== null) await this.untilSubscribed(this.subscribed)
    try {
      const members = await this.connection.command('smembers', [this.keys.whitelist], this.keys.whitelist)
      return (members as string[]).sort()
    } catch (err) {
      throw storeError('whitelistList', err)
    }
  }

  private async whitelistChange(action: 'add' | 'remove', entry: string): Promise<unknown> {
    this.assertOpen()
    const message = encodeMessage({ type: 'whitelist', action, entry })
    try {
      return await this.scripts.run(
        'whitelist',
        [this.keys.whitelist],
        [action, entry, this.keys.channel, message],
      )
    } catch (err) {
      throw storeError(`whitelist ${action}`, err)
    }
  }

  /**
   * Receive every change published on this store's channel (by any process, this one included). The first
   * subscription opens a dedicated connection (`client.duplicate()`); the last unsubscribe closes it.
   */
  subscribe(listener: Listener): () => void {
    this.assertOpen()
    this.listeners.add(listener)
    if (this.subscriber === null) this.subscriber = this.openSubscriber()
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) void this.closeSubscriber()
    }
  }

  private openSubscriber(): Subscription {
    const sub = this.connection.subscribe(
      this.keys.channel,
      (raw) => {
        const message = decodeMessage(raw)
        if (message === null) return
        for (const l of this.listeners) {
          try {
            l(message)
          } catch {
            // A failing listener must not keep the others from their message.
          }
        }
      },
      this.onError,
    )
    this.subscribed = sub.ready
    return sub
  }

  private untilSubscribed(subscribed: Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.commandTimeoutMs)
      timer.unref()
    })
    return Promise.race([subscribed, timeout]).finally(() => clearTimeout(timer))
  }

  private async closeSubscriber(): Promise<void> {
    const sub = this.subscriber
    this.subscriber = null
    this.subscribed = null
    if (sub !== null) await sub.close()
  }

  /** Close the subscriber connection and, when the store created it, the client. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.listeners.clear()
    // Hits still waiting are written before QUIT, which lets their replies arrive first.
    this.batcher.flush()
    await Promise.all([this.closeSubscriber(), this.owned ? this.connection.close() : undefined])
  }

  /** KEYS of setBan and deleteBan: the ban, the offense, the built-in counters and, on a single server, the index. */
  private subjectKeys(subject: string): string[] {
    const keys = this.keys.managed(subject)
    if (!this.isCluster) keys.push(this.keys.banIndex)
    return keys
  }

  private nowArg(now: number): string {
    // Scripts keep integral milliseconds (see lua/shared.ts).
    return this.serverClock ? '' : String(Math.floor(now))
  }

  private assertOpen(): void {
    if (this.closed) throw closedError()
  }
}

/** The `RedisClient` for a client you passed: as it is, or by its family. */
function toRedisClient(client: object): RedisClient {
  if (isRedisClient(client)) return client
  const family = clientFamily(client)
  if (family === 'ioredis') return ioredisClient(client as Redis | Cluster)
  if (family === 'node-redis') {
    return nodeRedisClient(client as NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike)
  }
  throw unknownClientError(client)
}

function resolveOptions(options: RedisStoreOptions<object>): ResolvedRedisStoreOptions {
  const o: ResolvedRedisStoreOptions = { ...REDIS_STORE_DEFAULTS }
  for (const key of Object.keys(REDIS_STORE_DEFAULTS) as (keyof ResolvedRedisStoreOptions)[]) {
    const v = options[key]
    if (v !== undefined) (o as unknown as Record<string, unknown>)[key] = v
  }
  if (typeof o.prefix !== 'string' || /[{}]/.test(o.prefix)) {
    throw optionsError(
      `RedisStore option prefix must be a string without { or }, got ${JSON.stringify(o.prefix)}`,
    )
  }
  if (typeof o.functions !== 'boolean') {
    throw optionsError(
      `RedisStore option functions must be true or false, got ${JSON.stringify(o.functions)}`,
    )
  }
  if (o.clock !== 'server' && o.clock !== 'client') {
    throw optionsError(`RedisStore option clock must be 'server' or 'client', got ${JSON.stringify(o.clock)}`)
  }
  for (const key of ['commandTimeoutMs', 'connectTimeoutMs', 'maxReconnectDelayMs'] as const) {
    if (!Number.isSafeInteger(o[key]) || o[key] < 1) {
      throw optionsError(`RedisStore option ${key} must be a positive integer, got ${String(o[key])}`)
    }
  }
  if ([options.client, options.url, options.cluster].filter((v) => v !== undefined).length > 1) {
    throw optionsError('RedisStore takes one of client, url or cluster')
  }
  const fromEnv = process.env.REDIS_URL
  if (options.url === undefined && options.client === undefined && options.cluster === undefined && fromEnv) {
    if (!/^rediss?:\/\//.test(fromEnv)) {
      throw optionsError(
        `Environment variable REDIS_URL=${JSON.stringify(fromEnv.slice(0, 60))} is invalid: expected a redis:// or rediss:// URL`,
      )
    }
    o.url = fromEnv
  }
  return o
}

function createRedis(options: RedisStoreOptions<object>, o: ResolvedRedisStoreOptions): Redis {
  return new Redis(o.url, { ...safeRedisOptions(o), ...options.redisOptions })
}

function createCluster(options: RedisStoreOptions<object>, o: ResolvedRedisStoreOptions): Cluster {
  const { enableOfflineQueue: _q, retryStrategy: _r, enableAutoPipelining: _p, ...node } = safeRedisOptions(o)
  return new Cluster(options.cluster ?? [], {
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    clusterRetryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
    ...options.clusterOptions,
    redisOptions: { ...node, ...options.redisOptions, ...options.clusterOptions?.redisOptions },
  })
}
