import { type DynamicModule, Module, type Provider } from '@nestjs/common'
import { APP_GUARD, HttpAdapterHost } from '@nestjs/core'
import { BulwarkGuard } from './guard.js'
import type { BulwarkModuleAsyncOptions, BulwarkModuleOptions } from './options.js'
import { BulwarkService } from './service.js'

/** Injection token of the module's options. */
export const BULWARK_OPTIONS = Symbol('bulwark:options')

function providers(globalGuard: boolean | undefined): Provider[] {
  const list: Provider[] = [
    {
      provide: BulwarkService,
      useFactory: (options: BulwarkModuleOptions, host: HttpAdapterHost) => new BulwarkService(options, host),
      inject: [BULWARK_OPTIONS, HttpAdapterHost],
    },
    BulwarkGuard,
  ]
  if (globalGuard !== false) list.push({ provide: APP_GUARD, useExisting: BulwarkGuard })
  return list
}

/**
 * Bulwark for a Nest app on `@nestjs/platform-express` or `@nestjs/platform-fastify`: import
 * `BulwarkModule.forRoot(options)` once, in the root module. It registers `BulwarkGuard` globally and a hook for
 * requests no route matches, and closes the engine it created when the app closes.
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: a Nest dynamic module is a class with static forRoot()
export class BulwarkModule {
  static forRoot<Req = unknown>(options: BulwarkModuleOptions<Req> = {}): DynamicModule {
    return {
      module: BulwarkModule,
      global: true,
      providers: [{ provide: BULWARK_OPTIONS, useValue: options }, ...providers(options.globalGuard)],
      exports: [BulwarkService, BulwarkGuard],
    }
  }

  /** Options from a factory (a config service, a Redis client): `forRootAsync({ imports, inject, useFactory })`. */
  static forRootAsync<Req = unknown>(options: BulwarkModuleAsyncOptions<Req>): DynamicModule {
    return {
      module: BulwarkModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: BULWARK_OPTIONS, useFactory: options.useFactory, inject: options.inject ?? [] },
        ...providers(options.globalGuard),
      ],
      exports: [BulwarkService, BulwarkGuard],
    }
  }
}
