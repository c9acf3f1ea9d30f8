import 'reflect-metadata'
import { fakeClock } from '@bulwark/testkit'
import {
  type ArgumentsHost,
  Catch,
  Controller,
  type ExceptionFilter,
  Get,
  HttpException,
  Injectable,
  Module,
  Post,
  UseGuards,
} from '@nestjs/common'
import { APP_FILTER, NestFactory } from '@nestjs/core'
import { ExpressAdapter } from '@nestjs/platform-express'
import { FastifyAdapter } from '@nestjs/platform-fastify'
import { afterEach, describe, expect, it } from 'vitest'
import {
  BulwarkAuth,
  BulwarkException,
  BulwarkGuard,
  BulwarkLimit,
  BulwarkModule,
  BulwarkService,
  SkipBulwark,
} from '../src/index.js'
import { type Platform, startNest } from './harness.js'

const opened: { close(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((a) => a.close()))
})

async function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  const res = await fetch(url, { method, headers })
  const text = await res.text()
  return {
    status: res.status,
    body: text.startsWith('{') ? JSON.parse(text) : text,
    policy: res.headers.get('ratelimit-policy'),
    retryAfter: res.headers.get('retry-after'),
  }
}

@Controller('health')
@SkipBulwark()
class HealthController {
  @Get()
  health() {
    return { ok: true }
  }

  @Get('deep')
  @SkipBulwark(false)
  deep() {
    return { deep: true }
  }
}

@Controller('reports')
@BulwarkLimit({ limit: 2, windowMs: 60_000 })
class ReportsController {
  @Get()
  list() {
    return { reports: [] }
  }

  @Get('export')
  @BulwarkLimit({ limit: 1, windowMs: 3_600_000, id: 'export' })
  exportAll() {
    return { exported: true }
  }

  @Post(':id/run')
  run() {
    return { ran: true }
  }
}

describe.each<Platform>(['express', 'fastify'])('@bulwark/nestjs on platform-%s', (platform) => {
  async function start(options: Record<string, unknown> = {}, controllers: (new () => unknown)[] = []) {
    const app = await startNest(platform, { clock: fakeClock(), ...options }, [
      HealthController,
      ReportsController,
      ...controllers,
    ])
    opened.push(app)
    return app
  }

  it('@SkipBulwark() on a controller leaves its handlers alone: 60 requests in a second, no decision', async () => {
    const app = await start()
    const statuses = new Set<number>()
    for (let i = 0; i < 60; i++) statuses.add((await get(`${app.url}/health`)).status)
    expect([...statuses]).toEqual([200])
    // Skipped requests were never counted: a handler put back under Bulwark with @SkipBulwark(false) serves this
    // client, and decides it (its 51st request in the second would be banned).
    expect((await get(`${app.url}/health/deep`)).status).toBe(200)
    for (let i = 0; i < 49; i++) await get(`${app.url}/health/deep`)
    expect((await get(`${app.url}/health/deep`)).status).toBe(403)
  })

  it('a controller @BulwarkLimit gives each route its own counter; a handler @BulwarkLimit replaces it', async () => {
    const app = await start({ suspicion: false })
    const list = [
      await get(`${app.url}/reports`),
      await get(`${app.url}/reports`),
      await get(`${app.url}/reports`),
    ]
    expect(list.map((r) => r.status)).toEqual([200, 200, 429])
    expect(list[0]?.policy).toBe('"GET /reports";q=2;w=60')
    expect(list[2]?.retryAfter).toBe('60')
    // The POST route has its own counter, named by the router's pattern (not by the id in the URL).
    const runs = [
      await get(`${app.url}/reports/1/run`, {}, 'POST'),
      await get(`${app.url}/reports/2/run`, {}, 'POST'),
      await get(`${app.url}/reports/3/run`, {}, 'POST'),
    ]
    expect(runs.map((r) => r.status)).toEqual([201, 201, 429])
    expect(runs[0]?.policy).toBe('"POST /reports/:id/run";q=2;w=60')
    // The handler's own limit, not the controller's: 1 an hour, with its id.
    const exports = [await get(`${app.url}/reports/export`), await get(`${app.url}/reports/export`)]
    expect(exports.map((r) => r.status)).toEqual([200, 429])
    expect(exports[0]?.policy).toBe('"export";q=1;w=3600')
    expect(exports[1]?.body).toEqual({
      error: 'Too Many Requests',
      status: 429,
      detail: 'Rate limit: 1 requests per 1h on export',
    })
  })

  it('decides requests no route matches, before Nest answers 404: a scanner is banned, probes are counted', async () => {
    const app = await start()
    const scanner = await get(`${app.url}/nowhere`, { 'user-agent': 'sqlmap/1.8' })
    expect([scanner.status, scanner.retryAfter]).toEqual([403, '3600'])
    expect(scanner.body).toMatchObject({ error: 'Rate Limit Exceeded - Security Block', status: 403 })
    const app2 = await start()
    const probes = []
    for (const path of ['/.env', '/.git/config', '/wp-admin/', '/backup.sql', '/.aws/credentials'])
      probes.push((await get(`${app2.url}${path}`)).status)
    expect(probes).toEqual([404, 404, 404, 404, 403])
  })

  it('a refusal is a BulwarkException: your exception filters see it, and the headers are already set', async () => {
    @Catch(BulwarkException)
    class Filter implements ExceptionFilter {
      catch(exception: BulwarkException, host: ArgumentsHost) {
        const res = host.switchToHttp().getResponse()
        const body = { refused: exception.decision.rule, status: exception.getStatus() }
        if (typeof res.code === 'function') res.code(exception.getStatus()).send(body)
        else res.status(exception.getStatus()).json(body)
      }
    }
    @Module({
      imports: [
        BulwarkModule.forRoot({
          clock: fakeClock(),
          endpoints: [{ match: '/reports', limit: 1, windowMs: 60_000 }],
        }),
      ],
      controllers: [ReportsController],
      providers: [{ provide: APP_FILTER, useClass: Filter }],
    })
    class AppModule {}
    const app = await NestFactory.create(
      AppModule,
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      { logger: false, forceCloseConnections: true, abortOnError: false },
    )
    await app.listen(0, '127.0.0.1')
    opened.push(app)
    const url = `http://127.0.0.1:${app.getHttpServer().address().port}`
    await get(`${url}/reports`)
    const refused = await get(`${url}/reports`)
    expect([refused.status, refused.body, refused.retryAfter]).toEqual([
      429,
      { refused: 'endpoint', status: 429 },
      '60',
    ])
    // Requests no route matched go through the same filters.
    const banned = await get(`${url}/nowhere`, { 'user-agent': 'sqlmap' })
    expect([banned.status, banned.body]).toEqual([403, { refused: 'scanner', status: 403 }])
  })

  it('forRootAsync takes options from a factory; the engine is injectable and closed with the app', async () => {
    @Injectable()
    class Settings {
      readonly burst = 3
    }
    @Module({ providers: [Settings], exports: [Settings] })
    class SettingsModule {}
    @Module({
      imports: [
        BulwarkModule.forRootAsync({
          imports: [SettingsModule],
          inject: [Settings],
          useFactory: (settings: Settings) => ({ burst: { limit: settings.burst } }),
        }),
      ],
      controllers: [ReportsController],
    })
    class AppModule {}
    const app = await NestFactory.create(
      AppModule,
      platform === 'express' ? new ExpressAdapter() : new FastifyAdapter(),
      { logger: false, forceCloseConnections: true, abortOnError: false },
    )
    await app.listen(0, '127.0.0.1')
    const url = `http://127.0.0.1:${app.getHttpServer().address().port}`
    const engine = app.get(BulwarkService).engine
    const closed = new Promise<void>((resolve) => {
      const close = engine.close.bind(engine)
      engine.close = async () => {
        await close()
        resolve()
      }
    })
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await get(`${url}/nowhere`)).status)
    expect(statuses).toEqual([404, 404, 404, 403])
    await app.close()
    await closed
  })

  it('globalGuard: false puts BulwarkGuard where you use it, after your own guard; auth handlers reserve', async () => {
    @Injectable()
    class AuthGuard {
      canActivate(context: {
        switchToHttp(): { getRequest(): { user?: string; headers: Record<string, string> } }
      }) {
        const req = context.switchToHttp().getRequest()
        req.user = req.headers['x-user']
        return true
      }
    }
    @Controller('account')
    @UseGuards(AuthGuard, BulwarkGuard)
    class AccountController {
      @Get()
      @BulwarkLimit({ limit: 1, windowMs: 60_000, by: 'user' })
      me() {
        return { me: true }
      }

      @Post('login')
      @BulwarkAuth()
      login() {
        throw new HttpException({ ok: false }, 401)
      }
    }
    const app = await start(
      {
        globalGuard: false,
        suspicion: false,
        authFailures: { limit: 2 },
        user: (req: { user?: string }) => req.user,
      },
      [AccountController],
    )
    expect((await get(`${app.url}/account`, { 'x-user': 'ann' })).status).toBe(200)
    expect((await get(`${app.url}/account`, { 'x-user': 'ann' })).status).toBe(429)
    expect((await get(`${app.url}/account`, { 'x-user': 'bob' })).status).toBe(200)
    const logins = []
    for (let i = 0; i < 3; i++) logins.push((await get(`${app.url}/account/login`, {}, 'POST')).status)
    expect(logins).toEqual([401, 401, 403])
  })

  it('@BulwarkLimit checks its options when the controller is defined', () => {
    expect(() => BulwarkLimit({ limit: -1, windowMs: 1000 })).toThrow()
  })

  it('runs with no HTTP platform (an application context): the module loads, nothing is decided', async () => {
    @Module({ imports: [BulwarkModule.forRoot()] })
    class AppModule {}
    const context = await NestFactory.createApplicationContext(AppModule, {
      logger: false,
      abortOnError: false,
    })
    expect(context.get(BulwarkService).engine).toBeDefined()
    await context.close()
  })
})
