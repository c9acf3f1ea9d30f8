import { describe, expect, test, vi } from 'vitest'
import type { NotifyError } from '../src/errors.js'
import { logger } from '../src/logger-channel.js'
import { createNotifier } from '../src/notifier.js'
import { banEvent } from './helpers/events.js'
import { until } from './helpers/receiver.js'

describe('logger channel', () => {
  test("writes the seed's line through warn()", async () => {
    const warn = vi.fn()
    const notifier = createNotifier({ channels: [logger({ warn })] })
    notifier.notify(banEvent())
    await until(() => warn.mock.calls.length === 1)
    expect(warn).toHaveBeenCalledWith(
      'Security Block activated | IP: 203.0.113.7 | Reason: Burst: 51 req/s (limit 50) | Duration: 3600s',
    )
    expect(notifier.stats().channels.logger).toMatchObject({ sent: 1 })
    await notifier.close()
  })

  test('calls warn as a method, so loggers that need `this` (pino, winston) work', async () => {
    const lines: string[] = []
    const pinoLike = {
      lines,
      warn(this: { lines: string[] }, message: string) {
        this.lines.push(message)
      },
    }
    const notifier = createNotifier({ channels: [logger(pinoLike)] })
    notifier.notify(banEvent({ enforced: false }))
    await until(() => lines.length === 1)
    expect(lines[0]).toMatch(/^Security Block observed \(monitor mode\) \| IP: 203\.0\.113\.7/)
    await notifier.close()
  })

  test('defaults to console and is not retried when warn throws', async () => {
    const spy = vi.spyOn(console, 'warn').mockImplementation(() => {
      throw new Error('stdout closed')
    })
    const errors: NotifyError[] = []
    const notifier = createNotifier({ channels: [logger()] }).on('error', (e) => errors.push(e))
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    expect(spy).toHaveBeenCalledTimes(1)
    expect(errors[0]!.message).toContain('logger: stdout closed')
    expect(notifier.stats().channels.logger).toMatchObject({ failed: 1, retried: 0 })
    spy.mockRestore()
    await notifier.close()
  })

  test('refuses a target without warn()', () => {
    expect(() => logger({} as never)).toThrow(/logger\(target\): target must have a warn\(\) method/)
  })
})
