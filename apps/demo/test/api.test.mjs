// The demo API on each framework: routes, validation, API keys, endpoint limits, security headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { call, nextIp, testDemo, waitFor } from './helpers.mjs'

/** @type {Awaited<ReturnType<typeof testDemo>>} */
let demo
beforeAll(async () => {
  demo = await testDemo()
})
afterAll(() => demo?.close())

const TASK = { urls: ['https://shop.example.com/products'], selectors: { title: 'h1', price: '.price' } }
const HASH = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

/** @param {string} base @param {string} ip */
async function login(base, ip) {
  const res = await call(`${base}/auth/login`, {
    ip,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
  })
  expect(res.status).toBe(200)
  return /** @type {{ apiKey: string }} */ (await res.json()).apiKey
}

describe.each(['express', 'fastify', 'koa'])('%s', (framework) => {
  /** @type {string} */
  let base
  beforeAll(() => {
    base = demo.urls[/** @type {'express' | 'fastify' | 'koa'} */ (framework)]
  })

  it('answers the index with security headers and the endpoint rate-limit headers', async () => {
    const res = await call(`${base}/`, { ip: nextIp() })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ service: 'bulwark-demo', framework })
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
    expect(res.headers.get('x-content-type-options')).toBe('nosniff')
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/)
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN')
    expect(res.headers.get('x-powered-by')).toBeNull()
    expect(res.headers.get('ratelimit-policy')).toBe('"default";q=60;w=60')
    expect(res.headers.get('ratelimit')).toMatch(/^"default";r=59;t=\d+$/)
  })

  it('leaves /health alone (not inspected, no rate-limit headers)', async () => {
    const res = await call(`${base}/health`, { ip: nextIp() })
    expect(res.status).toBe(200)
    expect(res.headers.get('ratelimit')).toBeNull()
  })

  it('creates a task validated by TaskConfigSchema and reads it back', async () => {
    const ip = nextIp()
    const created = await call(`${base}/api/tasks`, {
      ip,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...TASK, wait_time: 40 }),
    })
    expect(created.status).toBe(201)
    const task = await created.json()
    // timeout defaults to 60 s (as in the specification), so a 40 s wait_time needs no timeout
    expect(task).toMatchObject({
      status: 'queued',
      config: { output_format: 'json', timeout: 60, wait_time: 40 },
    })
    expect(created.headers.get('location')).toBe(`/api/tasks/${task.id}`)
    expect(created.headers.get('ratelimit-policy')).toBe('"tasks";q=20;w=60')
    const read = await call(`${base}/api/tasks/${task.id}`, { ip })
    expect(read.status).toBe(200)
    expect(await read.json()).toEqual(task)
    expect((await call(`${base}/api/tasks/nope`, { ip })).status).toBe(404)
  })

  it('refuses an invalid task with the validator issues, and bad JSON with 400', async () => {
    const ip = nextIp()
    const res = await call(`${base}/api/tasks`, {
      ip,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        urls: ['http://169.254.169.254/latest/meta-data/'],
        selectors: { a: 'a' },
        extra: 1,
      }),
    })
    expect(res.status).toBe(400)
    const body = await res.json()
    expect(body.error).toBe('TASK_CONFIG_INVALID')
    expect(body.issues.map((/** @type {{ path: string }} */ i) => i.path)).toEqual(
      expect.arrayContaining(['urls[0]', 'extra']),
    )
    const broken = await call(`${base}/api/tasks`, {
      ip,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"urls": [',
    })
    expect(broken.status).toBe(400)
    expect(await broken.json()).toMatchObject({ error: 'Bad Request' })
  })

  it('looks a hash up with a key from /auth/login; a bad key is a 401', async () => {
    const ip = nextIp()
    const apiKey = await login(base, ip)
    const ok = await call(`${base}/api/scan?hash=${HASH}`, { ip, headers: { 'x-api-key': apiKey } })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ hash: HASH, type: 'sha256', verdict: expect.any(String) })
    const badHash = await call(`${base}/api/scan?hash=xyz`, { ip, headers: { 'x-api-key': apiKey } })
    expect(badHash.status).toBe(400)
    const noKey = await call(`${base}/api/scan?hash=${HASH}`, { ip })
    expect(noKey.status).toBe(401)
    expect(noKey.headers.get('www-authenticate')).toContain('X-API-Key')
  })

  it('limits /auth/ to 5 per minute: the 6th login is a 429 with Retry-After', async () => {
    const ip = nextIp()
    for (let i = 0; i < 5; i++) await login(base, ip)
    const res = await call(`${base}/auth/login`, {
      ip,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'demo', password: 'demo-password' }),
    })
    expect(res.status).toBe(429)
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(res.headers.get('ratelimit')).toMatch(/^"auth";r=0;t=\d+$/)
    expect(await res.json()).toMatchObject({ status: 429, detail: 'Rate limit: 5 requests per 60s on auth' })
  })

  it('answers a ban with 403 and the security headers', async () => {
    const ip = nextIp()
    const res = await call(`${base}/`, { ip, headers: { 'user-agent': 'Nikto/2.5.0' } })
    expect(res.status).toBe(403)
    expect(await res.json()).toEqual({
      error: 'Rate Limit Exceeded - Security Block',
      status: 403,
      detail: 'Scanner user agent: nikto',
    })
    expect(Number(res.headers.get('retry-after'))).toBe(3600)
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'")
  })

  it('counts a plain 401 from /auth/login as a failed authentication', async () => {
    const ip = nextIp()
    const before = (await demo.engine.listBans()).length
    // Five wrong passwords (the /auth/ limit); each 401 is reported by the adapter after the response.
    for (let i = 0; i < 5; i++) {
      const res = await call(`${base}/auth/login`, {
        ip,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'demo', password: `guess-${i}` }),
      })
      expect(res.status).toBe(401)
    }
    const failures = await waitFor(async () => {
      const n = demo.live.counters().totals.authFailures
      return n >= 5 ? n : 0
    })
    expect(failures).toBeGreaterThanOrEqual(5)
    expect((await demo.engine.listBans()).length).toBe(before)
  })
})

it('bans after 10 wrong API keys: the 11th request is answered with the ban', async () => {
  const ip = nextIp()
  const statuses = []
  for (let i = 0; i < 12; i++) {
    const res = await call(`${demo.urls.koa}/api/scan?hash=${HASH}`, {
      ip,
      headers: { 'x-api-key': `wrong-${i}` },
    })
    statuses.push(res.status)
  }
  expect(statuses).toEqual([...Array(10).fill(401), 403, 403])
  const ban = (await demo.engine.listBans()).find((b) => b.target === ip)
  expect(ban).toMatchObject({ rule: 'auth-failures', reason: 'Auth failures: 11 in 60s (limit 10)' })
})

it('refuses bodies over 100 kB in the framework (Bulwark refuses declared bodies over 10 MB before any parsing)', async () => {
  for (const base of Object.values(demo.urls)) {
    const huge = await call(`${base}/api/tasks`, {
      ip: nextIp(),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...TASK, padding: 'x'.repeat(200 * 1024) }),
    })
    expect(huge.status).toBe(413)
    expect(await huge.json()).toMatchObject({ error: 'Payload Too Large' })
  }
})
