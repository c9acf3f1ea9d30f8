import { createBulwark, type HitOp, MemoryStore, silentLogger } from '@bulwark/core'
import { afterEach, expect, test } from 'vitest'
import { crowdsecBouncer, crowdsecSource } from '../src/index.js'
import { describeLapi } from './helpers/lapi.js'

/** A memory store that counts the engine's per-request store calls. */
class CountingStore extends MemoryStore {
  hits = 0
  override hit(op: HitOp) {
    this.hits++
    return super.hit(op)
  }
}

const request = (ip: string) => ({ ip, method: 'GET', path: '/', headers: {} })

describeLapi('bouncer in an engine', (lapi) => {
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
    await lapi()
      .cscli('decisions', 'delete', '--all')
      .catch(() => '')
  })

  test('a decision refuses its addresses with 403 before any store call; lifting it lets them in', async () => {
    await lapi().cscli(
      'decisions',
      'add',
      '--range',
      '203.0.113.0/24',
      '--duration',
      '1h',
      '--reason',
      'scanners',
    )
    await lapi().cscli('decisions', 'add', '--ip', '2001:db8::7', '--duration', '30m', '--reason', 'v6 probe')
    const store = new CountingStore()
    const bouncer = crowdsecBouncer({ url: lapi().url, apiKey: lapi().apiKey, intervalMs: 60_000 })
    const engine = createBulwark({ store, deny: [bouncer], logger: silentLogger })
    closers.push(() => engine.close())
    await engine.ready

    const refused = await engine.inspect(request('203.0.113.77'))
    expect(refused).toMatchObject({ conclusion: 'block', status: 403, rule: 'deny', enforced: true })
    expect(refused.evidence).toMatchObject({ source: 'crowdsec', matched: '203.0.113.0/24' })
    expect(await engine.inspect(request('2001:db8::7'))).toMatchObject({ conclusion: 'block', rule: 'deny' })
    expect(store.hits).toBe(0)
    expect(await engine.inspect(request('192.0.2.1'))).toMatchObject({ conclusion: 'allow' })
    expect(store.hits).toBe(1)

    const bans = await engine.listBans()
    const range = bans.find((b) => b.target === '203.0.113.0/24')
    expect(range).toMatchObject({ source: 'crowdsec', rule: 'deny' })
    // the decision's duration: what is left of one hour
    expect(range?.ttlS).toBeGreaterThan(3600 - 60)
    expect(range?.ttlS).toBeLessThanOrEqual(3600)

    await lapi().cscli('decisions', 'delete', '--range', '203.0.113.0/24')
    await bouncer.sync()
    expect(await engine.inspect(request('203.0.113.77'))).toMatchObject({ conclusion: 'allow' })
    expect(await engine.inspect(request('2001:db8::7'))).toMatchObject({ conclusion: 'block' })

    await engine.close()
    expect(bouncer.stats().state).toBe('closed')
  })

  test('both ways: instance A bans, the LAPI gets it, instance B refuses that address at its next pull', async () => {
    const a = createBulwark({ burst: { limit: 5, windowMs: 1000 }, logger: silentLogger })
    const source = crowdsecSource({ url: lapi().url, machineId: lapi().machineId, password: lapi().password })
    source.attach(a)
    const bouncer = crowdsecBouncer({ url: lapi().url, apiKey: lapi().apiKey, intervalMs: 60_000 })
    const b = createBulwark({ deny: [bouncer], logger: silentLogger })
    closers.push(
      () => source.close(),
      () => a.close(),
      () => b.close(),
    )
    await b.ready
    expect(await b.inspect(request('198.51.100.61'))).toMatchObject({ conclusion: 'allow' })

    for (let i = 0; i < 6; i++) await a.inspect(request('198.51.100.61'))
    await source.flush()
    await bouncer.sync()
    const decision = await b.inspect(request('198.51.100.61'))
    expect(decision).toMatchObject({ conclusion: 'block', rule: 'deny', evidence: { source: 'crowdsec' } })
    expect(decision.reason).toContain('bulwark/burst')

    // and a.unban() lifts it everywhere
    await a.unban('198.51.100.61')
    await source.flush()
    await bouncer.sync()
    expect(await b.inspect(request('198.51.100.61'))).toMatchObject({ conclusion: 'allow' })
  })
})
