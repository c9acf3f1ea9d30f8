/** Where progress goes: stderr, so stdout stays the command's output. */
export interface ProgressSink {
  /** True for a terminal a person watches (and `CI` unset): one status line, rewritten in place. */
  readonly isTTY: boolean
  write(text: string): void
}

export interface Progress {
  /** The current state ("imported 500 of 2000"): rewritten in place on a TTY; a plain line otherwise. */
  update(text: string): void
  /** A line that stays (a file written, a reload run). */
  line(text: string): void
  /** Clear the status line (TTY) before the command's last output. */
  end(): void
}

/**
 * Progress for long commands. On a TTY: one status line rewritten in place (`\r` and erase-line), at most ten
 * times a second, permanent lines printed above it. Elsewhere (a pipe, a log file, `CI` set): plain lines, one per
 * update, nothing rewritten, so logs stay readable.
 */
export function createProgress(sink: ProgressSink, now: () => number = Date.now): Progress {
  let status = ''
  let shown = Number.NEGATIVE_INFINITY
  const clear = () => {
    if (status !== '') sink.write('\r\x1b[2K')
  }
  if (!sink.isTTY) {
    return {
      update: (text) => sink.write(`${text}\n`),
      line: (text) => sink.write(`${text}\n`),
      end: () => {},
    }
  }
  return {
    update(text) {
      const t = now()
      if (text === status || t - shown < 100) {
        status = text
        return
      }
      shown = t
      clear()
      status = text
      sink.write(text)
    },
    line(text) {
      clear()
      sink.write(`${text}\n`)
      if (status !== '') sink.write(status)
    },
    end() {
      clear()
      status = ''
    },
  }
}

/** A sink that shows nothing (when the caller gives none). */
export const SILENT: ProgressSink = { isTTY: false, write: () => {} }

/**
 * Whether counts are shown live (rewritten in place): on a terminal, and `CI` unset, empty, "false" or "0" — as the
 * demo's attack simulator and the benchmarks decide it.
 */
export function isLive(isTTY: boolean | undefined, ci: string | undefined): boolean {
  const underCi = ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0'
  return isTTY === true && !underCi
}
