import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  canonicalMethod,
  canonicalPath,
  EXPRESS_ROUTING,
  FASTIFY_ROUTING,
  KOA_ROUTING,
  MAX_PATH_LENGTH,
  MAX_TARGET_LENGTH,
  type Routing,
} from '../src/canonical-path.js'

const PRESETS = [
  ['express', EXPRESS_ROUTING],
  ['koa', KOA_ROUTING],
  ['fastify', FASTIFY_ROUTING],
] as const

/** Every routing a caller may pass: the presets and the two other combinations. */
const ROUTINGS: readonly Routing[] = [
  { caseSensitive: false, ignoreTrailingSlash: true },
  { caseSensitive: true, ignoreTrailingSlash: false },
  { caseSensitive: true, ignoreTrailingSlash: true },
  { caseSensitive: false, ignoreTrailingSlash: false },
]
const routingArb = fc.constantFrom(...ROUTINGS)

describe('routing presets', () => {
  it('say how each framework routes by default', () => {
    expect(EXPRESS_ROUTING).toEqual({ caseSensitive: false, ignoreTrailingSlash: true })
    expect(KOA_ROUTING).toEqual({ caseSensitive: false, ignoreTrailingSlash: true })
    expect(FASTIFY_ROUTING).toEqual({ caseSensitive: true, ignoreTrailingSlash: false })
    for (const [, r] of PRESETS) expect(Object.isFrozen(r)).toBe(true)
  })
})

describe('canonicalPath: spellings of GET /api/tasks', () => {
  /** [target, canonical for express/koa, canonical for fastify] */
  const spellings: readonly (readonly [string, string, string])[] = [
    ['/api/tasks', '/api/tasks', '/api/tasks'],
    // case
    ['/API/tasks', '/api/tasks', '/API/tasks'],
    ['/API/TASKS', '/api/tasks', '/API/TASKS'],
    ['/Api/Tasks', '/api/tasks', '/Api/Tasks'],
    // absolute form
    ['http://x/api/tasks', '/api/tasks', '/api/tasks'],
    ['https://x:8443/api/tasks', '/api/tasks', '/api/tasks'],
    ['HtTpS://X/api/tasks', '/api/tasks', '/api/tasks'],
    ['http://user:pw@x/api/tasks', '/api/tasks', '/api/tasks'],
    ['http://[::1]:3000/api/tasks', '/api/tasks', '/api/tasks'],
    ['ftp://x/api/tasks', '/api/tasks', '/api/tasks'],
    ['x-y.z+w://host/api/tasks', '/api/tasks', '/api/tasks'],
    ['http:///api/tasks', '/api/tasks', '/api/tasks'],
    ['http://x/API/tasks/', '/api/tasks', '/API/tasks/'],
    ['http://x//api//tasks', '/api/tasks', '/api/tasks'],
    ['http://x/api/tasks?y=1#z', '/api/tasks', '/api/tasks'],
    // percent-encoded unreserved characters
    ['/api/%74asks', '/api/tasks', '/api/tasks'],
    ['/api/%54asks', '/api/tasks', '/api/Tasks'],
    ['/%61%70%69/%74%61%73%6B%73', '/api/tasks', '/api/tasks'],
    ['/api/tas%6bs', '/api/tasks', '/api/tasks'],
    ['/api/tas%6Bs', '/api/tasks', '/api/tasks'],
    ['http://x/api/%74asks', '/api/tasks', '/api/tasks'],
    // trailing slash
    ['/api/tasks/', '/api/tasks', '/api/tasks/'],
    ['/api/tasks//', '/api/tasks', '/api/tasks/'],
    ['/API/tasks/', '/api/tasks', '/API/tasks/'],
    // repeated slashes
    ['//api//tasks', '/api/tasks', '/api/tasks'],
    ['//api/tasks', '/api/tasks', '/api/tasks'],
    ['/api//tasks', '/api/tasks', '/api/tasks'],
    ['///api///tasks', '/api/tasks', '/api/tasks'],
    // dot segments
    ['/api/./tasks', '/api/tasks', '/api/tasks'],
    ['/./api/tasks', '/api/tasks', '/api/tasks'],
    ['/api/x/../tasks', '/api/tasks', '/api/tasks'],
    ['/api/x/y/../../tasks', '/api/tasks', '/api/tasks'],
    ['/../../api/tasks', '/api/tasks', '/api/tasks'],
    ['/api/tasks/x/..', '/api/tasks', '/api/tasks/'],
    ['/api/tasks/.', '/api/tasks', '/api/tasks/'],
    ['/api/%2E/tasks', '/api/tasks', '/api/tasks'],
    ['/api/%2e/tasks', '/api/tasks', '/api/tasks'],
    ['/api/x/%2E%2E/tasks', '/api/tasks', '/api/tasks'],
    ['/api/x/.%2e/tasks', '/api/tasks', '/api/tasks'],
    // fragment and query
    ['/api/tasks#frag', '/api/tasks', '/api/tasks'],
    ['/api/tasks?x=1', '/api/tasks', '/api/tasks'],
    ['/api/tasks?x=1#frag', '/api/tasks', '/api/tasks'],
    ['/api/tasks#frag?x', '/api/tasks', '/api/tasks'],
    ['/api/tasks?', '/api/tasks', '/api/tasks'],
    ['/api/tasks/?x', '/api/tasks', '/api/tasks/'],
    ['/api/tasks?/../x', '/api/tasks', '/api/tasks'],
    // several at once
    ['HTTP://X:1//API/./X/..//%74asks/?q#f', '/api/tasks', '/API/tasks/'],
  ]

  for (const [name, routing] of PRESETS) {
    const column = name === 'fastify' ? 2 : 1
    it.each(spellings.map((s) => [s[0], s[column]]))(`${name}: %j → %j`, (target, expected) => {
      expect(canonicalPath(target, routing)).toBe(expected)
    })
  }

  it('every spelling reaches /api/tasks on express and koa', () => {
    for (const [target] of spellings) {
      expect(canonicalPath(target, EXPRESS_ROUTING)).toBe('/api/tasks')
      expect(canonicalPath(target, KOA_ROUTING)).toBe('/api/tasks')
    }
  })
})

describe('canonicalPath: what stays apart', () => {
  it.each([
    // reserved characters stay encoded, in one spelling of their hex
    ['/api%2Ftasks', '/api%2ftasks', '/api%2Ftasks'],
    ['/api%2ftasks', '/api%2ftasks', '/api%2Ftasks'],
    ['/api/tasks%3Fx', '/api/tasks%3fx', '/api/tasks%3Fx'],
    ['/api/tasks%23x', '/api/tasks%23x', '/api/tasks%23x'],
    ['/a%20b', '/a%20b', '/a%20b'],
    ['/caf%c3%a9', '/caf%c3%a9', '/caf%C3%A9'],
    // no double decoding
    ['/api/%2574asks', '/api/%2574asks', '/api/%2574asks'],
    ['/%252E%252E/x', '/%252e%252e/x', '/%252E%252E/x'],
    // malformed percent sequences are kept
    ['/a%', '/a%', '/a%'],
    ['/a%4', '/a%4', '/a%4'],
    ['/a%zz', '/a%zz', '/a%zz'],
    ['/a%G1/b', '/a%g1/b', '/a%G1/b'],
    ['/%%', '/%%', '/%%'],
    // backslashes are not separators
    ['/api\\tasks', '/api\\tasks', '/api\\tasks'],
    ['/api\\..\\tasks', '/api\\..\\tasks', '/api\\..\\tasks'],
    // other spellings no router tested routes to /api/tasks
    ['/api/tasks;x', '/api/tasks;x', '/api/tasks;x'],
    ['/api/tasks.', '/api/tasks.', '/api/tasks.'],
    ['/api/tasks%00', '/api/tasks%00', '/api/tasks%00'],
    ['/api/...', '/api/...', '/api/...'],
    ['/.well-known/x', '/.well-known/x', '/.well-known/x'],
    // not absolute form: the scheme must open the target and be followed by //
    ['/http://x/api', '/http:/x/api', '/http:/x/api'],
    ['http:/api/tasks', '/http:/api/tasks', '/http:/api/tasks'],
    ['1http://x/api', '/1http:/x/api', '/1http:/x/api'],
  ])('%j → %j (case-insensitive) / %j (case-sensitive)', (target, insensitive, sensitive) => {
    expect(canonicalPath(target, EXPRESS_ROUTING)).toBe(insensitive)
    expect(canonicalPath(target, FASTIFY_ROUTING)).toBe(sensitive)
  })
})

describe('canonicalPath: edges', () => {
  it.each([
    ['', '/', '/'],
    ['/', '/', '/'],
    ['//', '/', '/'],
    ['/.', '/', '/'],
    ['/..', '/', '/'],
    ['/./../.', '/', '/'],
    ['*', '/*', '/*'],
    ['?x', '/', '/'],
    ['#x', '/', '/'],
    ['a/b', '/a/b', '/a/b'],
    ['http://x', '/', '/'],
    ['http://x?/api/tasks', '/', '/'],
    ['http://x#/api/tasks', '/', '/'],
    ['/a/b/..', '/a', '/a/'],
    ['/a//../b', '/a/b', '/a/b'],
    ['/a/b/../../..', '/', '/'],
    ['/%2E%2E/x', '/x', '/x'],
    ['/%7e%7E%2d%5f%2E', '/~~-_.', '/~~-_.'],
    // a decoded character that completes a new %XX with what precedes it is decoded too
    ['/%%34%31', '/a', '/A'],
    ['/%%%3341', '/a', '/A'],
    ['/%%32%66', '/%2f', '/%2F'],
    // non-ASCII: case folding as toLowerCase does it
    ['/ÀB', '/àb', '/ÀB'],
    ['/\u212A', '/k', '/\u212A'],
    ['/\u0130', '/i\u0307', '/\u0130'],
    ['/a\uD800b', '/a\uD800b', '/a\uD800b'],
  ])('%j → %j (case-insensitive) / %j (case-sensitive)', (target, insensitive, sensitive) => {
    expect(canonicalPath(target, EXPRESS_ROUTING)).toBe(insensitive)
    expect(canonicalPath(target, FASTIFY_ROUTING)).toBe(sensitive)
  })

  it('returns canonical paths as they are', () => {
    for (const p of [
      '/',
      '/api/tasks',
      '/a-b_c~d.e/f',
      '/a:b/c@d',
      '/a%2Fb',
      '/%C3%A9',
      '/.x/x./..x/x..',
      '/é/\u212A',
    ]) {
      expect(canonicalPath(p, FASTIFY_ROUTING)).toBe(p)
    }
    for (const p of ['/', '/api/tasks', '/a%2fb', '/é', '/a\\b'])
      expect(canonicalPath(p, EXPRESS_ROUTING)).toBe(p)
    expect(canonicalPath('/api/tasks/', FASTIFY_ROUTING)).toBe('/api/tasks/')
  })

  it('merges as the broadest router without a usable routing, and never throws on bad arguments', () => {
    const bad = [undefined, null, {}, 7] as unknown as Routing[]
    for (const r of bad) expect(canonicalPath('/API/Tasks/', r)).toBe('/api/tasks')
    for (const t of [undefined, null, 7, {}, ['/a']] as unknown as string[]) {
      expect(canonicalPath(t, EXPRESS_ROUTING)).toBe('/')
    }
  })

  it('reads a target up to Node’s default head size, so padding does not push the route out of view', () => {
    const padded = `/api${'/'.repeat(12_000)}tasks`
    expect(canonicalPath(padded, FASTIFY_ROUTING)).toBe('/api/tasks')
    expect(canonicalPath(`/api${'/.'.repeat(6_000)}/tasks`, FASTIFY_ROUTING)).toBe('/api/tasks')
    expect(canonicalPath(`/api/${'%2E/'.repeat(4_000)}tasks`, FASTIFY_ROUTING)).toBe('/api/tasks')
    // Beyond MAX_TARGET_LENGTH the rest is not read.
    expect(canonicalPath(`/api${'/'.repeat(MAX_TARGET_LENGTH)}tasks`, FASTIFY_ROUTING)).toBe('/api/')
  })

  it('cuts a long canonical path after its last whole segment that fits', () => {
    const segment = 'abcdefghi' // with its slash: 10 characters
    const long = `/${Array(1000).fill(segment).join('/')}`
    const out = canonicalPath(long, FASTIFY_ROUTING)
    expect(out.length).toBeLessThanOrEqual(MAX_PATH_LENGTH)
    expect(out.length).toBeGreaterThan(MAX_PATH_LENGTH - 10)
    expect(long.startsWith(`${out}/`)).toBe(true)
    expect(canonicalPath(`/${'a'.repeat(MAX_PATH_LENGTH + 10)}`, EXPRESS_ROUTING)).toBe('/')
    expect(canonicalPath(`/${'a'.repeat(MAX_PATH_LENGTH - 1)}`, EXPRESS_ROUTING)).toBe(`/${'a'.repeat(4095)}`)
    // Case folding that grows the path (İ → i̇) is cut too.
    const grown = canonicalPath(`/x/${'\u0130'.repeat(3000)}`, EXPRESS_ROUTING)
    expect(grown).toBe('/x')
  })

  it('does linear work on nested percent junk', () => {
    // `%%%3341` → `%%341` → `%41` → `A`: 5000 levels deep, undone in one pass
    const nested = `/${'%'.repeat(5000)}${'3'.repeat(4999)}41`
    const started = performance.now()
    expect(canonicalPath(nested, FASTIFY_ROUTING)).toBe('/A')
    expect(performance.now() - started).toBeLessThan(1000)
  })
})

describe('canonicalMethod', () => {
  it.each([
    ['GET', 'GET'],
    ['HEAD', 'GET'],
    ['head', 'GET'],
    ['Head', 'GET'],
    ['POST', 'POST'],
    ['post', 'POST'],
    ['OPTIONS', 'OPTIONS'],
    ['PROPFIND', 'PROPFIND'],
    ['', ''],
  ])('%j → %j', (method, expected) => {
    expect(canonicalMethod(method)).toBe(expected)
  })

  it('never throws and is idempotent', () => {
    expect(canonicalMethod(undefined as unknown as string)).toBe('GET')
    expect(canonicalMethod('x'.repeat(10_000))).toBe('X'.repeat(64))
    expect(canonicalMethod('ß'.repeat(64))).toBe('S'.repeat(64))
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (m) => {
        const once = canonicalMethod(m)
        expect(canonicalMethod(once)).toBe(once)
      }),
    )
  })
})

// ---------------------------------------------------------------------------------------------------------------
// Properties

/** Any UTF-16 code unit, lone surrogates included. */
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c))

/** Pieces that exercise every step: separators, dots, percent sequences (good, reserved, malformed), case, schemes. */
const piece = fc.oneof(
  fc.constantFrom(
    '/',
    '//',
    '.',
    '..',
    '/./',
    '/../',
    '%',
    '%%',
    '%2e',
    '%2E',
    '%2f',
    '%2F',
    '%25',
    '%41',
    '%61',
    '%7e',
    '%3',
    '%g',
    '3',
    '4',
    '1',
    'f',
    'F',
    'a',
    'A',
    'z',
    'Z',
    '?',
    '#',
    ':',
    'http://h',
    'HTTP://H:1',
    'x-y://',
    '\\',
    '~',
    ' ',
    'é',
    'É',
    '\u0130',
    '\u212A',
    'Σ',
    '\uD800',
    '\uDC00',
  ),
  codeUnit,
)
const pathish = fc.array(piece, { maxLength: 40 }).map((a) => a.join(''))
const anyString = fc.oneof(
  pathish,
  fc.string({ unit: codeUnit, maxLength: 200 }),
  fc.string({ maxLength: 200 }),
)

/** RFC 3986 §5.2.4, as written. */
function removeDotSegments(path: string): string {
  let input = path
  let out = ''
  const popSegment = () => {
    out = out.slice(0, Math.max(0, out.lastIndexOf('/')))
  }
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3)
    else if (input.startsWith('./')) input = input.slice(2)
    else if (input.startsWith('/./')) input = `/${input.slice(3)}`
    else if (input === '/.') input = '/'
    else if (input.startsWith('/../')) {
      input = `/${input.slice(4)}`
      popSegment()
    } else if (input === '/..') {
      input = '/'
      popSegment()
    } else if (input === '.' || input === '..') input = ''
    else {
      const m = (/^\/?[^/]*/.exec(input) as RegExpExecArray)[0]
      out += m
      input = input.slice(m.length)
    }
  }
  return out
}

/** The rules of `canonicalPath` written the plain way (no fast path, decoding repeated until nothing changes). */
function model(target: string, routing: Routing): string {
  let p = target.slice(0, MAX_TARGET_LENGTH)
  p = (p.split('#')[0] as string).split('?')[0] as string
  if (!p.startsWith('/')) {
    p = p.replace(/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]*/, '')
    if (!p.startsWith('/')) p = `/${p}`
  }
  for (;;) {
    const q = p.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
      const c = String.fromCharCode(Number.parseInt(hex, 16))
      return /^[A-Za-z0-9._~-]$/.test(c) ? c : `%${hex.toUpperCase()}`
    })
    if (q === p) break
    p = q
  }
  p = removeDotSegments(p).replace(/\/{2,}/g, '/') || '/'
  if (routing.ignoreTrailingSlash && p.length > 1 && p.endsWith('/')) p = p.slice(0, -1)
  if (!routing.caseSensitive) p = p.toLowerCase()
  if (p.length > MAX_PATH_LENGTH) {
    const cut = p.lastIndexOf('/', MAX_PATH_LENGTH)
    p = cut <= 0 ? '/' : p.slice(0, cut)
  }
  return p
}

describe('canonicalPath: properties', () => {
  it('agrees with the plain model of its rules', () => {
    fc.assert(
      fc.property(anyString, routingArb, (t, r) => {
        expect(canonicalPath(t, r)).toBe(model(t, r))
      }),
      { numRuns: 2000 },
    )
  })

  it('is idempotent', () => {
    fc.assert(
      fc.property(anyString, routingArb, (t, r) => {
        const once = canonicalPath(t, r)
        expect(canonicalPath(once, r)).toBe(once)
      }),
      { numRuns: 2000 },
    )
  })

  it('never throws, is bounded, and its result is canonical in every respect', () => {
    const long = fc
      .tuple(fc.array(piece, { maxLength: 30 }), fc.integer({ min: 1, max: 800 }))
      .map(([a, n]) => a.join('').repeat(n))
    fc.assert(
      fc.property(fc.oneof(anyString, long), routingArb, (t, r) => {
        const out = canonicalPath(t, r)
        expect(out.length).toBeLessThanOrEqual(MAX_PATH_LENGTH)
        expect(out.startsWith('/')).toBe(true)
        expect(out).not.toMatch(/[?#]|\/\/|(^|\/)\.\.?(\/|$)/)
        // nothing left to decode, no lower-case hex in what stays encoded (before case folding)
        expect(out).not.toMatch(/%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DEde]|5[Ff]|7[Ee])/)
        if (r.caseSensitive) expect(out).not.toMatch(/%(?:[0-9A-Fa-f][a-f]|[a-f][0-9A-Fa-f])/)
        else expect(out).toBe(out.toLowerCase())
        if (r.ignoreTrailingSlash && out !== '/') expect(out.endsWith('/')).toBe(false)
        expect(canonicalPath(out, r)).toBe(out)
      }),
      { numRuns: 300 },
    )
  })

  it('merges every re-spelling of a route into the route', () => {
    const segChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~'.split(''))
    const segment = fc
      .string({ unit: segChar, minLength: 1, maxLength: 8 })
      .filter((s) => s !== '.' && s !== '..')
    const respell = (
      seg: string,
      encode: boolean[],
      upper: boolean[],
      useUpper: boolean,
      hexUpper: boolean,
    ) =>
      [...seg]
        .map((ch, i) => {
          const c = useUpper && upper[i % upper.length] ? ch.toUpperCase() : ch
          if (!encode[i % encode.length]) return c
          const hex = c.charCodeAt(0).toString(16).padStart(2, '0')
          return `%${hexUpper ? hex.toUpperCase() : hex}`
        })
        .join('')
    fc.assert(
      fc.property(
        fc.array(segment, { minLength: 1, maxLength: 5 }),
        routingArb,
        fc.record({
          encode: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          upper: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
          hexUpper: fc.boolean(),
          dots: fc.array(fc.constantFrom('', './', 'zz/../', '%2e/', 'a/b/%2E%2E/../', '/'), {
            minLength: 1,
            maxLength: 6,
          }),
          absolute: fc.constantFrom('', 'http://h', 'https://h:8443', 'HTTP://u@h'),
          trailing: fc.boolean(),
          tail: fc.constantFrom('', '?q=1', '#f', '?a#b', '?/../x'),
        }),
        (segments, r, v) => {
          const route = `/${segments.join('/')}`
          const expected = r.caseSensitive ? route : route.toLowerCase()
          const body = segments
            .map((s, i) => {
              const dots = v.dots[i % v.dots.length]
              return `/${dots}${respell(s, v.encode, v.upper, !r.caseSensitive, v.hexUpper)}`
            })
            .join('')
          const target = `${v.absolute}${body}${v.trailing && r.ignoreTrailingSlash ? '/' : ''}${v.tail}`
          expect(canonicalPath(target, r)).toBe(canonicalPath(route, r))
          expect(canonicalPath(route, r)).toBe(expected)
        },
      ),
      { numRuns: 1000 },
    )
  })
})
