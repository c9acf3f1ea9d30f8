/**
 * `safeDispatcher()`: an undici `Agent` whose every connection, including each redirect hop of
 * `fetch`, goes through the connect-time guard.
 */
import { Agent, buildConnector } from 'undici'
import { createConnectGuard, type SafeConnectOptions } from './connect-guard.js'

/** Options of `safeDispatcher`. */
export interface SafeDispatcherOptions extends SafeConnectOptions {
  /** Options for undici's `Agent` (timeouts, pool sizes, …). Its `connect` is always the guarded connector. */
  readonly agent?: Omit<Agent.Options, 'connect'>
  /** TLS and socket options for the connector (`ca`, `timeout`, …); `lookup` and `socketPath` are always overridden. */
  readonly connect?: buildConnector.BuildOptions
}

/**
 * Returns an undici `Agent` for `fetch(url, { dispatcher })` (undici's `fetch` or Node's global one)
 * or `request`. Before connecting it checks the scheme, port and host with the `checkUrl` rules;
 * it resolves host names itself, fails unless every address is public, and connects only to the
 * addresses it checked. IP literals and redirect hops are checked the same way. A blocked
 * connection fails the request with a `ValidationError` (as `cause` of fetch's `TypeError`).
 */
export function safeDispatcher(options: SafeDispatcherOptions = {}): Agent {
  const guard = createConnectGuard(options)
  const connector = buildConnector({
    ...options.connect,
    lookup: guard.lookup,
  } as buildConnector.BuildOptions)
  const connect: buildConnector.connector = (opts, callback) => {
    const error = guard.target(opts.protocol, opts.hostname, opts.port, opts.socketPath)
    if (error) {
      callback(error, null)
      return
    }
    connector(opts, callback)
  }
  return new Agent({ ...options.agent, connect })
}
