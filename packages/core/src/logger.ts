/** Anything with `warn` (console, pino, winston). `error` and `info` are used when present. */
export interface Logger {
  warn(message: string): void
  error?(message: string): void
  info?(message: string): void
}

export const consoleLogger: Logger = {
  warn: (m) => console.warn(m),
  error: (m) => console.error(m),
  info: (m) => console.info(m),
}

export const silentLogger: Logger = { warn: () => {} }
