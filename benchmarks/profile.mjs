#!/usr/bin/env node
// CPU profile of the engine on the benchmark's hot/cold mix, summarised by function.
//
//   node profile.mjs [memory|redis] [seconds]
//
// Runs lib/profile-target.mjs under `node --cpu-prof`, writes the .cpuprofile to results/profiles/ (ignored by git;
// open it in Chrome DevTools) and prints the functions with the most self and inclusive time.
import { spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { summarise } from './lib/profile-summary.mjs'

const here = fileURLToPath(new URL('.', import.meta.url))
const store = process.argv[2] ?? 'memory'
const seconds = process.argv[3] ?? '5'
const dir = join(here, 'results', 'profiles')
mkdirSync(dir, { recursive: true })
const r = spawnSync(
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(here, 'lib', 'profile-target.mjs'), store, seconds],
  { stdio: 'inherit' },
)
if (r.status !== 0) process.exit(r.status ?? 1)
const newest = readdirSync(dir)
  .filter((f) => f.endsWith('.cpuprofile'))
  .map((f) => join(dir, f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
const s = summarise(JSON.parse(readFileSync(newest, 'utf8')), 30)
console.log(`\n${newest}\n${s.totalMs.toFixed(0)} ms sampled\n-- self time`)
for (const x of s.self) console.log(`${x.pct.toFixed(1).padStart(5)}%  ${x.fn}`)
console.log('-- inclusive time')
for (const x of s.inclusive) console.log(`${x.pct.toFixed(1).padStart(5)}%  ${x.fn}`)
