// Start and stop the forked HTTP servers of servers/server.mjs, and a tiny sequential HTTP client.
import { execFileSync, fork } from 'node:child_process'
import http from 'node:http'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'

const SERVER = fileURLToPath(new URL('../servers/server.mjs', import.meta.url))

/**
 * Pin a process to one CPU (`taskset -pc`); false where that cannot be done (not Linux, no taskset, one CPU).
 * @param {number} pid @param {number} cpu
 */
export function pinToCpu(pid, cpu) {
  if (process.platform !== 'linux' || cpus().length < 2) return false
  try {
    execFileSync('taskset', ['-pc', String(cpu), String(pid)], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

/** The CPUs a process may run on now (`taskset -pc`'s list, e.g. `0,1`), to restore them; null where unknown. */
export function cpuListOf(pid) {
  if (process.platform !== 'linux') return null
  try {
    const out = execFileSync('taskset', ['-pc', String(pid)], { encoding: 'utf8' })
    return out.split(':').at(-1)?.trim() || null
  } catch {
    return null
  }
}

/**
 * Resolves to `{ port, pid, cpuUs(), stop() }` or `{ error }` (e.g. "not available" when a package is missing).
 * `cpuUs()` resolves to the server process's own CPU time so far in µs (user + system, `process.cpuUsage()`).
 */
export function startServer(config, { timeoutMs = 15_000, cpu } = {}) {
  return new Promise((resolve) => {
    const child = fork(SERVER, [JSON.stringify(config)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] })
    // The load generator and the server never share a core when the caller pins them apart (the HTTP suite).
    if (cpu !== undefined && child.pid !== undefined) pinToCpu(child.pid, cpu)
    let stderr = ''
    child.stderr.on('data', (d) => {
      stderr = (stderr + d).slice(-2000)
    })
    const stop = () =>
      new Promise((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r()
        const t = setTimeout(() => child.kill('SIGKILL'), 3000)
        child.once('exit', () => {
          clearTimeout(t)
          r()
        })
        if (child.connected) child.send({ type: 'close' })
        else child.kill('SIGTERM')
      })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      resolve({ error: `server did not start in ${timeoutMs} ms ${stderr}` })
    }, timeoutMs)
    let nextId = 0
    const waiting = new Map()
    const cpuUs = () =>
      new Promise((r, reject) => {
        if (!child.connected) return reject(new Error('server is gone'))
        const id = ++nextId
        waiting.set(id, r)
        child.send({ type: 'cpu', id })
      })
    child.on('message', (m) => {
      if (m?.type === 'cpu') {
        waiting.get(m.id)?.(m.user + m.system)
        waiting.delete(m.id)
      } else if (m?.type === 'ready') {
        clearTimeout(timer)
        resolve({ port: m.port, pid: child.pid, cpuUs, stop })
      } else if (m?.type === 'error') {
        clearTimeout(timer)
        resolve({ error: m.message })
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ error: `server exited with ${code} ${stderr}`.trim() })
    })
  })
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 })

/** One GET to 127.0.0.1:port, resolves to the status code. */
export function get(port, path = '/') {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode))
    })
    req.setTimeout(5000, () => req.destroy(new Error('timeout')))
    req.on('error', reject)
  })
}

export function closeAgent() {
  agent.destroy()
}
