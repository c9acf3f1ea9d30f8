/**
 * Anything with `warn` (console, pino, winston). `error` and `info` are used when present. A pino-compatible logger
 * (see `isPinoCompatible`) is called with `(fields, message)`, any other with the message only.
 */
export interface Logger {
  warn(message: string): void
  error?(message: string): void
  info?(message: string): void
}

/** One method of the console logger: `(message)`, or pino's `(fields, message)` order. */
export interface ConsoleLogMethod {
  (message: string): void
  (fields: object, message?: string): void
}

/** The default logger: a `Logger` whose methods also take pino-style `(fields, message)` calls. */
export interface ConsoleLogger extends Logger {
  warn: ConsoleLogMethod
  error: ConsoleLogMethod
  info: ConsoleLogMethod
}

/** Where the console logger writes: `console` by default (its methods are looked up on each call). */
export interface ConsoleSink {
  warn(line: string): void
  error(line: string): void
  info(line: string): void
}

export interface ConsoleLoggerOptions {
  /** The logger name in each line. Default `bulwark`. */
  name?: string
  /** The clock, in ms since the epoch. Default `Date.now`. */
  now?: () => number
  /** Where lines go: warnings through `warn`, errors through `error`, the rest through `info`. Default `console`. */
  sink?: ConsoleSink
}

/** `2026-03-01 22:05:00`: the UTC date and time, to the second, whatever the machine's time zone. */
export function formatLogTime(ms: number): string {
  const date = new Date(Number.isFinite(ms) ? ms : Date.now())
  return date.toISOString().slice(0, 19).replace('T', ' ')
}

function describeFields(fields: object, message: string | undefined): string {
  if (fields instanceof Error) {
    const error = `${fields.name}: ${fields.message}`
    return message === undefined ? error : `${message} (${error})`
  }
  let json: string
  try {
    json = JSON.stringify(fields) ?? ''
  } catch {
    json = '[fields not serializable]'
  }
  const extra = json === '{}' || json === '' ? '' : json
  if (message === undefined) return extra
  return extra === '' ? message : `${message} ${extra}`
}

/**
 * A logger writing the specification's line to the console:
 * `2026-03-01 22:05:00 [WARNING] bulwark – Security Block activated | IP: … | Reason: … | Duration: 3600s`
 * (UTC time, level `INFO`, `WARNING` or `ERROR`, the logger name, an en dash, the message). Pino-style
 * `(fields, message)` calls print the message followed by the fields as JSON. Never throws.
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): ConsoleLogger {
  const name = options.name ?? 'bulwark'
  const now = options.now ?? (() => Date.now())
  const sink = options.sink ?? console
  const method = (level: 'INFO' | 'WARNING' | 'ERROR', write: 'info' | 'warn' | 'error'): ConsoleLogMethod =>
    ((first: unknown, second?: unknown) => {
      try {
        const message =
          first !== null && typeof first === 'object'
            ? describeFields(first, second === undefined ? undefined : String(second))
            : String(first)
        sink[write](`${formatLogTime(now())} [${level}] ${name} – ${message}`)
      } catch {
        // a logger must never throw into the engine
      }
    }) as ConsoleLogMethod
  return { warn: method('WARNING', 'warn'), error: method('ERROR', 'error'), info: method('INFO', 'info') }
}

/** The default logger (`options.logger` unset): the specification's line on the console, see `createConsoleLogger`. */
export const consoleLogger: ConsoleLogger = createConsoleLogger()

export const silentLogger: Logger = { warn: () => {} }

/**
 * The fields of each line the engine logs. pino-compatible loggers get them as the first argument (pino's
 * `(fields, message)` order); the message is the same human line the console logger prints.
 */
export interface LogFields {
  /** What the line is about: `ban`, `store` (degraded or recovered), `diagnostic` or `error`. */
  event: 'ban' | 'store' | 'diagnostic' | 'error'
  /** The rule that banned (`burst`, `manual`, …), or the diagnostic's rule when it names one. */
  rule?: string
  /** Who: the banned subject (`ip:203.0.113.7`, `key:…`). */
  subject?: string
  /** The ban's length in seconds. */
  ttlS?: number
  /** The stable code of an error or diagnostic (`ERR_BULWARK_STORE`, `BULWARK_PROXY_UNTRUSTED`, …). */
  code?: string
  [field: string]: unknown
}

/**
 * True for a logger that takes pino's `(fields, message)` calls: pino and its children, `fastify.log`, bunyan —
 * anything with `child`, `fatal` and `trace` methods (fastify's own test for a pino-compatible logger). Any other
 * logger (console, winston, `{ warn }`) gets the message only.
 */
export function isPinoCompatible(logger: unknown): boolean {
  if (logger === null || typeof logger !== 'object') return false
  const l = logger as Record<string, unknown>
  return typeof l.child === 'function' && typeof l.fatal === 'function' && typeof l.trace === 'function'
}

/**
 * Write one line: `logger[level](fields, message)` to a pino-compatible logger, `logger[level](message)` to any
 * other (falling back to `warn` when the logger has no such method). Never throws.
 */
export function writeLog(
  logger: Logger | null | undefined,
  level: 'warn' | 'error' | 'info',
  fields: LogFields,
  message: string,
): void {
  if (logger === null || logger === undefined) return
  try {
    const l = logger as unknown as Record<string, ((...args: unknown[]) => void) | undefined>
    const write = typeof l[level] === 'function' ? l[level] : l.warn
    if (write === undefined) return
    if (isPinoCompatible(logger)) write.call(logger, fields, message)
    else write.call(logger, message)
  } catch {
    // a logger must never throw into the engine
  }
}
