/** Anything with `warn` (console, pino, winston). `error` and `info` are used when present. */
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
