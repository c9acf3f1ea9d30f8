import type { HitOp, HitResult } from '@bulwark/core'
import { describe, expect, it } from 'vitest'
import { HitBatcher } from '../src/hit-batcher.js'

// The scheduling of shared calls, with a scripted `send` (the Redis side is tested against a real server in
// round-trip.test.ts). Each op's `now` identifies it; a reply echoes it.
const opAt = (now: number): HitOp => ({
  now,
  subjects: [],
  ban: { ttlMs: 1, factor: 1, maxTtlMs: 1, historyMs: 0, jitter: 0 },
})
const turn = () => new Promise((r) => setImmediate(r))

function harness(options = { maxBatch: 3, maxQueue: 5 }) {
  const calls: { ops: number[]; answer: (replies: unknown[]) => void; fail: (err: Error) => void }[] = []
  const batcher = new HitBatcher(
    (ops) =>
      new Promise((resolve, reject) => {
        calls.push({ ops: ops.map((o) => o.now), answer: resolve, fail: reject })
      }),
    (reply, _op) => ({ ban: null, counts: [], now: reply as number }) satisfies HitResult,
    (err) => Object.assign(new Error(`wrapped: ${(err as Error).message}`), { code: 'X' }),
    options,
  )
  return { calls, batcher }
}

describe('HitBatcher', () => {
  it('sends the ops of one event-loop turn in one call when the turn ends; later turns do not wait for it', async () => {
    const { calls, batcher } = harness()
    const first = [1, 2].map((n) => batcher.push(opAt(n)))
    expect(calls).toHaveLength(0)
    await turn()
    expect(calls.map((c) => c.ops)).toEqual([[1, 2]])
    expect(batcher.pending).toBe(2)
    // The first call is still in flight: the next turn's ops go at once, in a call of their own.
    const later = [3, 4].map((n) => batcher.push(opAt(n)))
    await turn()
    expect(calls.map((c) => c.ops)).toEqual([
      [1, 2],
      [3, 4],
    ])
    expect(batcher.pending).toBe(4)
    calls[1]?.answer([3, 4])
    calls[0]?.answer([1, 2])
    expect((await Promise.all(first)).map((r) => r.now)).toEqual([1, 2])
    expect((await Promise.all(later)).map((r) => r.now)).toEqual([3, 4])
    expect(batcher.pending).toBe(0)
  })

  it('splits what waits into calls of maxBatch ops, and refuses ops past maxQueue (waiting or in flight) at once', async () => {
    const { calls, batcher } = harness()
    const pending = [1, 2, 3, 4, 5, 6].map((n) => batcher.push(opAt(n)))
    await expect(pending[5]).rejects.toThrow('wrapped: 5 hits are already waiting for Redis')
    await turn()
    expect(calls.map((c) => c.ops)).toEqual([
      [1, 2, 3],
      [4, 5],
    ])
    // Sent but not answered still counts.
    await expect(batcher.push(opAt(7))).rejects.toThrow('wrapped: 5 hits are already waiting for Redis')
    calls[0]?.answer([1, 2, 3])
    calls[1]?.answer([4, 5])
    expect((await Promise.all(pending.slice(0, 5))).map((r) => r.now)).toEqual([1, 2, 3, 4, 5])
    const again = batcher.push(opAt(8))
    await turn()
    calls[2]?.answer([8])
    expect((await again).now).toBe(8)
  })

  it('an error for one op rejects that op only; a failed call rejects all of its ops, wrapped', async () => {
    const { calls, batcher } = harness()
    const a = [1, 2].map((n) => batcher.push(opAt(n)))
    await turn()
    calls[0]?.answer([new Error('WRONGTYPE'), 2])
    await expect(a[0]).rejects.toThrow('wrapped: WRONGTYPE')
    expect((await a[1])?.now).toBe(2)
    const b = [3, 4].map((n) => batcher.push(opAt(n)))
    await turn()
    calls[1]?.fail(new Error('Connection is closed.'))
    for (const p of b)
      await expect(p).rejects.toMatchObject({ code: 'X', message: 'wrapped: Connection is closed.' })
    // A missing reply is an error too, never a silent success.
    const c = batcher.push(opAt(5))
    await turn()
    calls[2]?.answer([])
    await expect(c).rejects.toThrow('wrapped: no reply for this op')
  })

  it('flush() sends what waits at once (close() uses it before QUIT)', () => {
    const { calls, batcher } = harness()
    void batcher.push(opAt(1))
    batcher.flush()
    expect(calls.map((c) => c.ops)).toEqual([[1]])
  })
})
