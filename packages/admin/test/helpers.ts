import http, { type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export const TOKEN = 'admin-token-for-tests-0123456789'

export const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` })

/** Listen on a free loopback port; resolves to the base URL. */
export function listen(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo
      resolve(`http://127.0.0.1:${port}`)
    })
  })
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve()
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** A plain Node server around a handler; unhandled paths answer 404 "app". */
export function nodeServer(handle: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>): Server {
  return http.createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404, { 'content-type': 'text/plain' }).end('app')
    })
  })
}

export interface StreamEvent {
  event: string
  data: unknown
}

/** Open an event stream and collect its events; `close()` ends it from the client side. */
export function openStream(url: string, headers: Record<string, string> = bearer()) {
  const events: StreamEvent[] = []
  let onEnd: () => void = () => {}
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve
  })
  let req: http.ClientRequest | undefined
  const opened = new Promise<IncomingMessage>((resolve, reject) => {
    req = http.get(url, { headers, agent: false }, (res) => {
      resolve(res)
      res.setEncoding('utf8')
      let buffer = ''
      res.on('data', (chunk: string) => {
        buffer += chunk
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const event = /^event: (.*)$/m.exec(block)?.[1]
          const data = /^data: (.*)$/m.exec(block)?.[1]
          if (event && data) events.push({ event, data: JSON.parse(data) })
        }
      })
      res.on('error', () => {})
      res.on('close', onEnd)
    })
    req.on('error', reject)
  })
  return { events, opened, ended, close: () => req?.destroy() }
}

/** Poll until `check` is truthy, or fail after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeoutMs = 5000, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
