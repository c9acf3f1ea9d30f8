export type {
  BlockDecision,
  BulwarkRequestState,
  Decision,
  HttpResponse,
  LimitDecision,
  RouteLimitOptions,
} from '@bulwark/core'
export {
  BULWARK_AUTH,
  BULWARK_LIMIT,
  BULWARK_SKIP,
  BulwarkAuth,
  BulwarkLimit,
  SkipBulwark,
} from './decorators.js'
export { BulwarkException } from './exception.js'
export { BulwarkGuard } from './guard.js'
export { BULWARK_OPTIONS, BulwarkModule } from './module.js'
export type { BulwarkModuleAsyncOptions, BulwarkModuleOptions, RefusalHandler } from './options.js'
export type { PlatformName } from './platform.js'
export { BulwarkService } from './service.js'
export { BulwarkState } from './state.js'
