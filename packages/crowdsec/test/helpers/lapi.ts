/**
 * A real CrowdSec Local API for tests: Debian's `crowdsec` package unpacked into a folder (`.ci/run` does it; by hand:
 * `apt-get download crowdsec && dpkg-deb -x crowdsec_*.deb ~/.cache/bulwark-crowdsec`), started with a config of our
 * own: loopback only on a free port, no Central API, no agent, sqlite in a temporary folder, one machine and one
 * bouncer registered with `cscli`.
 *
 * Where the binaries are: `BULWARK_CROWDSEC_DIR` (the unpacked package: `<dir>/usr/bin/crowdsec`), else
 * `~/.cache/bulwark-crowdsec`, else `/opt/bulwark-ci/crowdsec`, else an installed `/usr/bin/crowdsec`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, it } from 'vitest'

const run = promisify(execFile)

export interface CrowdsecBinaries {
  crowdsec: string
  cscli: string
  /** Where the unpacked package's `etc/crowdsec` lives (for the stock profiles), if any. */
  root: string
}

export function findCrowdsec(): CrowdsecBinaries | null {
  const roots = [
    process.env.BULWARK_CROWDSEC_DIR,
    join(homedir(), '.cache', 'bulwark-crowdsec'),
    '/opt/bulwark-ci/crowdsec',
    '/',
  ].filter((r): r is string => typeof r === 'string' && r !== '')
  for (const root of roots) {
    const crowdsec = join(root, 'usr', 'bin', 'crowdsec')
    const cscli = join(root, 'usr', 'bin', 'cscli')
    if (existsSync(crowdsec) && existsSync(cscli)) return { crowdsec, cscli, root }
  }
  return null
}

export interface Lapi {
  /** `http://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** A bouncer's API key (`cscli bouncers add`). */
  readonly apiKey: string
  /** A machine's login (`cscli machines add`). */
  readonly machineId: string
  readonly password: string
  /** Runs `cscli -c <config> …args` and returns its stdout. */
  cscli(...args: string[]): Promise<string>
  /** `cscli decisions list -o json`, flattened to one entry per decision. */
  decisions(...args: string[]): Promise<CscliDecision[]>
  /** Stops the LAPI (SIGTERM, then waits for it to exit). */
  stop(): Promise<void>
  /** Starts it again on the same port and database; resolves once it answers. */
  start(): Promise<void>
  /** Stops it and removes its folder. */
  dispose(): Promise<void>
}

export interface CscliDecision {
  id: number
  origin: string
  scenario: string
  scope: string
  type: string
  value: string
  duration: string
  machine_id: string
  message: string
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

function configYaml(dir: string, port: number): string {
  return `common:
  daemonize: false
  log_media: stdout
  log_level: warning
  working_dir: ${dir}
config_paths:
  config_dir: ${dir}/
  data_dir: ${dir}/data/
  simulation_path: ${dir}/simulation.yaml
  hub_dir: ${dir}/hub/
  index_path: ${dir}/hub/.index.json
  notification_dir: ${dir}/notifications/
  plugin_dir: ${dir}/plugins/
cscli:
  output: json
db_config:
  log_level: warning
  type: sqlite
  db_path: ${dir}/data/crowdsec.db
  use_wal: true
  flush:
    max_items: 5000
    max_age: 7d
api:
  client:
    insecure_skip_verify: false
    credentials_path: ${dir}/local_api_credentials.yaml
  server:
    log_level: warning
    listen_uri: 127.0.0.1:${port}
    profiles_path: ${dir}/profiles.yaml
    trusted_ips:
      - 127.0.0.1
      - ::1
prometheus:
  enabled: false
`
}

const PROFILES = `name: default_ip_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
`

/** Starts a LAPI in a new temporary folder. */
export async function startLapi(bins: CrowdsecBinaries): Promise<Lapi> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-crowdsec-'))
  const port = await freePort()
  const config = join(dir, 'config.yaml')
  mkdirSync(join(dir, 'data'))
  writeFileSync(config, configYaml(dir, port))
  writeFileSync(join(dir, 'simulation.yaml'), 'simulation: off\n')
  writeFileSync(join(dir, 'profiles.yaml'), PROFILES)
  const url = `http://127.0.0.1:${port}`
  const machineId = 'bulwark-test'
  const password = 'bulwark-test-password-0123456789'
  const apiKey = 'bulwark-test-bouncer-key-0123456789'
  const cscli = async (...args: string[]): Promise<string> => {
    const { stdout } = await run(bins.cscli, ['-c', config, ...args], { timeout: 30_000 })
    return stdout
  }
  // Both write straight into the sqlite database: the LAPI need not run yet.
  try {
    const credentials = join(dir, 'local_api_credentials.yaml')
    await cscli('machines', 'add', machineId, '--password', password, '-f', credentials)
    await cscli('bouncers', 'add', 'bulwark-test-bouncer', '--key', apiKey)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }

  let child: ChildProcess | null = null
  let output = ''
  const start = async (): Promise<void> => {
    output = ''
    const proc = spawn(bins.crowdsec, ['-c', config, '-no-cs', '-no-capi'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    // a worker that dies must not leave a LAPI behind
    const kill = () => proc.kill('SIGKILL')
    process.once('exit', kill)
    proc.once('exit', () => process.off('exit', kill))
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000)
    }
    proc.stdout?.on('data', keep)
    proc.stderr?.on('data', keep)
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`crowdsec exited with ${proc.exitCode}:\n${output}`)
      try {
        const res = await fetch(`${url}/v1/decisions/stream?startup=false`, {
          headers: { 'X-Api-Key': apiKey },
        })
        await res.arrayBuffer()
        if (res.status === 200) return
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error(`crowdsec did not answer on ${url} within 30 s:\n${output}`)
  }
  const stop = async (): Promise<void> => {
    const proc = child
    child = null
    if (proc === null || proc.exitCode !== null || proc.signalCode !== null) return
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      proc.once('exit', () => {
        clearTimeout(timer)
        resolve()
      })
      proc.kill('SIGTERM')
    })
  }
  try {
    await start()
  } catch (error) {
    await stop()
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return {
    url,
    port,
    apiKey,
    machineId,
    password,
    cscli,
    async decisions(...args) {
      const out = await cscli('decisions', 'list', '-o', 'json', ...args)
      const alerts = JSON.parse(out.trim() === '' ? 'null' : out) as
        | {
            machine_id: string
            message: string
            decisions: Omit<CscliDecision, 'machine_id' | 'message'>[]
          }[]
        | null
      return (alerts ?? []).flatMap((a) =>
        (a.decisions ?? []).map((d) => ({ ...d, machine_id: a.machine_id, message: a.message })),
      )
    },
    start,
    stop,
    async dispose() {
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * `describe` for tests against a real LAPI, started before them and stopped after. Without the binaries they are
 * skipped (the global setup says so once, loudly, and fails the run on CI).
 */
export function describeLapi(name: string, body: (lapi: () => Lapi) => void): void {
  const bins = findCrowdsec()
  if (bins === null) {
    if (process.env.CI === 'true') {
      describe(name, () => {
        it('has a CrowdSec Local API to test against', () => {
          throw new Error(
            '@bulwark/crowdsec: CrowdSec is not unpacked here: the LAPI tests are required on CI',
          )
        })
      })
      return
    }
    describe.skip(`${name} (CrowdSec is not unpacked here)`, () => body(() => undefined as never))
    return
  }
  describe(name, () => {
    let lapi: Lapi | undefined
    beforeAll(async () => {
      lapi = await startLapi(bins)
    }, 60_000)
    afterAll(async () => {
      await lapi?.dispose()
    })
    body(() => {
      if (lapi === undefined) throw new Error('the LAPI did not start')
      return lapi
    })
  })
}
