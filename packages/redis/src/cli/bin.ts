#!/usr/bin/env node
import { main } from './main.js'

main(process.argv.slice(2), {
  env: process.env,
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`bulwark: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
