import { execFile } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const pkg = fileURLToPath(new URL('../..', import.meta.url))
export const BIN = join(pkg, 'dist/cli.js')

function newest(dir: string): number {
  let t = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name)
    t = Math.max(t, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/**
 * The CLI tests run the built bin, as a user would. Under turbo the build ran first; run directly, build what is
 * missing or older than the source (core only when its dist is missing).
 */
export async function ensureBuilt(): Promise<void> {
  const core = join(pkg, '../core')
  if (!existsSync(join(core, 'dist/index.js')))
    await run('npm', ['run', 'build'], { cwd: core, timeout: 120_000 })
  const fresh = () => existsSync(BIN) && statSync(BIN).mtimeMs >= newest(join(pkg, 'src'))
  if (fresh()) return
  try {
    await run('npm', ['run', 'build'], { cwd: pkg, timeout: 120_000 })
  } catch (error) {
    // tsup writes the JavaScript before the declarations: a failing .d.ts step (e.g. core's types not built yet)
    // still leaves a usable bin. Anything else is a real failure.
    if (!fresh()) throw error
  }
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  ms: number
}

/** Run `bulwark …` as a child process with the given environment (on top of a minimal one). */
export async function cli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const t = performance.now()
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 20_000,
    })
    return { code: 0, stdout, stderr, ms: performance.now() - t }
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string }
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: e.stderr ?? '',
      ms: performance.now() - t,
    }
  }
}
