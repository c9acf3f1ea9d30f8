import 'reflect-metadata'
import type { IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type AdapterHarness,
  countBody,
  type FrameworkSetup,
  type StartedApp,
  type SuiteOptions,
  spellingsFor,
} from '@bulwark/testkit'
import helmetFastify from '@fastify/helmet'
import {
  Controller,
  Get,
  HttpCode,
  HttpException,
  type INestApplication,
  Module,
  Post,
  Req,
  Res,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express'
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify'
import helmet from 'helmet'
import {
  BulwarkAuth,
  BulwarkLimit,
  BulwarkModule,
  type BulwarkModuleOptions,
  type BulwarkRequestState,
  BulwarkService,
  BulwarkState,
  type RefusalHandler,
} from '../src/index.js'

export type Platform = 'express' | 'fastify'

/** A request of either platform, as the harness reads it. */
type AnyRequest = IncomingMessage & {
  raw?: IncomingMessage
  query: Record<string, unknown>
  bulwark?: BulwarkRequestState | null
}
type AnyResponse = { status(code: number): unknown }

const answer =
  (handler: string): RefusalHandler =>
  (decision) =>
    new HttpException({ handler, status: decision.status }, 418)

/** The controllers of the conformance suite's app; the route limit and the auth route depend on the setup. */
function controllers(platform: Platform, framework: FrameworkSetup | undefined): (new () => unknown)[] {
  const list: (new () => unknown)[] = []
  const routeLimit = framework?.routeLimit
  if (routeLimit) {
    @Controller('api')
    class TasksController {
      @Get('tasks')
      @BulwarkLimit(routeLimit!)
      tasks() {
        return { route: 'limited' }
      }
    }
    list.push(TasksController)
  }
  const authRoute = framework?.authRoute
  if (authRoute) {
    @Controller('auth')
    class AuthController {
      @Post()
      @BulwarkAuth()
      async login(@Res({ passthrough: true }) res: AnyResponse) {
        const status = await authRoute!()
        res.status(status)
        return { ok: status < 400 }
      }
    }
    list.push(AuthController)
  }

  // Each router's spelling of "any path": path-to-regexp 8 in express, find-my-way in fastify.
  const gonePath = platform === 'express' ? 'gone/{*rest}' : 'gone/*'
  const anyPath = platform === 'express' ? '{*any}' : '*'

  @Controller()
  class AppController {
    @Get('decision')
    decision(@BulwarkState() state: BulwarkRequestState | undefined, @Req() req: AnyRequest) {
      return {
        conclusion: state?.decision?.conclusion ?? null,
        rule: state?.decision?.rule ?? null,
        helper: typeof req.bulwark?.reportAuthFailure === 'function',
      }
    }

    @Get('login')
    @HttpCode(401)
    login() {
      return { ok: false }
    }

    @Get('login-report')
    @HttpCode(401)
    async loginReport(@BulwarkState() state: BulwarkRequestState | undefined) {
      await state?.reportAuthFailure()
      return { ok: false }
    }

    @Get('report')
    async report(@BulwarkState() state: BulwarkRequestState | undefined) {
      await state?.reportAuthFailure()
      return { ok: true }
    }

    @Get('2fa')
    async twoFactor(@BulwarkState() state: BulwarkRequestState | undefined) {
      await state?.report('2fa-failure')
      return { ok: false }
    }

    @Post('upload')
    @HttpCode(200)
    async upload(@Req() req: AnyRequest) {
      return { bytes: await countBody(req.raw ?? req) }
    }

    @Get(gonePath)
    @HttpCode(404)
    gone() {
      return { ok: false }
    }

    @Get(anyPath)
    any() {
      return { ok: true }
    }
  }
  list.push(AppController)
  return list
}

/** A Nest app with BulwarkModule.forRoot(options) and the given controllers, listening on 127.0.0.1. */
export async function startNest(
  platform: Platform,
  options: BulwarkModuleOptions,
  appControllers: (new () => unknown)[],
  framework?: FrameworkSetup,
): Promise<StartedApp & { app: INestApplication }> {
  @Module({ imports: [BulwarkModule.forRoot(options)], controllers: appControllers })
  class AppModule {}

  const trustProxy = framework?.trustProxy === true
  let app: NestExpressApplication | NestFastifyApplication
  if (platform === 'express') {
    const express = await NestFactory.create<NestExpressApplication>(AppModule, new ExpressAdapter(), {
      logger: false,
      forceCloseConnections: true,
      abortOnError: false,
    })
    if (trustProxy) express.set('trust proxy', true)
    if (framework?.helmet) express.use(helmet())
    app = express
  } else {
    const fastify = await NestFactory.create<NestFastifyApplication>(
      AppModule,
      new FastifyAdapter({ trustProxy, forceCloseConnections: true }),
      { logger: false, forceCloseConnections: true, abortOnError: false },
    )
    const instance = fastify.getHttpAdapter().getInstance()
    // Uploads reach the handler as the request stream, unread.
    instance.addContentTypeParser('application/octet-stream', (_req, _payload, done) => done(null))
    if (framework?.helmet) await fastify.register(helmetFastify as never)
    app = fastify
  }
  await app.listen(0, '127.0.0.1')
  const address = app.getHttpServer().address() as AddressInfo
  const engine = app.get(BulwarkService).engine
  return {
    url: `http://127.0.0.1:${address.port}`,
    engine,
    app,
    close: () => app.close(),
  }
}

/** The conformance suite's app on Nest with the given platform. */
export function nestHarness(platform: Platform): AdapterHarness {
  return {
    framework: platform,
    // @nestjs/platform-fastify 11 pins fastify 5.11 (find-my-way 9.7), which routes an absolute-form target with an
    // upper-case scheme (`HTTP://X/api/tasks`) to the catch-all route, not to `/api/tasks` (observed; fastify 5.12
    // routes it to the route). Bulwark counts it either way; the suite checks the router's own choice.
    ...(platform === 'fastify'
      ? { spellings: spellingsFor('fastify').filter((s) => !/^HTTP:\/\/X\//.test(s.target)) }
      : {}),
    start: (options: SuiteOptions, framework?: FrameworkSetup) =>
      startNest(platform, options as BulwarkModuleOptions, controllers(platform, framework), framework),
    query(req, name) {
      const value = (req as AnyRequest).query[name]
      return typeof value === 'string' ? value : undefined
    },
    header(req, name) {
      const value = (req as AnyRequest).headers[name]
      return typeof value === 'string' ? value : undefined
    },
    custom: { onBlocked: answer('blocked'), onLimited: answer('limited') },
  }
}
