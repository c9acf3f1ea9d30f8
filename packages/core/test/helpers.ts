import { type FakeClock, fakeClock } from '@bulwark/testkit'
import {
  type Bulwark,
  type BulwarkOptions,
  createBulwark,
  type Logger,
  type RequestFacts,
} from '../src/index.js'

export interface Harness {
  engine: Bulwark
  clock: FakeClock
  logs: string[]
  req: (over?: Partial<RequestFacts>) => ReturnType<Bulwark['inspect']>
}

/** An engine on a fake clock that records its log lines. */
export function harness(options: BulwarkOptions = {}): Harness {
  const clock = fakeClock()
  const logs: string[] = []
  const logger: Logger = { warn: (m) => logs.push(m), error: (m) => logs.push(`ERROR ${m}`) }
  const engine = createBulwark({ clock, logger, ...options })
  const req = (over: Partial<RequestFacts> = {}) =>
    engine.inspect({ ip: '198.51.100.42', method: 'GET', path: '/api/items', headers: {}, ...over })
  return { engine, clock, logs, req }
}
