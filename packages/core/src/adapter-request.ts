// The per-request part the three adapters share: facts from the Node request under every framework's request, a
// decision that never throws, and the state handlers see as `req.bulwark` / `request.bulwark` / `ctx.state.bulwark`.

import type { IncomingMessage } from 'node:http'
import { type AdapterRuntime, type HttpResponse, passHeaders, responseFor } from './http.js'
import type { Decision, RequestFacts } from './types.js'

/** What a handler sees as the request's Bulwark state. */
export interface BulwarkRequestState {
  /** The engine's decision for this request; `undefined` when the engine failed and the request was served. */
  readonly decision: Decision | undefined
  /**
   * Count a failed authentication for this request's client (IP and API key). Counted once per request: a response
   * that also has an auth-failure status is not counted again.
   */
  reportAuthFailure(): Promise<Decision | undefined>
}

export class RequestState<Req> implements BulwarkRequestState {
  /** True once this request was counted as an auth failure, or answered by Bulwark itself. */
  private done = false

  constructor(
    readonly decision: Decision | undefined,
    private readonly runtime: AdapterRuntime<Req>,
    private readonly facts: RequestFacts,
    private readonly req: Req,
  ) {}

  reportAuthFailure(): Promise<Decision | undefined> {
    this.done = true
    return this.runtime.engine.reportAuthFailure(this.facts).then(undefined, (error: unknown) => {
      this.runtime.failOpen(error)
      return undefined
    })
  }

  /** The response Bulwark answers with instead of the app, or null when the request goes on. */
  refusal(): HttpResponse | null {
    if (this.decision === undefined) return null
    const response = responseFor(this.decision, this.runtime.response)
    if (response !== null) this.done = true
    return response
  }

  /** RateLimit headers for a request that goes on; none unless endpoint limits are enforced. */
  passHeaders(): Record<string, string> | null {
    if (this.decision === undefined || this.runtime.engine.options.endpoints?.mode !== 'enforce') return null
    return passHeaders(this.decision, this.runtime.response)
  }

  /** The response is finished: count it as an auth failure when its status says so, unless already counted. */
  finished(status: number): void {
    if (!this.done && this.runtime.isAuthFailure(status, this.req)) void this.reportAuthFailure()
  }
}

/** What the engine needs to know, read from the Node request under the framework's request. */
export function nodeFacts<Req>(
  runtime: AdapterRuntime<Req>,
  req: Req,
  raw: IncomingMessage,
  path: string,
): RequestFacts {
  const headers = raw.headers
  return {
    ip: raw.socket.remoteAddress,
    method: raw.method ?? 'GET',
    path,
    headers,
    apiKey: runtime.apiKey(req, headers),
    item: runtime.item(req),
  }
}

/** A URL's path without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

/**
 * Inspect and continue with `then(state)` — synchronously when the store is synchronous (the memory store), so an
 * adapter adds no promise or microtask to an allowed request. Never throws or rejects because of the engine: a
 * failure is reported through `failOpen` (the engine's `error` event) and the request goes on with an undecided
 * state.
 */
export function inspectRequest<Req, R>(
  runtime: AdapterRuntime<Req>,
  req: Req,
  facts: RequestFacts,
  then: (state: RequestState<Req>) => R,
): R | Promise<R> {
  const failed = (error: unknown): R => {
    runtime.failOpen(error)
    return then(new RequestState<Req>(undefined, runtime, facts, req))
  }
  let pending: Decision | Promise<Decision>
  try {
    pending = runtime.engine.decide(facts)
  } catch (error) {
    return Promise.resolve().then(() => failed(error))
  }
  if (pending instanceof Promise) {
    return pending.then((d) => then(new RequestState(d, runtime, facts, req)), failed)
  }
  return then(new RequestState(pending, runtime, facts, req))
}
