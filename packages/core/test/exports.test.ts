import { expect, expectTypeOf, it } from 'vitest'
import type {
  BanEvent,
  BanInfo,
  BanTarget,
  BlockEvent,
  BlockInfo,
  BlockTarget,
  Bulwark,
  BulwarkEvents,
  BulwarkOptions,
  DenyEntry,
  DenyList,
  DenySink,
  DenySource,
  Evidence,
  GoodBotsOptions,
  UnbanEvent,
  UnblockEvent,
} from '../src/index.js'
import * as core from '../src/index.js'

it('the public API is exactly this (a change here is a change to the package contract)', () => {
  expect(Object.keys(core).sort()).toEqual([
    'AUTH_FAILURE',
    'BODY_TOO_LARGE',
    'BUILTIN_COUNTER_KEYS',
    'BulwarkError',
    'CLOUDFLARE_IPS',
    'ClientIpResolver',
    'DEFAULTS',
    'DEFAULT_PROBE_ALLOW',
    'DEFAULT_SCANNER_AGENTS',
    'DIAGNOSTICS',
    'ENV_VARS',
    'EXPRESS_ROUTING',
    'FASTIFY_ROUTING',
    'GOOD_BOT_RANGES',
    'GOOD_BOT_RANGE_SOURCES',
    'GOOD_BOT_SIGNATURES',
    'KOA_ROUTING',
    'MEMORY_STORE_DEFAULTS',
    'MemoryStore',
    'NOT_FOUND',
    'NOT_FOUND_DEFAULTS',
    'PROBE_SIGNATURES',
    'RequestState',
    'SCANNER_AGENT_SIGNATURES',
    'SIGNATURE_SOURCES',
    'adapterRuntime',
    'authFailures',
    'bodySize',
    'burst',
    'canonicalMethod',
    'canonicalPath',
    'configFromEnv',
    'consoleLogger',
    'createBulwark',
    'createConsoleLogger',
    'denyList',
    'endpoints',
    'escalatedTtl',
    'fetchBotRanges',
    'fingerprint',
    'formatWindow',
    'hasUndeclaredBody',
    'hashApiKey',
    'isAllowed',
    'isBan',
    'isCrossSite',
    'isRateLimit',
    'isRefused',
    'limit',
    'notFound',
    'parseContentLength',
    'parseTarget',
    'passHeaders',
    'probes',
    'rateLimitHeaders',
    'resolveOptions',
    'responseFor',
    'routeLimit',
    'scanner',
    'scraping',
    'silentLogger',
    'suspicion',
  ])
})

it('one word for a ban: ban/unban/listBans and the ban/unban events; the block names are deprecated aliases', () => {
  expectTypeOf<Bulwark['ban']>().returns.toEqualTypeOf<Promise<BanInfo>>()
  expectTypeOf<Bulwark['unban']>().parameter(0).toEqualTypeOf<BanTarget>()
  expectTypeOf<Bulwark['listBans']>().returns.toEqualTypeOf<Promise<BanInfo[]>>()
  expectTypeOf<BulwarkEvents['ban']>().toEqualTypeOf<[BanEvent]>()
  expectTypeOf<BulwarkEvents['unban']>().toEqualTypeOf<[UnbanEvent]>()
  expectTypeOf<BanEvent['type']>().toEqualTypeOf<'ban'>()
  expectTypeOf<UnbanEvent['type']>().toEqualTypeOf<'unban'>()
  // Deprecated for one release: the same shapes under the old names.
  expectTypeOf<Bulwark['block']>().toEqualTypeOf<Bulwark['ban']>()
  expectTypeOf<Bulwark['unblock']>().toEqualTypeOf<Bulwark['unban']>()
  expectTypeOf<Bulwark['listBlocks']>().toEqualTypeOf<Bulwark['listBans']>()
  expectTypeOf<BlockInfo>().toEqualTypeOf<BanInfo>()
  expectTypeOf<BlockTarget>().toEqualTypeOf<BanTarget>()
  expectTypeOf<Omit<BlockEvent, 'type'>>().toEqualTypeOf<Omit<BanEvent, 'type'>>()
  expectTypeOf<BlockEvent['type']>().toEqualTypeOf<'block'>()
  expectTypeOf<Omit<UnblockEvent, 'type'>>().toEqualTypeOf<Omit<UnbanEvent, 'type'>>()
  expectTypeOf<UnblockEvent['type']>().toEqualTypeOf<'unblock'>()
})

it('deny sources: the sink a source feeds, the source the engine starts, the source of every ban', () => {
  expectTypeOf<DenyEntry>().toEqualTypeOf<{ target: string; ttlMs?: number; reason?: string }>()
  expectTypeOf<DenySink['replace']>().returns.toEqualTypeOf<{ added: number; rejected: number }>()
  expectTypeOf<DenySink['add']>().toEqualTypeOf<(entry: DenyEntry) => boolean>()
  expectTypeOf<DenySink['remove']>().toEqualTypeOf<(target: string) => boolean>()
  expectTypeOf<DenySink['error']>().toEqualTypeOf<(error: unknown) => void>()
  expectTypeOf<DenySource['start']>().toEqualTypeOf<(sink: DenySink) => void | Promise<void>>()
  expectTypeOf<DenyList>().toMatchTypeOf<DenySource>()
  expectTypeOf<BulwarkOptions['deny']>().toEqualTypeOf<readonly DenySource[] | undefined>()
  expectTypeOf<BanInfo['source']>().toEqualTypeOf<string>()
  expectTypeOf<Evidence['source']>().toEqualTypeOf<string | undefined>()
  expectTypeOf<BulwarkOptions['goodBots']>().toEqualTypeOf<boolean | GoodBotsOptions | undefined>()
})
