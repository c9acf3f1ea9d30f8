import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import { fakeClock } from '@bulwark/testkit'
import Koa from 'koa'
import pino from 'pino'
import { expect, it } from 'vitest'
import { bulwark } from '../src/index.js'

it('takes a pino logger: each line carries event, rule, subject, ttlS, and the human line as msg', async () => {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  const logger = pino({ base: null, timestamp: false }, stream)
  const app = new Koa()
  const mw = bulwark({ logger, clock: fakeClock() })
  app.use(mw)
  app.use((ctx) => {
    ctx.body = { ok: true }
  })
  const server = createServer(app.callback())
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  try {
    for (let i = 0; i < 51; i++) await fetch(url)
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
    await mw.engine.close()
  }
  expect(lines).toEqual([
    expect.objectContaining({
      level: 40,
      event: 'ban',
      rule: 'burst',
      subject: 'ip:127.0.0.1',
      ttlS: 3600,
      msg: expect.stringMatching(/^Security Block activated \| IP: 127\.0\.0\.1 \| Reason: Burst/),
    }),
  ])
})
