import { connect } from 'node:net'

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** True when a Redis server answers PING at `url` within `timeoutMs` (raw RESP, no client library). */
export function pingRedis(url: string, timeoutMs: number): Promise<boolean> {
  const u = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname || '127.0.0.1', port: Number(u.port || 6379) })
    let reply = ''
    const done = (ok: boolean): void => {
      clearTimeout(timer)
      socket.destroy()
      resolve(ok)
    }
    const timer = setTimeout(() => done(false), timeoutMs)
    socket.on('connect', () => {
      const auth = u.password
        ? `AUTH ${decodeURIComponent(u.username || 'default')} ${decodeURIComponent(u.password)}\r\n`
        : ''
      socket.write(`${auth}PING\r\n`)
    })
    socket.on('data', (d) => {
      reply += d.toString()
      if (reply.includes('+PONG')) done(true)
      else if (reply.includes('-')) done(false)
    })
    socket.on('error', () => done(false))
  })
}
