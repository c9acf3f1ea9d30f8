export type { BackoffOptions } from './backoff.js'
export type {
  CrowdSecBouncer,
  CrowdSecBouncerOptions,
  CrowdSecBouncerStats,
} from './bouncer.js'
export { crowdsecBouncer } from './bouncer.js'
export type { CrowdSecErrorCode } from './errors.js'
export { CrowdSecError } from './errors.js'
export type { CrowdSecEnvVar } from './from-env.js'
export { CROWDSEC_ENV_VARS, crowdsecFromEnv } from './from-env.js'
export type { FetchLike } from './http.js'
export type { ErrorListener } from './shared.js'
export type {
  BanEventSource,
  CrowdSecSource,
  CrowdSecSourceOptions,
  CrowdSecSourceStats,
  LapiAlert,
} from './source.js'
export { crowdsecSource } from './source.js'
