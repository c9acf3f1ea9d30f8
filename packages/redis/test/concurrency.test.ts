import { fork } from 'node:child_process'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bundleFixture } from './helpers/fixture.js'
import { uniquePrefix } from './helpers/ops.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'

const PROCESSES = 4
const REQUESTS = 1000

describeRedis('atomic under concurrency: several processes, one IP', () => {
  const admin = adminClient()
  let fixture: Awaited<ReturnType<typeof bundleFixture>> | undefined
  let script: string

  beforeAll(async () => {
    fixture = await bundleFixture('hammer')
    script = fixture.script
  })
  afterAll(async () => {
    await admin.quit()
    fixture?.cleanup()
  })

  const hammer = async (mode: 'burst' | 'endpoint') => {
    const prefix = uniquePrefix(`hammer-${mode}`)
    const children = Array.from({ length: PROCESSES }, () =>
      fork(script, [REDIS_URL, prefix, String(REQUESTS / PROCESSES), mode], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    )
    try {
      const ready = children.map((c) => new Promise((resolve) => c.once('message', resolve)))
      const done = children.map(
        (c) =>
          new Promise<Record<string, number>>((resolve, reject) => {
            c.on('message', (m: { type: string; tally?: Record<string, number> }) => {
              if (m.type === 'done' && m.tally) resolve(m.tally)
            })
            c.once('exit', (code) => reject(new Error(`child exited with ${code} before reporting`)))
          }),
      )
      await Promise.all(ready)
      // All processes start together.
      for (const c of children) c.send('go')
      const tallies = await Promise.all(done)
      const total: Record<string, number> = {}
      for (const t of tallies) for (const [k, v] of Object.entries(t)) total[k] = (total[k] ?? 0) + v
      return { prefix, total, tallies }
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill()
    }
  }

  it(`${PROCESSES} processes send ${REQUESTS} requests for one IP with a burst limit of 600: exactly 600 are allowed`, async () => {
    const { prefix, total, tallies } = await hammer('burst')
    expect(total['allow/primary']).toBe(600)
    const blocked = (total['block/primary'] ?? 0) + (total['block/none'] ?? 0)
    expect(blocked).toBe(400)
    expect(Object.keys(total).every((k) => !k.endsWith('/fallback'))).toBe(true)
    // Every process took part.
    for (const t of tallies) expect(Object.values(t).reduce((a, b) => a + b, 0)).toBe(REQUESTS / PROCESSES)
    const ban = await admin.hgetall(`${prefix}{ip:198.51.100.80}:ban`)
    expect(ban).toMatchObject({ r: 'burst', k: '601', l: '600', e: '1' })
    await deleteUnder(admin, prefix)
  })

  it(`the same with an endpoint limit of 600 per (very long) window: exactly 600 allowed, 400 limited`, async () => {
    const { prefix, total } = await hammer('endpoint')
    expect(total).toEqual({ 'allow/primary': 600, 'limit/primary': 400 })
    await deleteUnder(admin, prefix)
  })
})
