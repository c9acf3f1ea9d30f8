import { type Logger, writeLog } from './logger.js'

/**
 * Every warning Bulwark gives about how it is set up, in one registry: a stable code, what is wrong, and the one-line
 * fix. Each fires at most once per engine and can be switched off (`diagnostics: { CODE: false }`, or `false` for
 * all). The core README lists them.
 */
export const DIAGNOSTICS = {
  BULWARK_XFF_UNTRUSTED: {
    problem:
      'A request carried a forwarding header (X-Forwarded-For, Forwarded, X-Real-IP) that no trusted proxy wrote: the header is ignored and the socket address is counted.',
    fix: 'Behind a proxy or load balancer, set trustProxy to its hop count or CIDRs.',
  },
  BULWARK_TRUST_PROXY_MISMATCH: {
    problem:
      "The framework's proxy trust and Bulwark's trustProxy disagree: the app sees a different client address than the one Bulwark counts and bans.",
    fix: 'Set both to the same proxies (express `trust proxy`, fastify `trustProxy`, koa `app.proxy`).',
  },
  BULWARK_KEY_SECRET_RANDOM: {
    problem:
      "apiKeySecret is not set while using a shared store: API keys are hashed with a random per-process secret, so engines will not recognise each other's key counters and bans.",
    fix: 'Set apiKeySecret (or BULWARK_KEY_SECRET) to the same secret of at least 16 characters on every engine.',
  },
  BULWARK_USER_MISSING: {
    problem: "A rule counts by: 'user' but a request carried no user, so it was counted by its IP.",
    fix: "Give the adapter a user(req) option (e.g. (req) => req.user?.id), and in fastify run Bulwark after authentication (hook: 'preHandler').",
  },
  BULWARK_RULE_FAILED: {
    problem: "A rule's check or verdict threw: that rule was skipped for the request; the others decided.",
    fix: 'Fix the rule (or the limit/cost function it calls); rules must not throw for any request.',
  },
  BULWARK_NO_CLIENT_ADDRESS: {
    problem:
      'A request had no readable client address (its connection was already closed, or the adapter passed none): it was refused, not counted.',
    fix: "If every request is refused this way, the adapter is not given the client's address: pass the socket address (or the runtime's) as facts.ip.",
  },
  BULWARK_PROXY_UNTRUSTED: {
    level: 'error',
    problem:
      'Forwarding headers arrive from a loopback, private or link-local address that is not trusted: a load balancer or reverse proxy Bulwark was not told about. Every client looks like that one address; it is limited (429) for a rule window at most, never banned (proxyMisconfiguration: fail-safe).',
    fix: "Set trustProxy to the proxies in front of the app (see the detail), or proxyMisconfiguration: 'strict' to ban it like any client.",
  },
  BULWARK_DENY_FULL: {
    level: 'error',
    problem:
      'The deny table (deny sources and range bans) reached maxDenyEntries: further entries were refused, so some listed addresses are not refused.',
    fix: 'Raise maxDenyEntries (each entry takes about 150 bytes), or load smaller lists.',
  },
  BULWARK_BANS_FULL: {
    problem:
      "The memory store's ban table is full (maxBans): the ban closing soonest was dropped to make room (an 'evicted' event says which).",
    fix: 'Raise MemoryStore maxBans (a ban takes about 200 bytes), or use a shared store (@bulwark/redis).',
  },
} as const satisfies Record<string, { problem: string; fix: string; level?: 'error' }>

export type DiagnosticCode = keyof typeof DIAGNOSTICS

/** `false` silences every diagnostic; an object silences the codes set to false. Default: all on. */
export type DiagnosticsOption = boolean | Partial<Record<DiagnosticCode, boolean>>

/** A diagnostic as emitted in the engine's `diagnostic` event. */
export interface Diagnostic {
  type: 'diagnostic'
  code: DiagnosticCode
  problem: string
  fix: string
  /** `error` for a problem that changes what Bulwark does (a suspected proxy), `warn` otherwise. */
  level: 'warn' | 'error'
  /** What the engine saw, when it helps (a rule id, the framework, the exact setting to use). */
  detail?: string
}

/** Fires each code once (per engine), through the logger and a listener. */
export class Diagnostics {
  private readonly fired = new Set<DiagnosticCode>()

  constructor(
    private readonly option: DiagnosticsOption,
    private readonly logger: Logger | null,
    private readonly emit: (d: Diagnostic) => void,
  ) {}

  /** Report `code` unless it fired already or is switched off. Returns true when it was reported now. */
  report(code: DiagnosticCode, detail?: string): boolean {
    if (this.fired.has(code)) return false
    this.fired.add(code)
    if (this.option === false || (typeof this.option === 'object' && this.option[code] === false))
      return false
    const entry: { problem: string; fix: string; level?: 'error' } = DIAGNOSTICS[code]
    const { problem, fix } = entry
    const d: Diagnostic = { type: 'diagnostic', code, problem, fix, level: entry.level ?? 'warn' }
    if (detail !== undefined) d.detail = detail
    const line = `[${code}] ${problem}${detail === undefined ? '' : ` (${detail})`} Fix: ${fix}`
    const fields = { event: 'diagnostic' as const, code, ...(detail === undefined ? {} : { detail }) }
    writeLog(this.logger, d.level, fields, line)
    this.emit(d)
    return true
  }

  has(code: DiagnosticCode): boolean {
    return this.fired.has(code)
  }
}
