import { createServer, type Server } from 'node:http'
import { type Bulwark, createBulwark } from '@bulwark/core'
import { bulwark as expressBulwark } from '@bulwark/express'
import { bulwark as fastifyBulwark } from '@bulwark/fastify'
import { bulwark as koaBulwark } from '@bulwark/koa'
import { fakeClock } from '@bulwark/testkit'
import express from 'express'
import Fastify from 'fastify'
import Koa from 'koa'
import { afterEach, describe, expect, it } from 'vitest'
import { type Admin, createAdmin, expressAdmin, fastifyAdmin, koaAdmin } from '../src/index.js'
import { bearer, closeServer, listen, openStream, TOKEN, waitFor } from './helpers.js'

interface Mounted {
  url: string
  close(): Promise<void>
}

const stops: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop()
})

/** An app with the admin at /admin and Bulwark on everything else, one engine. */
const MOUNTS: Record<string, (engine: Bulwark, admin: Admin) => Promise<Mounted>> = {
  async express(engine, admin) {
    const app = express()
    app.use('/admin', expressAdmin(admin))
    app.use(expressBulwark({ engine }))
    app.get('/api/items', (_req, res) => void res.json({ ok: true }))
    const server = createServer(app)
    return { url: await listen(server), close: () => closeServer(server) }
  },
  async fastify(engine, admin) {
    const app = Fastify()
    await app.register(fastifyBulwark, { engine })
    await app.register(fastifyAdmin(admin), { prefix: '/admin' })
    app.get('/api/items', async () => ({ ok: true }))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address() as { port: number }
    return { url: `http://127.0.0.1:${address.port}`, close: () => app.close() }
  },
  async koa(engine, admin) {
    const app = new Koa()
    app.use(koaAdmin(admin, { prefix: '/admin' }))
    app.use(koaBulwark({ engine }))
    app.use((ctx) => {
      if (ctx.path === '/api/items') ctx.body = { ok: true }
    })
    const server: Server = createServer(app.callback())
    return { url: await listen(server), close: () => closeServer(server) }
  },
}

describe.each(Object.keys(MOUNTS))('mounted in %s', (framework) => {
  it('serves the API and the dashboard at /admin, and the app around it', async () => {
    const engine = createBulwark({ logger: false, clock: fakeClock(), emitAllows: true })
    const admin = createAdmin({ engine, token: TOKEN, env: {} })
    const app = await (MOUNTS[framework] as (typeof MOUNTS)['express'])(engine, admin)
    stops.push(
      () => engine.close(),
      () => admin.close(),
      () => app.close(),
    )

    // A burst through the app bans 127.0.0.1; the admin still answers the operator (mounted outside Bulwark).
    const statuses: number[] = []
    for (let i = 0; i < 52; i++) statuses.push((await fetch(`${app.url}/api/items`)).status)
    expect(statuses.slice(0, 50).every((s) => s === 200)).toBe(true)
    expect(statuses.slice(50)).toEqual([403, 403])

    // Without the token a banned client gets the ban's 403; with it, the operator is served.
    expect((await fetch(`${app.url}/admin/api/bans`)).status).toBe(403)
    const bans = await (await fetch(`${app.url}/admin/api/bans`, { headers: bearer() })).json()
    expect(bans).toMatchObject({ count: 1, bans: [{ target: '127.0.0.1', rule: 'burst' }] })

    const stream = openStream(`${app.url}/admin/api/events?topics=unban`)
    await stream.opened
    await waitFor(() => admin.feed.listeners === 1, { what: 'the stream' })

    const del = await fetch(`${app.url}/admin/api/bans/127.0.0.1`, { method: 'DELETE', headers: bearer() })
    expect(await del.json()).toEqual({ unbanned: true })
    await waitFor(() => stream.events.some((e) => e.event === 'unban'), { what: 'the unban event' })
    stream.close()
    expect((await fetch(`${app.url}/api/items`)).status).toBe(200)

    // A JSON body, read by the admin itself.
    const post = await fetch(`${app.url}/admin/api/whitelist`, {
      method: 'POST',
      headers: { ...bearer(), 'content-type': 'application/json' },
      body: JSON.stringify({ entry: '192.0.2.0/24' }),
    })
    expect([post.status, await post.json()]).toEqual([201, { entries: ['192.0.2.0/24'] }])

    const page = await fetch(`${app.url}/admin/`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(await page.text()).toContain('src="dashboard.js"')
    expect((await fetch(`${app.url}/admin/dashboard.css`)).headers.get('content-type')).toBe(
      'text/css; charset=utf-8',
    )
    const bare = await fetch(`${app.url}/admin`, { redirect: 'manual' })
    expect([bare.status, bare.headers.get('location')]).toEqual([308, 'admin/'])
  })
})
