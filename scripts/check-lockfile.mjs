#!/usr/bin/env node
// Fails when package-lock.json is out of sync with the package.json files, i.e. when `npm ci` would refuse it or
// `npm install` would rewrite it. Two checks, both without touching node_modules:
//   1. every workspace's declared dependencies (and name, version) are what the lockfile recorded for it, and the
//      lockfile records no workspace that is gone: catches added, removed and re-ranged dependencies;
//   2. `npm ci --dry-run` accepts the lockfile: npm's own check that the tree the package.json files ask for is the
//      one locked, every platform's optional packages included. Offline first; the registry is asked only for
//      metadata the npm cache lacks.
// Usage: node scripts/check-lockfile.mjs [root]   (default: the repository this script is in)
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'))
const readJson = (file) => JSON.parse(readFileSync(join(root, file), 'utf8'))
const FIELDS = [
  'name',
  'version',
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'workspaces',
]

/** The workspace folders the root package.json names (`dir` or `dir/*` patterns, as this repository uses). */
function workspaceDirs(patterns) {
  const dirs = []
  for (const pattern of patterns) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2)
      if (!existsSync(join(root, parent))) continue
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json'))) {
          dirs.push(`${parent}/${entry.name}`)
        }
      }
    } else if (!pattern.includes('*')) {
      if (existsSync(join(root, pattern, 'package.json'))) dirs.push(pattern)
    } else {
      throw new Error(`check-lockfile: workspace pattern ${pattern} is not supported (use "dir" or "dir/*")`)
    }
  }
  return dirs.sort()
}

/** JSON with sorted keys, so key order does not count as a difference. */
function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}

const problems = []
const rootPackage = readJson('package.json')
const lock = readJson('package-lock.json')
const locked = lock.packages ?? {}
if (lock.lockfileVersion < 2)
  problems.push(`lockfileVersion ${lock.lockfileVersion}: run npm install with npm >= 7`)

const dirs = workspaceDirs(rootPackage.workspaces ?? [])
for (const dir of ['', ...dirs]) {
  const manifest = dir === '' ? rootPackage : readJson(`${dir}/package.json`)
  const entry = locked[dir]
  const where = dir === '' ? 'package.json' : `${dir}/package.json`
  if (!entry) {
    problems.push(`${where}: not in the lockfile`)
    continue
  }
  for (const field of FIELDS) {
    if (canonical(manifest[field]) !== canonical(entry[field])) {
      problems.push(`${where}: ${field} differs from the lockfile's`)
    }
  }
  if (dir !== '') {
    const link = locked[`node_modules/${manifest.name}`]
    if (link?.link !== true || link.resolved !== dir) {
      problems.push(`${where}: the lockfile does not link node_modules/${manifest.name} to ${dir}`)
    }
  }
}
for (const key of Object.keys(locked)) {
  const isWorkspaceEntry = key !== '' && !key.startsWith('node_modules/') && !key.includes('/node_modules/')
  if (isWorkspaceEntry && !dirs.includes(key))
    problems.push(`${key}: in the lockfile, but not a workspace any more`)
}

if (problems.length === 0) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const ci = spawnSync(
    npm,
    [
      'ci',
      '--dry-run',
      '--prefer-offline',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
    ],
    { cwd: root, encoding: 'utf8', shell: process.platform === 'win32', timeout: 120_000 },
  )
  if (ci.status !== 0) {
    const output = `${ci.stderr ?? ''}${ci.stdout ?? ''}`
    // npm follows a usage error with the whole usage text of `npm ci`: keep what comes before it
    const cut = output.search(/^npm error (Clean install a project|Usage:)/m)
    const said = (cut < 0 ? output : output.slice(0, cut))
      .replace(/^npm error\s*$/gm, '')
      .replace(/\n{2,}/g, '\n')
    const message = said.trim() || String(ci.error ?? `exit ${ci.status}`)
    problems.push(`npm ci --dry-run refuses the lockfile:\n${message.replace(/^/gm, '    ')}`)
  }
}

if (problems.length > 0) {
  console.error(
    `package-lock.json is out of sync with the package.json files (${relative(process.cwd(), root) || '.'}):`,
  )
  for (const problem of problems) console.error(`  - ${problem}`)
  console.error('Run `npm install` (it rewrites the lockfile) and commit package-lock.json.')
  process.exit(1)
}
console.log(`package-lock.json is in sync with ${dirs.length + 1} package.json files, and npm ci accepts it.`)
