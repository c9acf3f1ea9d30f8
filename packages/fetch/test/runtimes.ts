// Running the README's Bun.serve and Deno.serve examples under Bun and Deno: the runtimes come from the npm registry
// (`bun` and `deno` are devDependencies; their binaries arrive with their postinstall scripts).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readmeBlocks } from '@bulwark/testkit/readme'
import { describe, it } from 'vitest'

export type RuntimeName = 'bun' | 'deno' | 'node'

export interface Runtime {
  name: RuntimeName
  /** The executable. */
  bin: string
  /** First line of `--version`. */
  version: string
}

const packageDir = fileURLToPath(new URL('..', import.meta.url))
const require = createRequire(import.meta.url)

/** The runtime's binary from its npm package, else one on PATH; null when none runs here. */
export function findRuntime(name: RuntimeName): Runtime | null {
  const candidates: string[] = []
  try {
    const dir = dirname(require.resolve(`${name}/package.json`))
    candidates.push(name === 'bun' ? join(dir, 'bin', 'bun.exe') : join(dir, 'deno'))
  } catch {
    // not installed from npm
  }
  candidates.push(name)
  for (const bin of candidates) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 20_000 })
    if (r.status === 0) return { name, bin, version: (r.stdout.split('\n')[0] ?? '').trim() }
  }
  return null
}

/**
 * `describe` for tests under a runtime. Without the runtime they are skipped with one loud line, except on CI
 * (CI=true), where a missing runtime fails the run.
 */
export function describeRuntime(name: RuntimeName, body: (runtime: Runtime) => void): void {
  const runtime = findRuntime(name)
  if (runtime !== null) {
    describe(`${name}: ${runtime.version}`, () => body(runtime))
    return
  }
  const line = `@bulwark/fetch: ${name} does not run here (npm install installs it, with its postinstall script): its tests are SKIPPED`
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`${name} runs`, () => {
        throw new Error(line.replace('SKIPPED', 'required on CI'))
      })
    })
    return
  }
  console.warn(`\n!!! ${line}\n`)
  describe.skip(`${name} (not installed)`, () => {
    it('runs its examples', () => {})
  })
}

/**
 * The README's example under `heading`, to listen on a free port: its `port: 3000` becomes `port: 0`. Written to
 * `test-output/runtimes/` inside the package, so `@bulwark/fetch` and `hono` resolve from node_modules as for an app.
 */
export function readmeExample(heading: string, file: string, lang: 'ts' | 'js' = 'ts'): string {
  const blocks = readmeBlocks(readFileSync(join(packageDir, 'README.md'), 'utf8')).filter(
    (b) => b.heading === heading && b.lang === lang,
  )
  if (blocks.length !== 1)
    throw new Error(`README.md: expected one ${lang} block under "${heading}", found ${blocks.length}`)
  const code = (blocks[0] as { code: string }).code
  if (code.split('port: 3000').length !== 2)
    throw new Error(`README.md "${heading}": expected one "port: 3000"`)
  return writeExample(file, code.replace('port: 3000', 'port: 0'))
}

/** Writes a script for a runtime to `test-output/runtimes/<file>` and returns its path. */
export function writeExample(file: string, code: string): string {
  if (!existsSync(join(packageDir, 'dist', 'index.js'))) {
    throw new Error(
      '@bulwark/fetch is not built: the runtimes import its dist (npm run build -w @bulwark/fetch)',
    )
  }
  const dir = join(packageDir, 'test-output', 'runtimes')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, file)
  writeFileSync(path, code)
  return path
}

export interface RunningServer {
  /** `http://host:port` the script printed, without a trailing slash. */
  url: string
  /** Everything the script printed, for failure messages. */
  output(): string
  stop(): Promise<void>
}

/** Starts `bin args…` and waits for its `Listening on <url>` line. */
export function startServer(runtime: Runtime, args: string[], timeoutMs = 30_000): Promise<RunningServer> {
  const child: ChildProcess = spawn(runtime.bin, args, {
    cwd: packageDir,
    env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop()
      reject(new Error(`${runtime.name} printed no "Listening on" within ${timeoutMs} ms:\n${out}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const m = /Listening on (https?:\/\/\S+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        resolve({ url: (m[1] as string).replace(/\/$/, ''), output: () => out, stop })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${runtime.name} exited (${code}) before listening:\n${out}`))
    })
  })
}

/** A Hono app with Bulwark and no getConnInfo: the middleware reads the connection the runtime hands over. */
export function honoExample(serve: string): string {
  return `import { bulwarkHono } from '@bulwark/fetch/hono'
import { Hono } from 'hono'

const app = new Hono()
app.use(
  bulwarkHono({
    endpoints: [{ match: '/api/', limit: 1, windowMs: 60_000, id: 'api' }],
    bodySize: { maxBytes: 1000 },
    logger: false,
  }),
)
app.get('/api/items', (c) => c.json({ conclusion: c.get('bulwark')?.decision?.conclusion ?? null }))
app.post('/upload', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }))
${serve}
`
}

/**
 * A fetch handler behind \`withBulwark\` whose /upload reads the whole body; the handler catches what its read throws
 * and answers 500 with it, so only Bulwark's own answer can be a 413.
 */
export function uploadExample(serve: string): string {
  return `import { withBulwark } from '@bulwark/fetch'

const handler = withBulwark(
  async (request: Request) => {
    try {
      return Response.json({ bytes: (await request.arrayBuffer()).byteLength })
    } catch (error) {
      return Response.json({ caught: String(error) }, { status: 500 })
    }
  },
  { bodySize: { maxBytes: 1000 }, logger: false },
)
${serve}
`
}
