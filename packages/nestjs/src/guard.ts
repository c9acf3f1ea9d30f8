import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import { BULWARK_AUTH, BULWARK_LIMIT, BULWARK_SKIP, type RouteLimitOptions } from './decorators.js'
import { BulwarkService } from './service.js'

/**
 * Decides about each request a route matched: the app-wide rules and the handler's `@BulwarkLimit` in one store
 * call; `@SkipBulwark()` handlers are left alone; `@BulwarkAuth()` handlers count the attempt before they run. A
 * refusal is thrown as `BulwarkException`. `BulwarkModule` registers it globally unless `globalGuard: false`.
 */
@Injectable()
export class BulwarkGuard implements CanActivate {
  private readonly reflector = new Reflector()

  constructor(@Inject(BulwarkService) private readonly bulwark: BulwarkService) {}

  canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    if (context.getType() !== 'http') return true
    const targets = [context.getHandler(), context.getClass()]
    if (this.reflector.getAllAndOverride<boolean | undefined>(BULWARK_SKIP, targets) === true) return true
    const http = context.switchToHttp()
    const pending = this.bulwark.check(http.getRequest(), http.getResponse(), {
      handler: context.getHandler(),
      limit: this.reflector.getAllAndOverride<RouteLimitOptions | undefined>(BULWARK_LIMIT, targets),
      auth: this.reflector.getAllAndOverride<boolean | undefined>(BULWARK_AUTH, targets) === true,
    })
    return pending === undefined ? true : pending.then(() => true)
  }
}
