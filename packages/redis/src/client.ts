import { optionsError } from './errors.js'

/** One argument of a Redis command. */
export type CommandArg = string | number

/** Where a client is in its life: not connected yet, connecting (or reconnecting), ready, or ended for good. */
export type ClientState = 'idle' | 'connecting' | 'ready' | 'end'

/** A pub/sub subscription opened by `RedisClient.subscribe`. */
export interface Subscription {
  /** Settles once the server confirmed the subscription (or it failed: the error went to `onError`). */
  readonly ready: Promise<void>
  /** Unsubscribe and close the connection the subscription opened, if any. */
  close(): Promise<void>
}

/**
 * The little the store needs from a Redis client: run a command (routed by its key on a cluster), run one on every
 * master (to load the function library), subscribe to a channel, and follow the connection. `ioredisClient` (ioredis
 * and iovalkey) and `nodeRedisClient` (node-redis v4 and v5) implement it; pass your own to use another client.
 *
 * Replies are RESP2 as the clients return them: strings, integers as numbers, nil as null, arrays; a Redis error
 * rejects with an Error whose message starts with the error code (`NOSCRIPT …`).
 */
export interface RedisClient {
  /** The library, for diagnostics: `ioredis`, `node-redis`, … */
  readonly library: string
  /** True for a Redis Cluster: commands are routed by key, and the ban index lives apart from the bans. */
  readonly isCluster: boolean
  /**
   * Run one command (its name in lower case, as ioredis and iovalkey look it up). On a cluster it goes to the master serving `key` (any node without one). `now`: write it at
   * once rather than joining the client's automatic pipeline (the store already batched it).
   */
  command(name: string, args: readonly CommandArg[], key?: string, now?: boolean): Promise<unknown>
  /** Run one command on every master (on a single server: on it). */
  everyMaster(name: string, args: readonly CommandArg[]): Promise<unknown[]>
  /**
   * Subscribe to `channel` on a connection of its own; `onMessage` gets each message as a string, `onError` any
   * error of that connection.
   */
  subscribe(
    channel: string,
    onMessage: (message: string) => void,
    onError: (err: Error) => void,
  ): Subscription
  /** The connection's state now. */
  state(): ClientState
  /** Call `listener` the next time the client becomes ready or ends for good; returns a function that cancels it. */
  once(event: 'ready' | 'end', listener: () => void): () => void
  /** Start connecting a client that is `idle` (created lazily). */
  connect(): void
  /** End the client the store created: QUIT when connected, else drop the connection. Never called on yours. */
  close(): Promise<void>
}

/** True for an object that already is a `RedisClient`. */
export function isRedisClient(value: unknown): value is RedisClient {
  const v = value as Partial<RedisClient> | null
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.command === 'function' &&
    typeof v.everyMaster === 'function' &&
    typeof v.subscribe === 'function' &&
    typeof v.state === 'function'
  )
}

/** Which family a client object belongs to, by its shape (no import of any client library). */
export function clientFamily(value: unknown): 'ioredis' | 'node-redis' | null {
  if (typeof value !== 'object' || value === null) return null
  const v = value as Record<string, unknown>
  // ioredis and iovalkey: `status`, `options`, `duplicate()` and `sendCommand(command)`.
  if (
    typeof v.status === 'string' &&
    typeof v.duplicate === 'function' &&
    typeof v.sendCommand === 'function'
  ) {
    return 'ioredis'
  }
  // node-redis v4/v5 client or cluster: `isOpen` and `sendCommand(args)` / `sendCommand(firstKey, readonly, args)`.
  if ('isOpen' in v && typeof v.sendCommand === 'function') return 'node-redis'
  return null
}

export function unknownClientError(value: unknown): Error {
  const what =
    typeof value === 'object' && value !== null ? (value.constructor?.name ?? 'object') : typeof value
  return optionsError(
    `RedisStore option client must be an ioredis or iovalkey Redis/Cluster, a node-redis client or cluster, or a RedisClient (got ${what})`,
  )
}
