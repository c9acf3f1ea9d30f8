import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { pingRedis } from './ping.js'

const run = promisify(execFile)

/** Every redis-server this process started, killed on exit so no test leaves one behind (even on failure). */
const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL')
    } catch {
      // already gone
    }
  }
})

/** A free loopback TCP port (the OS picks it; the window before redis-server binds it is tiny). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      )
    })
  })
}

/** Poll until `check` is true or the deadline passes. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

export interface RedisServer {
  readonly port: number
  readonly url: string
  readonly dir: string
  /** Start (again) on the same port, in the same directory; resolves when it answers PING. */
  start(): Promise<void>
  /** SIGKILL: the server vanishes, connections are reset. */
  kill(): Promise<void>
  /** SIGSTOP: the server hangs (connections stay open, nothing answers). */
  pause(): void
  /** SIGCONT after pause(). */
  resume(): void
  /** Kill the server and remove its directory. */
  stop(): Promise<void>
}

/** Run a throwaway redis-server on a free loopback port (no persistence, temp dir). */
export async function startRedisServer(
  extraArgs: readonly string[] = [],
  port?: number,
): Promise<RedisServer> {
  const p = port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-redis-'))
  let child: ChildProcess | null = null
  const url = `redis://127.0.0.1:${p}`

  const start = async (): Promise<void> => {
    if (child !== null) throw new Error('redis-server is already running')
    const c = spawn(
      'redis-server',
      [
        '--port',
        String(p),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    )
    child = c
    children.add(c)
    c.once('exit', () => {
      children.delete(c)
      if (child === c) child = null
    })
    await waitFor(() => pingRedis(url, 500), 10_000, `redis-server on port ${p}`)
  }

  const kill = async (): Promise<void> => {
    const c = child
    if (c === null) return
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()))
    c.kill('SIGCONT')
    c.kill('SIGKILL')
    await exited
  }

  await start()
  return {
    port: p,
    url,
    dir,
    start,
    kill,
    pause: () => {
      child?.kill('SIGSTOP')
    },
    resume: () => {
      child?.kill('SIGCONT')
    },
    stop: async () => {
      await kill()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface RedisCluster {
  readonly nodes: { host: string; port: number }[]
  readonly servers: RedisServer[]
  stop(): Promise<void>
}

/** A real 3-master Redis Cluster of local redis-server processes (no replicas), ready when this resolves. */
export async function startRedisCluster(masters = 3): Promise<RedisCluster> {
  const servers: RedisServer[] = []
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort()
      const bus = await freePort()
      servers.push(
        await startRedisServer(
          [
            '--cluster-enabled',
            'yes',
            '--cluster-port',
            String(bus),
            '--cluster-config-file',
            `nodes-${port}.conf`,
            '--cluster-node-timeout',
            '2000',
          ],
          port,
        ),
      )
    }
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`)
    await run(
      'redis-cli',
      ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'],
      {
        timeout: 20_000,
      },
    )
    // Every node must agree the cluster is up before clients connect.
    for (const s of servers) {
      await waitFor(
        async () => {
          const { stdout } = await run('redis-cli', ['-p', String(s.port), 'cluster', 'info'])
          return stdout.includes('cluster_state:ok') && stdout.includes(`cluster_known_nodes:${masters}`)
        },
        20_000,
        `cluster state ok on ${s.port}`,
      )
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.stop()))
    throw error
  }
  return {
    nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })),
    servers,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()))
    },
  }
}
