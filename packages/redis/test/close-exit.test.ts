import { spawn } from 'node:child_process'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { bundleFixture } from './helpers/fixture.js'
import { adminClient, deleteUnder, describeRedis, REDIS_URL } from './helpers/redis.js'
import { freePort } from './helpers/redis-server.js'

describeRedis('close() leaves nothing running', () => {
  let fixture: Awaited<ReturnType<typeof bundleFixture>> | undefined
  let script: string
  beforeAll(async () => {
    fixture = await bundleFixture('close-exit')
    script = fixture.script
  })
  afterAll(() => {
    fixture?.cleanup()
  })

  /** Run the child; resolves with how long it lived after reporting `closed`. */
  const lingerAfterClose = (url: string) =>
    new Promise<{ code: number | null; lingerMs: number; out: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [script, url], { stdio: ['ignore', 'pipe', 'inherit'] })
      let out = ''
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
      })
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(new Error(`the process did not exit: ${out}`))
      }, 15_000)
      child.on('exit', (code) => {
        clearTimeout(timer)
        const closedAt = Number(/closed (\d+)/.exec(out)?.[1] ?? Number.NaN)
        resolve({ code, lingerMs: Date.now() - closedAt, out })
      })
    })

  it('an engine with a RedisStore and its subscriber exits right after close()', async () => {
    const r = await lingerAfterClose(REDIS_URL)
    expect(r.code).toBe(0)
    expect(r.out).toMatch(/^closed \d+\n$/)
    expect(r.lingerMs).toBeLessThan(300)
    const admin = adminClient()
    await deleteUnder(admin, 'exit-')
    await admin.quit()
  })

  it('also when Redis was unreachable the whole time', async () => {
    const r = await lingerAfterClose(`redis://127.0.0.1:${await freePort()}`)
    expect(r.code).toBe(0)
    expect(r.lingerMs).toBeLessThan(300)
  })
})
