import type { Cluster, ClusterNode, ClusterOptions, Redis, RedisOptions } from 'ioredis'

/** Where windows take their time from. */
export type ClockSource = 'server' | 'client'

export interface RedisStoreOptions<C extends object = Redis | Cluster> {
  /**
   * `redis://` or `rediss://` URL of a single Redis server. Default: the `REDIS_URL` environment variable when it is
   * set (and no `client` or `cluster` is given), else `redis://127.0.0.1:6379`.
   */
  url?: string
  /** Startup nodes of a Redis Cluster; the store creates an ioredis `Cluster`. */
  cluster?: ClusterNode[]
  /**
   * A client you created, which the store never closes: an ioredis or iovalkey `Redis`/`Cluster`, a node-redis (v4,
   * v5) client or cluster, or a `RedisClient` of your own. Instead of `url` and `cluster`.
   */
  client?: C
  /** Prepended to every key and to the pub/sub channel. No `{` or `}`. Default `bulwark:`. */
  prefix?: string
  /**
   * `server` (default): windows use the Redis server's `TIME` inside the scripts, so app servers with skewed clocks
   * agree. `client`: use `op.now` (tests with a fake clock, or a single app server).
   */
  clock?: ClockSource
  /** A command not answered within this many ms is rejected (clients the store creates). Default 500. */
  commandTimeoutMs?: number
  /** TCP connect timeout for clients the store creates. Default 2000. */
  connectTimeoutMs?: number
  /** Longest wait between reconnection attempts (the wait grows by 100 ms per attempt). Default 2000. */
  maxReconnectDelayMs?: number
  /**
   * Run the script of every request as a Redis function (`FUNCTION LOAD` once, then `FCALL`) where Redis offers them
   * (7.0 and later, Valkey), which costs Redis less per call than EVALSHA; on Redis 6 the store falls back to
   * EVALSHA by itself. `false`: always EVALSHA. Default true.
   */
  functions?: boolean
  /** Extra ioredis options for clients the store creates; they override the store's defaults. */
  redisOptions?: RedisOptions
  /** Extra ioredis Cluster options when `cluster` is set; they override the store's defaults. */
  clusterOptions?: ClusterOptions
}

export interface ResolvedRedisStoreOptions {
  url: string
  prefix: string
  clock: ClockSource
  commandTimeoutMs: number
  connectTimeoutMs: number
  maxReconnectDelayMs: number
  functions: boolean
}

export const REDIS_STORE_DEFAULTS: Readonly<ResolvedRedisStoreOptions> = Object.freeze({
  url: 'redis://127.0.0.1:6379',
  prefix: 'bulwark:',
  clock: 'server',
  commandTimeoutMs: 500,
  connectTimeoutMs: 2000,
  maxReconnectDelayMs: 2000,
  functions: true,
})

/** ioredis options for a client the store creates: fail fast instead of queueing while Redis is away. */
export function safeRedisOptions(o: ResolvedRedisStoreOptions): RedisOptions {
  return {
    commandTimeout: o.commandTimeoutMs,
    connectTimeout: o.connectTimeoutMs,
    // Commands wait for the first connection only (see RedisStore), then fail at once while disconnected.
    enableOfflineQueue: true,
    // A command in flight when the connection drops is failed, not resent: a resent hit could count twice.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * 100, o.maxReconnectDelayMs),
    // How long close() waits for a socket to end before destroying it (ioredis keeps a timer that long).
    disconnectTimeout: 50,
  }
}
