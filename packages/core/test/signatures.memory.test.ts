// Issue 13 item 6: the probe-verdict cache keyed on the full path, so 12,000 requests with 15 KB paths took the heap
// from 13 to 116 MB. Every matcher cache is now bounded in bytes: long keys are never stored, and the total is capped.
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { fakeClock } from '@bulwark/testkit'
import { expect, it } from 'vitest'
import { createBulwark, NOT_FOUND } from '../src/index.js'

/** A full garbage collection, without a flag on the command line: `--expose-gc` set at run time, `gc` from a new context. */
function collect(): () => void {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  return () => {
    gc()
    gc()
  }
}

const MB = 1024 * 1024

it('12,000 requests with 15 KB paths and agents do not grow the heap by more than 8 MB', async () => {
  const gc = collect()
  // One client, counted on nothing that grows with the path: the store holds one subject whatever is sent.
  const engine = createBulwark({ clock: fakeClock(), logger: false, burst: false, suspicion: false })
  const warm = async (i: number) => {
    const pad = `${'a'.repeat(15_000)}-${i}`
    const facts = {
      ip: '203.0.113.50',
      method: 'GET',
      path: `/${pad}`,
      headers: { 'user-agent': `agent ${pad}` },
    }
    const d = await engine.inspect(facts)
    await engine.report(NOT_FOUND, facts)
    return d
  }
  // Shorter paths, under the overlong limit, that the caches do see (and must bound).
  const medium = async (i: number) => {
    const path = `/api/${'b'.repeat(3_000)}/${i}`
    await engine.inspect({
      ip: '203.0.113.50',
      method: 'GET',
      path,
      headers: { 'user-agent': `client/${i}` },
    })
  }
  for (let i = 0; i < 200; i++) await warm(i)
  gc()
  const before = process.memoryUsage().heapUsed
  let last: Awaited<ReturnType<typeof warm>> | undefined
  for (let i = 0; i < 12_000; i++) {
    last = await warm(i + 1_000)
    await medium(i)
  }
  gc()
  const grown = process.memoryUsage().heapUsed - before
  console.log(`heap growth after 12,000 requests with 15 KB paths: ${(grown / MB).toFixed(2)} MB`)
  expect(last?.rule).toBe('probe')
  expect(last?.reason).toMatch(/^Probe path: overlong path \(15\d{3} characters\)/)
  expect(grown).toBeLessThan(8 * MB)
  await engine.close()
}, 60_000)
