export type { ClientState, CommandArg, RedisClient, Subscription } from './client.js'
export { ioredisClient } from './clients/ioredis.js'
export type {
  NodeRedisClientLike,
  NodeRedisClusterLike,
  NodeRedisSentinelLike,
} from './clients/node-redis.js'
export { nodeRedisClient } from './clients/node-redis.js'
export type { SubjectKeys } from './keys.js'
export { KeySpace, subjectTag } from './keys.js'
export type { ClockSource, RedisStoreOptions, ResolvedRedisStoreOptions } from './options.js'
export { REDIS_STORE_DEFAULTS } from './options.js'
export { RedisStore } from './redis-store.js'
export type { ScriptName } from './scripts.js'
export { LUA_SCRIPTS } from './scripts.js'
