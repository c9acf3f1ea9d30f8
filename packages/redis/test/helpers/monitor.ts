import { Redis } from 'ioredis'
import { waitFor } from './redis-server.js'

export interface Seen {
  /** Lower-case command name. */
  name: string
  args: string[]
  /** `ip:port` of the client connection, or `lua` for a command a script ran. */
  source: string
}

/**
 * Records what a Redis server actually executes (MONITOR), on a server of its own. `during(fn)` returns the commands
 * clients sent while `fn` ran; a marker command sent afterwards on another connection makes sure every command
 * executed before it has been seen.
 */
export class CommandMonitor {
  private monitor: Awaited<ReturnType<Redis['monitor']>> | null = null
  private readonly probe: Redis
  private seen: Seen[] = []

  constructor(private readonly url: string) {
    this.probe = new Redis(url)
  }

  async start(): Promise<void> {
    const admin = new Redis(this.url)
    this.monitor = await admin.monitor()
    admin.disconnect()
    this.monitor.on('monitor', (_time: string, args: string[], source: string) => {
      this.seen.push({ name: String(args[0]).toLowerCase(), args: args.slice(1), source })
    })
    await this.flush()
  }

  private async flush(): Promise<void> {
    const marker = `marker-${Math.random()}`
    await this.probe.echo(marker)
    await waitFor(
      () => this.seen.some((c) => c.name === 'echo' && c.args[0] === marker),
      5000,
      'the MONITOR marker',
    )
  }

  /** Commands sent by clients (not by scripts, not the marker) while `fn` ran. */
  async during(fn: () => Promise<unknown>): Promise<Seen[]> {
    await this.flush()
    this.seen = []
    await fn()
    await this.flush()
    return this.seen.filter((c) => c.source !== 'lua' && c.name !== 'echo')
  }

  /** Every command a script ran while `fn` ran. */
  async scriptCommands(fn: () => Promise<unknown>): Promise<Seen[]> {
    await this.flush()
    this.seen = []
    await fn()
    await this.flush()
    return this.seen.filter((c) => c.source === 'lua')
  }

  async stop(): Promise<void> {
    this.monitor?.disconnect()
    this.probe.disconnect()
  }
}
