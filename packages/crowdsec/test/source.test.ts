import { createBulwark, silentLogger } from '@bulwark/core'
import { afterEach, expect, test } from 'vitest'
import { crowdsecSource } from '../src/index.js'
import { describeLapi } from './helpers/lapi.js'

describeLapi('source: Bulwark bans become CrowdSec decisions', (lapi) => {
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  test('a ban by a rule appears in `cscli decisions list` with its scenario, origin and duration', async () => {
    const engine = createBulwark({ burst: { limit: 3, windowMs: 1000 }, logger: silentLogger })
    const source = crowdsecSource({ url: lapi().url, machineId: lapi().machineId, password: lapi().password })
    closers.push(
      () => source.close(),
      () => engine.close(),
    )
    const errors: Error[] = []
    source.on('error', (e) => errors.push(e))
    source.attach(engine)

    for (let i = 0; i < 4; i++)
      await engine.inspect({ ip: '198.51.100.23', method: 'GET', path: '/', headers: {} })
    await source.flush()
    expect(errors).toEqual([])
    expect(source.stats()).toMatchObject({ queued: 0, sent: 1, dropped: 0, failures: 0 })

    const decisions = await lapi().decisions('--ip', '198.51.100.23')
    expect(decisions).toHaveLength(1)
    expect(decisions[0]).toMatchObject({
      origin: 'crowdsec',
      scenario: 'bulwark/burst',
      scope: 'Ip',
      type: 'ban',
      value: '198.51.100.23',
      machine_id: 'bulwark-test',
    })
    // the default ban is 1 h: what is left of it, in Go's notation
    expect(decisions[0]?.duration).toMatch(/^59m5\d(\.\d+)?s$/)
  })

  test('an IPv6 group becomes a Range decision; unban deletes Bulwark’s decisions and leaves a cscli ban of the same address', async () => {
    const engine = createBulwark({ logger: silentLogger })
    const source = crowdsecSource({ url: lapi().url, machineId: lapi().machineId, password: lapi().password })
    closers.push(
      () => source.close(),
      () => engine.close(),
    )
    const errors: Error[] = []
    source.on('error', (e) => errors.push(e))
    source.attach(engine)

    await engine.ban('2001:db8:1:2::99', { ttlMs: 600_000, reason: 'probe storm' })
    await engine.ban('198.51.100.40', { reason: 'card testing' })
    await lapi().cscli('decisions', 'add', '--ip', '198.51.100.40', '--duration', '1h', '--reason', 'admin')
    await source.flush()
    expect(errors).toEqual([])
    const v6 = await lapi().decisions('--range', '2001:db8:1:2::/64')
    expect(v6).toMatchObject([{ scope: 'Range', value: '2001:db8:1:2::/64', scenario: 'bulwark/manual' }])
    expect(v6[0]?.duration).toMatch(/^9m5\d(\.\d+)?s$/)

    await engine.unban('198.51.100.40')
    await source.flush()
    const left = await lapi().decisions('--ip', '198.51.100.40')
    expect(left.map((d) => [d.origin, d.scenario])).toEqual([['cscli', 'admin']])
    expect(source.stats()).toMatchObject({ sent: 2, deleted: 1, failures: 0 })
  })

  test('a range ban (engine.ban of a CIDR) becomes a Range decision, and its unban deletes it', async () => {
    const engine = createBulwark({ logger: silentLogger })
    const source = crowdsecSource({ url: lapi().url, machineId: lapi().machineId, password: lapi().password })
    closers.push(
      () => source.close(),
      () => engine.close(),
    )
    source.attach(engine)
    await engine.ban('203.0.113.0/24', { ttlMs: 3_600_000, reason: 'a scraping farm' })
    await source.flush()
    expect(await lapi().decisions('--range', '203.0.113.0/24')).toMatchObject([
      { scope: 'Range', value: '203.0.113.0/24', scenario: 'bulwark/manual', origin: 'crowdsec' },
    ])
    await engine.unban('203.0.113.0/24')
    await source.flush()
    expect(await lapi().decisions('--range', '203.0.113.0/24')).toEqual([])
  })
})
