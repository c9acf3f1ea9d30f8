import { describe, expect, it, vi } from 'vitest'
import type { DenyEntry, DenySink, DenySource } from '../src/index.js'
import { isBan } from '../src/index.js'
import { harness } from './helpers.js'

/** A deny source the test drives by hand. */
function manualSource(name: string, entries: DenyEntry[] = [], extra: Partial<DenySource> = {}) {
  const source = {
    name,
    sink: undefined as DenySink | undefined,
    closed: 0,
    start(sink: DenySink) {
      source.sink = sink
      sink.replace(entries)
    },
    close() {
      source.closed++
    },
    ...extra,
  }
  return source
}

describe('deny sources', () => {
  it('refuse listed addresses and ranges with a 403 that names the source, before any store work', async () => {
    const list = manualSource('spamhaus-drop', [
      { target: '203.0.113.0/24', reason: 'SBL12345' },
      { target: '2001:db8:bad::/48' },
      { target: '192.0.2.7' },
    ])
    const h = harness({ deny: [list] })
    await h.engine.ready
    const d = await h.req({ ip: '203.0.113.99' })
    expect(d).toEqual({
      conclusion: 'block',
      rule: 'deny',
      reason: 'Denied by spamhaus-drop: 203.0.113.0/24 (SBL12345)',
      evidence: { banned: 'ip:203.0.113.0/24', matched: '203.0.113.0/24', source: 'spamhaus-drop' },
      status: 403,
      retryAfterS: 3600,
      enforced: true,
      newBan: false,
      subject: { ip: '203.0.113.99', ipKey: 'ip:203.0.113.99' },
      store: 'none',
    })
    expect(isBan(d)).toBe(true)
    expect(await h.req({ ip: '2001:db8:bad:1::5' })).toMatchObject({
      status: 403,
      evidence: { matched: '2001:db8:bad::/48', source: 'spamhaus-drop' },
    })
    expect(await h.req({ ip: '::ffff:192.0.2.7' })).toMatchObject({
      status: 403,
      evidence: { matched: '192.0.2.7' },
    })
    expect(await h.req({ ip: '203.0.114.1' })).toMatchObject({ conclusion: 'allow', rule: null })
    expect(await h.req({ ip: '2001:db8:bae::1' })).toMatchObject({ conclusion: 'allow' })
    // Nothing was counted for the refused requests: a listed client never reaches the store.
    expect(await h.engine.listBans()).toHaveLength(3)
  })

  it('add, replace and remove per source; a TTL ends on the engine clock', async () => {
    const a = manualSource('a')
    const b = manualSource('b', [{ target: '198.51.100.0/24', reason: 'from b' }])
    const h = harness({ deny: [a, b] })
    await h.engine.ready
    const sa = a.sink as DenySink
    expect(sa.add({ target: '198.51.100.42', ttlMs: 60_000, reason: 'ssh-bf' })).toBe(true)
    expect(sa.size).toBe(1)
    // The most specific entry answers.
    expect(await h.req()).toMatchObject({ reason: 'Denied by a: 198.51.100.42 (ssh-bf)', retryAfterS: 60 })
    h.clock.advance(60_000)
    // Expired: the shorter prefix from the other source answers.
    expect(await h.req()).toMatchObject({ reason: 'Denied by b: 198.51.100.0/24 (from b)' })
    // One source's replace leaves the other's entries alone.
    expect(sa.replace([{ target: '10.0.0.0/8' }, { target: 'nonsense' }, { target: '10.0.0.0/8' }])).toEqual({
      added: 1,
      rejected: 1,
    })
    expect(await h.req()).toMatchObject({ evidence: { source: 'b' } })
    expect((b.sink as DenySink).remove('198.51.100.0/24')).toBe(true)
    expect((b.sink as DenySink).remove('198.51.100.0/24')).toBe(false)
    expect(await h.req()).toMatchObject({ conclusion: 'allow' })
    expect(await h.req({ ip: '10.200.0.1' })).toMatchObject({ evidence: { source: 'a' } })
    // Bad input is refused, never thrown.
    expect(sa.add({ target: '10.0.0.0/99' })).toBe(false)
    expect(sa.add({ target: '1.2.3.4', ttlMs: -5 })).toBe(false)
    expect(sa.add(null as unknown as DenyEntry)).toBe(false)
    expect(sa.remove(42 as unknown as string)).toBe(false)
  })

  it('a monitor source observes: the decision is a ban marked not enforced', async () => {
    const h = harness({ deny: [manualSource('watch', [{ target: '198.51.100.0/24' }], { monitor: true })] })
    await h.engine.ready
    expect(await h.req()).toMatchObject({ conclusion: 'block', status: 403, enforced: false, rule: 'deny' })
  })

  it('listBans() shows each entry with its source; rule bans and manual bans carry theirs', async () => {
    const h = harness({ deny: [manualSource('firehol', [{ target: '203.0.113.0/24', reason: 'level1' }])] })
    await h.engine.ready
    await h.engine.ban('192.0.2.1', { reason: 'abuse' })
    for (let i = 0; i < 51; i++) await h.req({ ip: '198.51.100.9' })
    const bans = await h.engine.listBans()
    expect(bans.map((b) => [b.target, b.rule, b.source]).sort()).toEqual([
      ['192.0.2.1', 'manual', 'manual'],
      ['198.51.100.9', 'burst', 'burst'],
      ['203.0.113.0/24', 'deny', 'firehol'],
    ])
    expect(bans.find((b) => b.source === 'firehol')).toMatchObject({
      subject: 'ip:203.0.113.0/24',
      reason: 'Denied by firehol: 203.0.113.0/24 (level1)',
      expiresAt: 0,
      ttlS: -1,
      enforced: true,
    })
    expect(await h.req({ ip: '198.51.100.9' })).toMatchObject({
      rule: 'burst',
      evidence: { source: 'burst' },
    })
    expect(await h.req({ ip: '192.0.2.1' })).toMatchObject({ rule: 'manual', evidence: { source: 'manual' } })
  })

  it('close() closes every source; a source that throws on start is reported, not fatal', async () => {
    const good = manualSource('good', [{ target: '203.0.113.0/24' }])
    const bad = manualSource('bad', [], {
      start: () => Promise.reject(new Error('feed down')),
    })
    const errors: unknown[] = []
    const h = harness({ deny: [good, bad] })
    h.engine.on('error', (e) => errors.push(e))
    await h.engine.ready
    expect(errors).toHaveLength(1)
    expect(String(errors[0])).toContain('feed down')
    expect(await h.req({ ip: '203.0.113.1' })).toMatchObject({ status: 403 })
    await h.engine.close()
    expect(good.closed).toBe(1)
    expect(bad.closed).toBe(1)
  })

  it('checks the option: a list of named sources, names distinct, `manual` reserved', () => {
    const start = () => {}
    expect(() =>
      harness({
        deny: [
          { name: 'x', start },
          { name: 'x', start },
        ],
      }),
    ).toThrow(/used twice/)
    expect(() => harness({ deny: [{ name: 'manual', start }] })).toThrow(/reserved/)
    expect(() => harness({ deny: [{ name: '', start }] })).toThrow(/ERR_BULWARK_OPTIONS/)
    expect(() => harness({ deny: {} as never })).toThrow(/deny must be a list/)
    expect(() => harness({ maxDenyEntries: 0 })).toThrow(/maxDenyEntries/)
  })

  it('is bounded: past maxDenyEntries entries are refused and one diagnostic says so', async () => {
    const diagnostics: string[] = []
    const list = manualSource('big', [
      { target: '10.0.0.1' },
      { target: '10.0.0.2' },
      { target: '10.0.0.3' },
      { target: '10.0.0.4' },
    ])
    const h = harness({ deny: [list], maxDenyEntries: 3 })
    h.engine.on('diagnostic', (d) => diagnostics.push(d.code))
    await h.engine.ready
    expect(list.sink?.size).toBe(3)
    expect(list.sink?.replace([{ target: '10.0.0.5' }])).toEqual({ added: 1, rejected: 0 })
    expect(h.logs.filter((l) => l.includes('BULWARK_DENY_FULL'))).toHaveLength(1)
  })
})

describe('range bans', () => {
  it('ban() takes a CIDR (v4 and v6): every address inside is refused as a manual ban until unban()', async () => {
    const h = harness()
    const bans: unknown[] = []
    h.engine.on('ban', (e) => bans.push(e))
    const info = await h.engine.ban('203.0.113.77/24', { reason: 'botnet', ttlMs: 600_000 })
    expect(info).toMatchObject({
      target: '203.0.113.0/24',
      subject: 'ip:203.0.113.0/24',
      rule: 'manual',
      source: 'manual',
      ttlS: 600,
    })
    expect(bans).toHaveLength(1)
    const d = await h.req({ ip: '203.0.113.5' })
    expect(d).toMatchObject({
      conclusion: 'block',
      status: 403,
      rule: 'manual',
      reason: 'Manual ban of 203.0.113.0/24: botnet',
      retryAfterS: 600,
      evidence: { banned: 'ip:203.0.113.0/24', matched: '203.0.113.0/24', source: 'manual' },
      store: 'none',
    })
    expect(await h.req({ ip: '203.0.112.255' })).toMatchObject({ conclusion: 'allow' })
    await h.engine.ban('2001:db8:1::/48', { ttlMs: 60_000 })
    expect(await h.req({ ip: '2001:db8:1:ffff::1' })).toMatchObject({
      status: 403,
      evidence: { source: 'manual' },
    })
    expect((await h.engine.listBans()).map((b) => b.target).sort()).toEqual([
      '2001:db8:1::/48',
      '203.0.113.0/24',
    ])
    // The ban ends on the clock.
    h.clock.advance(60_000)
    expect(await h.req({ ip: '2001:db8:1:ffff::1' })).toMatchObject({ conclusion: 'allow' })
    expect(await h.engine.unban('203.0.113.0/24')).toBe(true)
    expect(await h.req({ ip: '203.0.113.5' })).toMatchObject({ conclusion: 'allow' })
    expect(await h.engine.unban('203.0.113.0/24')).toBe(false)
  })

  it('a single address written as /32 (or the IPv6 group /64) is an ordinary subject ban', async () => {
    const h = harness()
    expect(await h.engine.ban('198.51.100.42/32')).toMatchObject({ subject: 'ip:198.51.100.42' })
    expect(await h.engine.ban('2001:db8:5:6::/64')).toMatchObject({ subject: 'ip:2001:db8:5:6::/64' })
    expect(await h.req()).toMatchObject({ status: 403, evidence: { banned: 'ip:198.51.100.42' } })
    expect(() => h.engine.ban('203.0.113.0/33')).rejects.toThrow(/ERR_BULWARK_TARGET/)
  })

  it('a whitelisted address inside a banned range is let through', async () => {
    const h = harness({ whitelist: ['203.0.113.10'] })
    await h.engine.ban('203.0.113.0/24')
    expect(await h.req({ ip: '203.0.113.10' })).toMatchObject({ conclusion: 'allow', rule: 'whitelist' })
    expect(await h.req({ ip: '203.0.113.11' })).toMatchObject({ status: 403 })
  })

  it('decides a listed request without a store call', async () => {
    const h = harness({ deny: [manualSource('l', [{ target: '203.0.113.0/24' }])] })
    await h.engine.ready
    const store = (h.engine as unknown as { guard: { primary: { hit: () => unknown } } }).guard.primary
    const spy = vi.spyOn(store, 'hit')
    expect(await h.req({ ip: '203.0.113.1' })).toMatchObject({ status: 403 })
    expect(spy).not.toHaveBeenCalled()
  })
})
