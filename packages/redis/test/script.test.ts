import { createHash } from 'node:crypto'
import type { ActiveBan, Count, HitResult } from '@bulwark/core'
import { describe, expect, it } from 'vitest'
import { appendOp, hitCall, type ScriptArg } from '../src/hit-args.js'
import { KeySpace, LUA_SCRIPTS } from '../src/index.js'
import { COUNT_SECTIONS } from '../src/lua/counts/index.js'
import { HIT_FUNCTION, HIT_LIBRARY, HIT_LUA } from '../src/lua/hit.js'
import { decodeOpReply, mergeHits } from '../src/replies.js'
import { auth, burst, endpoint, force, item, on, op, POLICY, suspicion } from './helpers/ops.js'

const T = 1_800_000_000_000
const keys = new KeySpace('bulwark:')

describe('the hit script, assembled from the count sections', () => {
  it('pins the SHA1 of every script', () => {
    // Servers cache scripts by SHA1 and the README documents them: a change here must be deliberate. When you change
    // a script (or a count section), update these and say so in the changeset.
    const sha = Object.fromEntries(
      Object.entries(LUA_SCRIPTS).map(([name, lua]) => [name, createHash('sha1').update(lua).digest('hex')]),
    )
    expect(sha).toEqual({
      hit: 'd8e13a192f313835b0fea01c919c7f14df3401f6',
      setBan: '0e470105086dfdd9bf743b30e321276bcb2fc64c',
      deleteBan: 'e4482df1a4fecedd85da0d29ce48f115ab05a883',
      getBan: 'ad9a705868223ff097ccf6ef9d8615dca099880b',
      listBans: 'dd286478759f7a019b5f108fb1086e416fd6c186',
      indexBan: 'ca92a3f486924e7f827dd5ecd5b7c1161ab65697',
      whitelist: '3ac3c0eb2d775f5c539f60122e95c18838a2d7dd',
    })
    // The function the library registers on Redis ≥ 7 is named for the hit script's version.
    expect(HIT_FUNCTION).toBe('bulwark_hit_d8e13a192f31')
  })

  it('defines each section once, as one function, and dispatches its code to it', () => {
    const codes = new Set<string>()
    for (const s of Object.values(COUNT_SECTIONS)) {
      expect(s.code, s.kind).toMatch(/^[A-Z]$/)
      codes.add(s.code)
      expect(HIT_LUA.split(`local function count_${s.kind}(c, key, a, now)`)).toHaveLength(2)
      const byte = s.code.charCodeAt(0)
      expect(HIT_LUA).toContain(`code == ${byte} then\n      measure, t = count_${s.kind}(c, key, a, now)`)
      expect(HIT_LUA).toContain(`code == ${byte} and ${1 + s.fields}`)
    }
    expect(codes.size).toBe(Object.keys(COUNT_SECTIONS).length)
  })

  it('the function library is the same definitions, loaded once, under a name of its version', () => {
    const version = createHash('sha1').update(HIT_LUA).digest('hex').slice(0, 12)
    expect(HIT_FUNCTION).toBe(`bulwark_hit_${version}`)
    expect(HIT_LIBRARY.startsWith(`#!lua name=bulwark_${version}\nlocal KEYS, ARGV\n`)).toBe(true)
    const defs = HIT_LUA.slice(0, HIT_LUA.lastIndexOf('return main()'))
    expect(HIT_LIBRARY).toContain(defs)
    expect(HIT_LIBRARY).toContain(`redis.register_function('${HIT_FUNCTION}', function(keys, args)`)
  })

  it('each section appends exactly the fields its Lua reads past the spec', () => {
    const samples: Count[] = [
      burst(),
      auth(),
      item('v'),
      endpoint('login', { cost: 3 }),
      force('scanner', { note: 'n' }),
    ]
    for (const c of samples) {
      const section = COUNT_SECTIONS[c.kind]
      const args: ScriptArg[] = []
      ;(section.encode as (a: ScriptArg[], c: Count) => void)(args, c)
      expect(args, c.kind).toHaveLength(section.fields)
      const lua = `${section.parse}${section.count}`
      const reads = [...lua.matchAll(/ARGV\[a \+ (\d)\]/g)].map((m) => Number(m[1]))
      expect(Math.max(0, ...reads), c.kind).toBe(section.fields)
      // A kind that trips names its rule from the spec.
      expect(lua.includes('rule = c.rule'), c.kind).toBe(section.trips)
    }
  })
})

describe('ARGV and KEYS of a hit call', () => {
  const encode = (...ops: Parameters<typeof op>[]) => {
    const call = hitCall(keys, true)
    for (const o of ops) {
      const hop = op(...o)
      appendOp(call, keys, hop, hop.subjects, String(hop.now))
    }
    return call
  }
  const policy = `${POLICY.ttlMs}:${POLICY.factor}:${POLICY.maxTtlMs}:${POLICY.historyMs}:${POLICY.jitter}`

  it('the common request: one key and two arguments, the same strings for every request of the rule', () => {
    expect(encode([T, [on('ip:198.51.100.7', burst())]])).toEqual({
      keys: ['bulwark:bans', 'bulwark:{ip:198.51.100.7}:ban'],
      args: ['1', `${T}|1|${policy}`, 'R50,1000,0,b}burst'],
    })
    // On the Redis clock the header is one string per policy, and the spec one per count object.
    const call = hitCall(keys, true)
    const count = burst()
    const hop = op(T, [on('ip:198.51.100.7', count)])
    appendOp(call, keys, hop, hop.subjects, '')
    appendOp(call, keys, hop, hop.subjects, '')
    expect(call.args).toEqual([
      '1',
      `|1|${policy}`,
      'R50,1000,0,b}burst',
      `|1|${policy}`,
      'R50,1000,0,b}burst',
    ])
    expect(call.args[1]).toBe(call.args[3])
  })

  it('every kind: a spec `<code><limit>,<windowMs>,<flag>,<key>}<rule>` (lower case when monitored; a window has no rule), then its fields', () => {
    const call = encode(
      [T, [on('ip:1', force('scanner', { note: 'sqlmap' }), burst({ monitor: true }), auth(), item('f00d'))]],
      [T + 1, [on('ip:1', endpoint('GET /login', { cost: 2 }), suspicion(0)), on('key:k')]],
    )
    expect(call.keys).toEqual([
      'bulwark:bans',
      'bulwark:{ip:1}:ban',
      'bulwark:{ip:1}:ban',
      'bulwark:{key:k}:ban',
    ])
    // biome-ignore format: one line per op header and count
    expect(call.args).toEqual([
      '1',
      `${T}|4|${policy}`,
      'B0,0,0,}scanner', '=sqlmap',
      'r50,1000,0,b}burst',
      'E10,60000,0,a}auth-failures', 1,
      'D500,300000,0,i}scraping', 'f00d',
      `${T + 1}|2,0|${policy}`,
      'W5,60000,1,e:GET /login', 2,
      'E4,86400000,1,s}suspicion', 0,
    ])
  })

  it('a spec is built once per count object and follows a changed count', () => {
    const count = burst()
    const a = encode([T, [on('ip:1', count)]]).args
    const b = encode([T, [on('ip:1', count)]]).args
    expect(a[2]).toBe(b[2])
    expect(encode([T, [on('ip:1', burst({ rule: 'flood' }))]]).args[2]).toBe('R50,1000,0,b}flood')
    count.limit = 7
    expect(encode([T, [on('ip:1', count)]]).args[2]).toBe('R7,1000,0,b}burst')
  })

  it('a count the script cannot take throws and leaves the call as it was', () => {
    const call = encode([T, [on('ip:1', burst())]])
    const before = { keys: [...call.keys], args: [...call.args] }
    for (const bad of [
      { kind: 'nope', rule: 'x', key: 'r:x' } as unknown as Count,
      burst({ key: 'ban' }),
      auth({ key: 'off' }),
      auth({ key: 'r:a}b' }),
    ]) {
      const hop = op(T, [on('ip:2', burst()), on('ip:3', bad)])
      expect(() => appendOp(call, keys, hop, hop.subjects, '')).toThrow(TypeError)
      expect(call).toEqual(before)
    }
  })
})

describe('replies', () => {
  const ban = (o: Partial<ActiveBan>): ActiveBan => ({
    subject: 'ip:1',
    rule: 'burst',
    createdAt: T,
    expiresAt: T + 1,
    offense: 1,
    enforced: true,
    created: true,
    ...o,
  })

  it('the bare clock is the common request: no ban, empty counts', () => {
    expect(decodeOpReply(T)).toEqual({ ban: null, counts: [], now: T })
    expect(() => decodeOpReply('WRONGTYPE Operation against a key')).toThrow('WRONGTYPE')
  })

  it('measures: numbers as they are, a window triple as a WindowMeasure', () => {
    const reply = [T, null, [[-1, 3, [1, 4, 5000]], [], [[0, 0, 100]]]]
    expect(decodeOpReply(reply)).toEqual({
      ban: null,
      counts: [
        [-1, 3, { allowed: true, remaining: 4, resetMs: 5000 }],
        [],
        [{ allowed: false, remaining: 0, resetMs: 100 }],
      ],
      now: T,
    })
  })

  it('merges the per-slot answers of a cluster split as one call would answer', () => {
    const part = (b: ActiveBan | null, counts: HitResult['counts']): HitResult => ({ ban: b, counts, now: T })
    // Nothing measured anywhere: empty counts.
    expect(mergeHits([part(null, []), part(null, [])])).toEqual({ ban: null, counts: [], now: T })
    // Something measured: one list per subject.
    expect(mergeHits([part(null, []), part(null, [[2]])])).toEqual({ ban: null, counts: [[], [2]], now: T })
    // An enforced ban that existed answers for the request, with empty counts.
    const existing = ban({ subject: 'key:k', created: false })
    expect(mergeHits([part(null, [[2]]), part(existing, [])])).toEqual({ ban: existing, counts: [], now: T })
    // A created enforced ban wins over a created monitored one and over an observed one.
    const observed = ban({ enforced: false, created: false })
    const monitored = ban({ enforced: false })
    const enforced = ban({ subject: 'key:k' })
    expect(mergeHits([part(observed, [[]]), part(enforced, [[1]])]).ban).toBe(enforced)
    expect(mergeHits([part(monitored, [[1]]), part(enforced, [[1]])]).ban).toBe(enforced)
    expect(mergeHits([part(observed, [[]]), part(null, [])])).toEqual({
      ban: observed,
      counts: [[], []],
      now: T,
    })
  })
})
