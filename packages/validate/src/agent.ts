/**
 * `safeAgent()` and `safeHttpsAgent()`: Node `http.Agent`/`https.Agent` for axios, got and
 * `http.request`, with the same connect-time guard as `safeDispatcher`.
 */
import http from 'node:http'
import https from 'node:https'
import type { Duplex } from 'node:stream'
import { createConnectGuard, type SafeConnectOptions } from './connect-guard.js'

/** Options of `safeAgent`/`safeHttpsAgent`: the URL policy, the resolver, and the Node agent options. */
export interface SafeAgentOptions extends SafeConnectOptions {
  /** Options for the Node agent (`keepAlive`, `maxSockets`, TLS options for https, …). `lookup` is always overridden. */
  readonly agent?: https.AgentOptions
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void

/**
 * An `http.Agent` (for `http:` URLs; pass it as axios `httpAgent`, got `agent.http`) that checks
 * every connection: scheme, port and host by the `checkUrl` rules, IP literals by address, host
 * names by resolving them itself and connecting only to the addresses it checked. Redirects
 * followed by the client go through the agent again and are checked the same way.
 */
export function safeAgent(options: SafeAgentOptions = {}): http.Agent {
  const guard = createConnectGuard(options)
  class SafeHttpAgent extends http.Agent {
    override createConnection(
      opts: http.ClientRequestArgs,
      callback?: ConnectCallback,
    ): Duplex | null | undefined {
      const error = guard.target(
        'http:',
        String(opts.host ?? opts.hostname ?? 'localhost'),
        opts.port ?? 80,
        opts.socketPath,
      )
      if (error) {
        process.nextTick(() => callback?.(error, undefined as unknown as Duplex))
        return undefined
      }
      return super.createConnection({ ...opts, lookup: guard.lookup } as http.ClientRequestArgs, callback)
    }
  }
  return new SafeHttpAgent({ ...options.agent, lookup: guard.lookup } as http.AgentOptions)
}

/** The `https.Agent` counterpart of `safeAgent` (axios `httpsAgent`, got `agent.https`). */
export function safeHttpsAgent(options: SafeAgentOptions = {}): https.Agent {
  const guard = createConnectGuard(options)
  class SafeHttpsAgent extends https.Agent {
    override createConnection(
      opts: https.RequestOptions,
      callback?: ConnectCallback,
    ): Duplex | null | undefined {
      const error = guard.target(
        'https:',
        String(opts.host ?? opts.hostname ?? 'localhost'),
        opts.port ?? 443,
        opts.socketPath,
      )
      if (error) {
        process.nextTick(() => callback?.(error, undefined as unknown as Duplex))
        return undefined
      }
      return super.createConnection({ ...opts, lookup: guard.lookup } as https.RequestOptions, callback)
    }
  }
  return new SafeHttpsAgent({ ...options.agent, lookup: guard.lookup } as https.AgentOptions)
}
