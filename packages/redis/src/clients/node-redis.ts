import type { CommandArg, RedisClient, Subscription } from '../client.js'

type Listener = (...args: unknown[]) => void

/** The part of a node-redis (v4 or v5) client the store uses. */
export interface NodeRedisClientLike {
  readonly isOpen: boolean
  readonly isReady?: boolean
  sendCommand(args: string[]): Promise<unknown>
  duplicate(): NodeRedisClientLike
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  on(event: string, listener: Listener): unknown
  once(event: string, listener: Listener): unknown
  off(event: string, listener: Listener): unknown
  /** v5 */
  close?(): Promise<unknown>
  /** v4 (v5: deprecated) */
  quit?(): Promise<unknown>
  /** v5 */
  destroy?(): void
  disconnect?(): Promise<unknown>
}

/** The part of a node-redis (v4 or v5) cluster the store uses. */
export interface NodeRedisClusterLike {
  readonly isOpen: boolean
  readonly masters: readonly unknown[]
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[]): Promise<unknown>
  nodeClient(node: unknown): NodeRedisClientLike | Promise<NodeRedisClientLike>
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  on(event: string, listener: Listener): unknown
  once(event: string, listener: Listener): unknown
  off(event: string, listener: Listener): unknown
}

/** The part of a node-redis v5 sentinel client (`createSentinel()`) the store uses. */
export interface NodeRedisSentinelLike {
  readonly isOpen: boolean
  readonly isReady: boolean
  sendCommand(isReadonly: boolean | undefined, args: string[]): Promise<unknown>
  getMasterNode(): unknown
  connect(): Promise<unknown>
  subscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  unsubscribe(channel: string, listener: (message: string, channel: string) => void): Promise<unknown>
  on(event: string, listener: Listener): unknown
  once(event: string, listener: Listener): unknown
  off(event: string, listener: Listener): unknown
  close(): Promise<unknown>
}

const strings = (name: string, args: readonly CommandArg[]): string[] => {
  const out = new Array<string>(args.length + 1)
  out[0] = name
  for (let i = 0; i < args.length; i++) out[i + 1] = String(args[i])
  return out
}

const known = new WeakMap<object, RedisClient>()

/**
 * A `RedisClient` over a node-redis client (`createClient()`), cluster (`createCluster()`), v4 or v5, or sentinel
 * client (`createSentinel()`, v5), in RESP2 (the default). Commands go through `sendCommand`, which pipelines what is
 * sent in the same tick. You connect the client (`await client.connect()`); `store.ready()` connects one you have
 * not. Subscriptions use a duplicate of a client, and the cluster's or sentinel's own pub/sub connection otherwise.
 */
export function nodeRedisClient(
  client: NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike,
): RedisClient {
  // One wrapper per client: several stores over one client share it (and its two listeners).
  const seen = known.get(client)
  if (seen !== undefined) return seen
  const isCluster = 'masters' in client && typeof (client as NodeRedisClusterLike).nodeClient === 'function'
  const isSentinel = typeof (client as NodeRedisSentinelLike).getMasterNode === 'function'
  const cluster = client as NodeRedisClusterLike
  const sentinel = client as NodeRedisSentinelLike
  const single = client as NodeRedisClientLike
  let ended = false
  client.on('end', () => {
    ended = true
  })
  client.on('ready', () => {
    ended = false
  })
  const wrapped: RedisClient = {
    library: 'node-redis',
    isCluster,
    command(name, args, key) {
      if (isCluster) return cluster.sendCommand(key, false, strings(name, args))
      if (isSentinel) return sentinel.sendCommand(false, strings(name, args))
      return single.sendCommand(strings(name, args))
    },
    async everyMaster(name, args) {
      if (isSentinel) return [await sentinel.sendCommand(false, strings(name, args))]
      if (!isCluster) return [await single.sendCommand(strings(name, args))]
      return Promise.all(
        cluster.masters.map(async (m) => (await cluster.nodeClient(m)).sendCommand(strings(name, args))),
      )
    },
    subscribe(channel, onMessage, onError) {
      const listener = (message: string, ch: string): void => {
        if (ch === undefined || ch === channel) onMessage(message)
      }
      if (isCluster || isSentinel) {
        // Both keep a pub/sub connection of their own.
        const shared = client as NodeRedisClusterLike
        const ready = shared.subscribe(channel, listener).then(
          () => {},
          (err: Error) => onError(err),
        )
        const subscription: Subscription = {
          ready,
          close: () =>
            shared.unsubscribe(channel, listener).then(
              () => {},
              () => {},
            ),
        }
        return subscription
      }
      const sub = single.duplicate()
      sub.on('error', onError as Listener)
      const ready = sub
        .connect()
        .then(() => sub.subscribe(channel, listener))
        .then(
          () => {},
          (err: Error) => onError(err),
        )
      return { ready, close: () => ready.then(() => closeClient(sub)) }
    },
    state() {
      if (isSentinel)
        return sentinel.isReady ? 'ready' : client.isOpen ? 'connecting' : ended ? 'end' : 'idle'
      if (isCluster) return client.isOpen ? 'ready' : ended ? 'end' : 'idle'
      if (single.isReady === true) return 'ready'
      if (client.isOpen) return 'connecting'
      return ended ? 'end' : 'idle'
    },
    once(event, listener) {
      client.once(event, listener)
      return () => {
        client.off(event, listener)
      }
    },
    connect() {
      if (!client.isOpen) client.connect().catch(() => {})
    },
    close: () => closeClient(client),
  }
  known.set(client, wrapped)
  return wrapped
}

/** Close gracefully (v5 `close`, v4 `quit`), else drop the connection. */
async function closeClient(
  c: NodeRedisClientLike | NodeRedisClusterLike | NodeRedisSentinelLike,
): Promise<void> {
  const x = c as NodeRedisClientLike
  if (!x.isOpen) return
  try {
    if (typeof x.close === 'function') await x.close()
    else if (typeof x.quit === 'function') await x.quit()
  } catch {
    if (typeof x.destroy === 'function') x.destroy()
    else await x.disconnect?.().catch(() => {})
  }
}
