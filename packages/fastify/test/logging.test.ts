import { Writable } from 'node:stream'
import { fakeClock } from '@bulwark/testkit'
import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { bulwark } from '../src/index.js'

/** A stream collecting fastify's (pino's) JSON lines. */
function jsonLines() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line !== '') lines.push(JSON.parse(line))
      done()
    },
  })
  return { lines, stream }
}

async function burst(app: ReturnType<typeof Fastify>, n = 51) {
  for (let i = 0; i < n; i++) await app.inject({ method: 'GET', url: '/', remoteAddress: '203.0.113.7' })
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('logging', () => {
  it('logs through fastify.log by default, with fields, when the app has a logger', async () => {
    const { lines, stream } = jsonLines()
    const app = Fastify({ logger: { level: 'warn', stream } })
    await app.register(bulwark, { clock: fakeClock() })
    app.get('/', async () => ({ ok: true }))
    await burst(app)
    await app.close()
    const bans = lines.filter((l) => l.event === 'ban')
    expect(bans).toEqual([
      expect.objectContaining({
        level: 40,
        event: 'ban',
        rule: 'burst',
        subject: 'ip:203.0.113.7',
        ttlS: 3600,
        msg: expect.stringMatching(/^Security Block activated \| IP: 203\.0\.113\.7 \| Reason: Burst/),
      }),
    ])
  })

  it('keeps the console line when the app has no logger, and a given logger wins over fastify.log', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const quiet = Fastify()
    await quiet.register(bulwark, { clock: fakeClock() })
    quiet.get('/', async () => ({ ok: true }))
    await burst(quiet)
    await quiet.close()
    expect(warn.mock.calls.map(([line]) => String(line))).toEqual([
      expect.stringMatching(
        /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[WARNING\] bulwark – Security Block activated \| IP: 203\.0\.113\.7/,
      ),
    ])

    const { lines, stream } = jsonLines()
    const mine: string[] = []
    const app = Fastify({ logger: { level: 'warn', stream } })
    await app.register(bulwark, { clock: fakeClock(), logger: { warn: (m: string) => mine.push(m) } })
    app.get('/', async () => ({ ok: true }))
    await burst(app)
    await app.close()
    expect(mine).toEqual([expect.stringMatching(/^Security Block activated/)])
    expect(lines.filter((l) => l.event === 'ban')).toEqual([])
  })
})
