import { describe, expect, it } from 'vitest'
import { createBulwark, type HitOp, type HitResult, MemoryStore, type Store } from '../src/index.js'

/** A store that answers later: it keeps each op until then, so the engine must not reuse an op it handed over. */
function laterStore(): { store: Store; seen: string[] } {
  const inner = new MemoryStore()
  const seen: string[] = []
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'hit') {
        return (op: HitOp): Promise<HitResult> =>
          new Promise((resolve) =>
            setImmediate(() => {
              seen.push(op.subjects.map((s) => s.key).join(','))
              resolve(inner.hit(op))
            }),
          )
      }
      return Reflect.get(target, prop, receiver)
    },
  }) as Store
  return { store, seen }
}

describe('the store op of a request', () => {
  it('is never reused while a store that answers later still holds it', async () => {
    const { store, seen } = laterStore()
    const engine = createBulwark({ store, logger: false, burst: { limit: 1, windowMs: 1000 } })
    const ips = ['198.51.100.1', '198.51.100.2', '198.51.100.3']
    const first = await Promise.all(
      ips.map((ip) => engine.decide({ ip, method: 'GET', path: '/', headers: {} })),
    )
    expect(first.map((d) => d.conclusion)).toEqual(['allow', 'allow', 'allow'])
    expect(seen).toEqual(ips.map((ip) => `ip:${ip}`))
    // Each address's second request trips its own burst limit (1): the counts went to the right subjects.
    const second = await Promise.all(
      ips.map((ip) => engine.decide({ ip, method: 'GET', path: '/', headers: {} })),
    )
    expect(second.map((d) => d.subject.ip)).toEqual(ips)
    expect(second.every((d) => d.conclusion === 'block')).toBe(true)
    await engine.close()
  })

  it('a synchronous store gets a fresh answer each call: decisions do not share state', () => {
    const engine = createBulwark({ logger: false, burst: { limit: 2, windowMs: 1000 } })
    const a = engine.decide({ ip: '203.0.113.1', method: 'GET', path: '/', headers: {} })
    const b = engine.decide({ ip: '203.0.113.2', method: 'GET', path: '/', headers: { 'x-api-key': 'k' } })
    expect(a).not.toBeInstanceOf(Promise)
    expect([
      (a as { subject: { ip: string } }).subject.ip,
      (b as { subject: { ip: string } }).subject.ip,
    ]).toEqual(['203.0.113.1', '203.0.113.2'])
    for (let i = 0; i < 2; i++) engine.decide({ ip: '203.0.113.1', method: 'GET', path: '/', headers: {} })
    const c = engine.decide({ ip: '203.0.113.2', method: 'GET', path: '/', headers: {} })
    expect((c as { conclusion: string }).conclusion).toBe('allow')
  })
})
