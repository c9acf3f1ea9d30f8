import { createBulwark } from '@bulwark/core'
import { afterEach, expect, test } from 'vitest'
import { crowdsecSource } from '../src/index.js'
import { describeLapi } from './helpers/lapi.js'

describeLapi('source: Bulwark bans become CrowdSec decisions', (lapi) => {
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
  })

  test('a ban by a rule appears in `cscli decisions list` with its scenario, origin and duration', async () => {
    const engine = createBulwark({ burst: { limit: 3, windowMs: 1000 } })
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
})
