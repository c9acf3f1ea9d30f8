import { type Cluster, Command, type Redis } from 'ioredis'
import type { ClientState, CommandArg, RedisClient, Subscription } from '../client.js'

/**
 * A `RedisClient` over an ioredis `Redis` or `Cluster`, or an iovalkey `Redis`/`Cluster` (its fork, with the same
 * API). On a single server commands join the client's automatic pipeline unless sent `now`: then they are written at
 * once (a `Command` handed to `sendCommand`, as ioredis does itself). On a cluster they are written at once, routed
 * by their first key.
 */
export function ioredisClient(client: Redis | Cluster): RedisClient {
  const isCluster = client.isCluster === true
  const send = (name: string, args: readonly CommandArg[]): Promise<unknown> => {
    const cmd = new Command(name, args as CommandArg[], {
      replyEncoding: 'utf8',
      keyPrefix: (client as Redis).options?.keyPrefix,
    })
    client.sendCommand(cmd)
    return cmd.promise
  }
  return {
    library: 'ioredis',
    isCluster,
    command(name, args, _key, now) {
      // On a cluster, always at once: iovalkey's automatic pipeline groups commands by their first argument (an
      // EVALSHA's SHA, not its key) and refuses the mix of slots that follows.
      if (now === true || isCluster) return send(name, args)
      return client.call(name, ...args)
    },
    everyMaster(name, args) {
      const nodes: (Redis | Cluster)[] = isCluster ? (client as Cluster).nodes('master') : [client]
      return Promise.all(nodes.map((n) => n.call(name, ...args)))
    },
    subscribe(channel, onMessage, onError) {
      const sub: Redis | Cluster = isCluster
        ? (client as Cluster).duplicate(undefined, { enableOfflineQueue: true, enableAutoPipelining: false })
        : (client as Redis).duplicate({
            enableOfflineQueue: true,
            enableAutoPipelining: false,
            maxRetriesPerRequest: null,
            commandTimeout: undefined,
          })
      sub.on('error', onError)
      sub.on('message', (ch: string, raw: string) => {
        if (ch === channel) onMessage(raw)
      })
      const ready = sub.subscribe(channel).then(
        () => {},
        (err: Error) => onError(err),
      )
      const subscription: Subscription = { ready, close: () => shutdown(sub) }
      return subscription
    },
    state() {
      return stateOf(client.status)
    },
    once(event, listener) {
      client.once(event, listener)
      return () => {
        client.off(event, listener)
      }
    },
    connect() {
      if (client.status === 'wait') client.connect().catch(() => {})
    },
    close: () => shutdown(client),
  }
}

function stateOf(status: string): ClientState {
  if (status === 'ready') return 'ready'
  if (status === 'end') return 'end'
  if (status === 'wait') return 'idle'
  return 'connecting'
}

/**
 * QUIT politely when connected (pending replies arrive first; the connection then ends without reconnecting),
 * otherwise disconnect at once. An ended client is left alone: ioredis would arm a timer waiting for a socket that
 * is already gone.
 */
export async function shutdown(client: Redis | Cluster): Promise<void> {
  if (client.status === 'end') return
  if (client.status === 'ready') {
    try {
      await client.quit()
      return
    } catch {
      // Not answered in time: drop the connection below.
    }
  }
  // The status may have changed while QUIT was pending (TypeScript narrowed it before the await).
  if ((client.status as string) === 'end') return
  client.disconnect()
  // ioredis does not end a client whose socket is already gone (reconnecting): its queued commands would wait for
  // their command timeouts, keeping the process alive. Fail them now, as the end of the connection would.
  if ((client.status as string) !== 'end') {
    ;(client as unknown as { flushQueue?: (error: Error) => void }).flushQueue?.(
      new Error('Connection is closed.'),
    )
  }
}
