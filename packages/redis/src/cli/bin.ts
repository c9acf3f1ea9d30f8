#!/usr/bin/env node
import { main } from './main.js'
import { isLive } from './progress.js'

// Ctrl-C (or SIGTERM) stops `export --watch` cleanly, after the check in progress, and `events` after the line it
// prints; any other command just exits.
const stop = new AbortController()
const args = process.argv.slice(2)
const watching = args.includes('--watch') || args.includes('events')
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (!watching) process.exit(130)
    stop.abort()
  })
}

main(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  // Counts as they go on stderr: rewritten in place on a terminal, plain lines in a pipe or under CI.
  progress: {
    isTTY: isLive(process.stderr.isTTY, process.env.CI),
    write: (text) => process.stderr.write(text),
  },
  stop: stop.signal,
}).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`bulwark: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
