import { afterEach, expect, test } from 'vitest'
import { BouncerCore, type BouncerSink } from '../src/bouncer.js'
import type { CrowdSecError } from '../src/errors.js'
import { describeLapi } from './helpers/lapi.js'

/** The engine's view, as a map target -> end (ms since the epoch). */
function mapSink() {
  const bans = new Map<string, { until: number; reason: string }>()
  const sink: BouncerSink = {
    replace(list) {
      bans.clear()
      for (const b of list) bans.set(b.target, { until: Date.now() + b.ttlMs, reason: b.reason })
    },
    add(b) {
      bans.set(b.target, { until: Date.now() + b.ttlMs, reason: b.reason })
    },
    remove(target) {
      bans.delete(target)
    },
  }
  return { bans, sink }
}

describeLapi('bouncer: the Local API’s decisions become bans', (lapi) => {
  const closers: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of closers.splice(0)) await close()
    await lapi()
      .cscli('decisions', 'delete', '--all')
      .catch(() => '')
  })

  test('startup, then deltas: Ip and Range decisions with their durations; deletions lift them', async () => {
    await lapi().cscli(
      'decisions',
      'add',
      '--ip',
      '192.0.2.10',
      '--duration',
      '2h',
      '--reason',
      'before start',
    )
    const { bans, sink } = mapSink()
    const errors: CrowdSecError[] = []
    const bouncer = new BouncerCore({ url: lapi().url, apiKey: lapi().apiKey, intervalMs: 60_000 })
    bouncer.errors.add((e) => errors.push(e))
    closers.push(() => bouncer.close())
    await bouncer.start(sink)
    expect(errors).toEqual([])
    expect([...bans.keys()]).toEqual(['192.0.2.10'])
    const left = (bans.get('192.0.2.10')?.until ?? 0) - Date.now()
    expect(left).toBeGreaterThan(2 * 3_600_000 - 30_000)
    expect(left).toBeLessThanOrEqual(2 * 3_600_000)
    expect(bans.get('192.0.2.10')?.reason).toBe('CrowdSec before start (cscli)')

    await lapi().cscli(
      'decisions',
      'add',
      '--range',
      '203.0.113.0/24',
      '--duration',
      '10m',
      '--reason',
      'range',
    )
    await lapi().cscli('decisions', 'add', '--ip', '2001:db8::7', '--duration', '30m', '--reason', 'v6')
    await bouncer.pullNow()
    expect([...bans.keys()].sort()).toEqual(['192.0.2.10', '2001:db8::7', '203.0.113.0/24'])
    expect((bans.get('203.0.113.0/24')?.until ?? 0) - Date.now()).toBeGreaterThan(10 * 60_000 - 30_000)

    await lapi().cscli('decisions', 'delete', '--ip', '192.0.2.10')
    await bouncer.pullNow()
    expect([...bans.keys()].sort()).toEqual(['2001:db8::7', '203.0.113.0/24'])
    expect(bouncer.stats()).toMatchObject({
      decisions: 2,
      targets: 2,
      pulls: 3,
      resyncs: 1,
      failures: 0,
      state: 'synced',
    })
  })

  test('survives a LAPI restart: keeps its bans while it is down, resyncs with startup=true when it is back', async () => {
    await lapi().cscli('decisions', 'add', '--ip', '192.0.2.20', '--duration', '1h')
    await lapi().cscli('decisions', 'add', '--ip', '192.0.2.21', '--duration', '1h')
    const { bans, sink } = mapSink()
    const errors: CrowdSecError[] = []
    const bouncer = new BouncerCore({
      url: lapi().url,
      apiKey: lapi().apiKey,
      intervalMs: 60_000,
      backoff: { baseMs: 50, maxMs: 200 },
    })
    bouncer.errors.add((e) => errors.push(e))
    closers.push(() => bouncer.close())
    await bouncer.start(sink)
    expect([...bans.keys()].sort()).toEqual(['192.0.2.20', '192.0.2.21'])

    await lapi().stop()
    await bouncer.pullNow()
    expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_CROWDSEC_NETWORK'])
    expect(bouncer.stats()).toMatchObject({ state: 'retrying', failures: 1 })
    // the bans stay in force while the LAPI is away
    expect([...bans.keys()].sort()).toEqual(['192.0.2.20', '192.0.2.21'])

    // while it was down, one decision went away and one came: only a full list shows both
    await lapi().start()
    await lapi().cscli('decisions', 'delete', '--ip', '192.0.2.21')
    await lapi().cscli('decisions', 'add', '--ip', '192.0.2.22', '--duration', '1h')
    await bouncer.pullNow()
    expect([...bans.keys()].sort()).toEqual(['192.0.2.20', '192.0.2.22'])
    expect(bouncer.stats()).toMatchObject({ state: 'synced', resyncs: 2 })
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['ERR_BULWARK_CROWDSEC_NETWORK']))
  })

  test('a wrong API key is an auth error, retried; nothing is banned', async () => {
    const { bans, sink } = mapSink()
    const errors: CrowdSecError[] = []
    const bouncer = new BouncerCore({ url: lapi().url, apiKey: 'wrong', intervalMs: 60_000 })
    bouncer.errors.add((e) => errors.push(e))
    closers.push(() => bouncer.close())
    await bouncer.start(sink)
    expect(errors.map((e) => [e.code, e.status])).toEqual([['ERR_BULWARK_CROWDSEC_AUTH', 403]])
    expect(bans.size).toBe(0)
  })
})
