import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  method: string
  path: string
  headers: IncomingHttpHeaders
  body: string
  /** Date.now() when the request arrived (the fake clock when fake timers are on). */
  at: number
}

export type Reply = { status: number; headers?: Record<string, string>; body?: string } | 'hang'

/**
 * A receiver on 127.0.0.1 and an ephemeral port, imitating Slack, Discord or a generic webhook endpoint.
 * `reply` decides the answer to the n-th request (0-based); 'hang' never answers.
 */
export interface TestReceiver {
  url(path?: string): string
  readonly requests: Received[]
  /** Requests answered with 'hang' and still open. */
  readonly hanging: number
  reply: (request: Received, index: number) => Reply
  close(): Promise<void>
}

export async function startReceiver(
  reply: (request: Received, index: number) => Reply = () => ({ status: 200, body: 'ok' }),
): Promise<TestReceiver> {
  const requests: Received[] = []
  const open = new Set<ServerResponse>()
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const received: Received = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      }
      const index = requests.length
      requests.push(received)
      const answer = receiver.reply(received, index)
      if (answer === 'hang') {
        open.add(res)
        res.on('close', () => open.delete(res))
        return
      }
      res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers })
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const receiver: TestReceiver = {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    requests,
    get hanging() {
      return open.size
    },
    reply,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return receiver
}

/** One turn of the event loop (real I/O can progress; fake timers are not advanced). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

/** Spins the event loop until `condition` holds, without advancing fake time. Fails after 5 s of real time. */
export async function until(condition: () => boolean, what = 'condition'): Promise<void> {
  const start = performance.now()
  while (!condition()) {
    if (performance.now() - start > 5_000) throw new Error(`timed out waiting for ${what}`)
    await turn()
  }
}

/** A few loop turns: enough for a request that was going to be sent to reach the receiver. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await turn()
}
