import { EventEmitter } from 'node:events'
import type {
  BanEvent,
  BlockEvent,
  Bulwark,
  BulwarkEventName,
  BulwarkListener,
  UnblockEvent,
} from '@bulwark/core'
import { afterEach, describe, expect, test, vi } from 'vitest'
import { DeliveryError, type NotifyError } from '../src/errors.js'
import { createNotifier, type NotifySource } from '../src/notifier.js'
import type { NotifierOptions } from '../src/options.js'
import { formatText } from '../src/text.js'
import type { Notification, SendContext } from '../src/types.js'
import { banEvent, distinctBans, T0, unbanEvent } from './helpers/events.js'
import { useFakeTime } from './helpers/fake-time.js'
import { settle, until } from './helpers/receiver.js'

// Compile-time: the real engine and a plain EventEmitter both fit `attach()`.
const engineFits: (engine: Bulwark) => NotifySource = (engine) => engine
const emitterFits: (emitter: EventEmitter) => NotifySource = (emitter) => emitter
class TypedSource {
  on<E extends BulwarkEventName>(_event: E, _listener: BulwarkListener<E>): this {
    return this
  }
  off<E extends BulwarkEventName>(_event: E, _listener: BulwarkListener<E>): this {
    return this
  }
}
const typedFits: NotifySource = new TypedSource()
void [engineFits, emitterFits, typedFits]

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

/** A custom channel (a plain function) that records what it gets. */
function recorder() {
  const got: Notification[] = []
  const channel = function recorder(n: Notification) {
    got.push(n)
  }
  return { got, channel }
}

function make(options: Partial<NotifierOptions> & Pick<NotifierOptions, 'channels'>) {
  const errors: NotifyError[] = []
  const notifier = createNotifier({ random: () => 0, ...options }).on('error', (e) => errors.push(e))
  return { notifier, errors }
}

describe('createNotifier: events', () => {
  test('attach() listens to ban events of an EventEmitter; the returned function detaches', async () => {
    const { got, channel } = recorder()
    const { notifier } = make({ channels: [channel] })
    const engine = new EventEmitter()
    const detach = notifier.attach(engine)
    expect(engine.listenerCount('ban')).toBe(1)
    expect(engine.listenerCount('unban')).toBe(0)
    engine.emit('ban', banEvent())
    await until(() => got.length === 1)
    expect(got[0]).toMatchObject({ kind: 'ban', event: banEvent() })
    expect(got[0]!.id).toMatch(/^msg_/)
    detach()
    detach()
    expect(engine.listenerCount('ban')).toBe(0)
    engine.emit('ban', banEvent({ rule: 'probe' }))
    await settle()
    expect(got).toHaveLength(1)
    await notifier.close()
  })

  test('emit returns before any channel runs: delivery starts on a later turn of the event loop', async () => {
    const { got, channel } = recorder()
    const { notifier } = make({ channels: [channel] })
    const engine = new EventEmitter()
    notifier.attach(engine)
    engine.emit('ban', banEvent())
    expect(got).toHaveLength(0)
    expect(notifier.stats().channels.recorder).toMatchObject({ queued: 1, sent: 0 })
    await until(() => got.length === 1)
    await notifier.close()
  })

  test('unban events are ignored unless opted into', async () => {
    const a = recorder()
    const { notifier } = make({ channels: [a.channel] })
    notifier.notify(unbanEvent())
    expect(notifier.stats()).toMatchObject({ received: 1, skipped: 1 })

    const b = recorder()
    const { notifier: opted } = make({ channels: [b.channel], events: ['ban', 'unban'] })
    const engine = new EventEmitter()
    opted.attach(engine)
    expect(engine.listenerCount('unban')).toBe(1)
    engine.emit('unban', unbanEvent())
    await until(() => b.got.length === 1)
    expect(b.got[0]).toMatchObject({ kind: 'unban', event: unbanEvent() })
    await Promise.all([notifier.close(), opted.close()])
    expect(a.got).toEqual([])
    expect(engine.listenerCount('unban')).toBe(0)
  })

  test('deprecated for one release: events "block"/"unblock" mean "ban"/"unban", and notify() takes the old events', async () => {
    const a = recorder()
    const { notifier } = make({ channels: [a.channel], events: ['block', 'unblock'], dedupe: false })
    const engine = new EventEmitter()
    notifier.attach(engine)
    // it listens to the current events only
    expect([engine.listenerCount('ban'), engine.listenerCount('unban')]).toEqual([1, 1])
    expect([engine.listenerCount('block'), engine.listenerCount('unblock')]).toEqual([0, 0])
    engine.emit('ban', banEvent())
    engine.emit('unban', unbanEvent())
    // an event of the deprecated engine events, handed over by hand, is the ban/unban it stands for
    const { type: _ban, ...fields } = banEvent({ rule: 'scanner' })
    notifier.notify({ ...fields, type: 'block' } satisfies BlockEvent)
    notifier.notify({ ...unbanEvent(), type: 'unblock' } satisfies UnblockEvent)
    await until(() => a.got.length === 4)
    expect(a.got.map((n) => n.kind)).toEqual(['ban', 'unban', 'ban', 'unban'])
    expect(a.got[2]).toMatchObject({ kind: 'ban', event: { type: 'ban', rule: 'scanner' } })
    expect(a.got[3]).toMatchObject({ kind: 'unban', event: { type: 'unban', subject: 'ip:203.0.113.7' } })
    await notifier.close()
  })

  test('monitor-mode bans are notified by default and can be skipped', async () => {
    const a = recorder()
    const { notifier } = make({ channels: [a.channel] })
    notifier.notify(banEvent({ enforced: false }))
    await until(() => a.got.length === 1)
    expect(formatText(a.got[0]!)).toMatch(/^Security Block observed \(monitor mode\)/)

    const b = recorder()
    const { notifier: quiet } = make({ channels: [b.channel], monitor: false })
    quiet.notify(banEvent({ enforced: false }))
    quiet.notify(banEvent({ rule: 'probe' }))
    await until(() => b.got.length === 1)
    expect(b.got[0]).toMatchObject({ event: { rule: 'probe', enforced: true } })
    expect(quiet.stats()).toMatchObject({ received: 2, skipped: 1 })
    await Promise.all([notifier.close(), quiet.close()])
  })

  test('a malformed event becomes an error event, never an exception', async () => {
    const { got, channel } = recorder()
    const { notifier, errors } = make({ channels: [channel] })
    expect(() => notifier.notify(null as never)).not.toThrow()
    expect(() => notifier.notify({ type: 'ban' } as never)).not.toThrow()
    expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_NOTIFY_EVENT', 'ERR_BULWARK_NOTIFY_EVENT'])
    expect(notifier.stats()).toMatchObject({ received: 2, skipped: 2 })
    await notifier.close()
    expect(got).toEqual([])
  })
})

describe('createNotifier: no floods', () => {
  test('the same subject and rule within the dedupe window is sent once', async () => {
    useFakeTime()
    const { got, channel } = recorder()
    const { notifier } = make({ channels: [channel], dedupe: { windowMs: 60_000 } })
    notifier.notify(banEvent())
    notifier.notify(banEvent({ offense: 2 }))
    notifier.notify(banEvent({ rule: 'probe' })) // another rule: notified
    notifier.notify(banEvent({ target: '203.0.113.8', subject: 'ip:203.0.113.8' })) // another subject: notified
    await until(() => got.length === 3)
    vi.advanceTimersByTime(59_999)
    notifier.notify(banEvent())
    vi.advanceTimersByTime(1)
    notifier.notify(banEvent())
    await until(() => got.length === 4)
    await settle()
    expect(got).toHaveLength(4)
    expect(notifier.stats()).toMatchObject({ received: 6, deduped: 2 })
    await notifier.close()
  })

  test('past the rate, events fold into one digest sent when the interval ends', async () => {
    useFakeTime()
    const { got, channel } = recorder()
    const { notifier } = make({ channels: [channel], rate: { limit: 3, intervalMs: 60_000, sample: 5 } })
    const events = distinctBans(40)
    for (const e of events) notifier.notify(e)
    await until(() => got.length === 3)
    expect(notifier.stats()).toMatchObject({ received: 40, folded: 37, digests: 0 })
    await vi.advanceTimersByTimeAsync(59_999)
    await settle()
    expect(got).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1)
    await until(() => got.length === 4)
    const digest = got[3]!
    expect(digest.kind).toBe('digest')
    expect(formatText(digest)).toBe(
      `Security Block digest | 37 more IPs banned in the last minute: ${events
        .slice(3, 8)
        .map((e) => e.target)
        .join(', ')} and 32 more | Rules: burst 37`,
    )
    expect(notifier.stats()).toMatchObject({ folded: 37, digests: 1 })
    // after the interval, single notifications flow again
    notifier.notify(banEvent())
    await until(() => got.length === 5)
    expect(got[4]!.kind).toBe('ban')
    await notifier.close()
  })

  test('repeats are deduped before the rate counts them', async () => {
    useFakeTime()
    const { got, channel } = recorder()
    const { notifier } = make({ channels: [channel], rate: { limit: 1, intervalMs: 1000 } })
    for (let i = 0; i < 10; i++) notifier.notify(banEvent())
    notifier.notify(banEvent({ rule: 'scanner' }))
    await vi.advanceTimersByTimeAsync(1000)
    await until(() => got.length === 2)
    expect(got[1]).toMatchObject({ kind: 'digest', digest: { banned: 1, rules: { scanner: 1 } } })
    expect(notifier.stats()).toMatchObject({ deduped: 9, folded: 1 })
    await notifier.close()
  })

  test('dedupe and rate can be turned off', async () => {
    const { got, channel } = recorder()
    const { notifier } = make({ channels: [channel], dedupe: false, rate: false })
    for (let i = 0; i < 30; i++) notifier.notify(banEvent())
    await until(() => got.length === 30)
    expect(notifier.stats()).toMatchObject({ deduped: 0, folded: 0 })
    await notifier.close()
  })
})

describe('createNotifier: delivery', () => {
  test('a full queue drops its oldest entries, counts them, and reports the overflow once', async () => {
    const delivered: string[] = []
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    async function slow(n: Notification) {
      await gate
      if (n.kind === 'ban') delivered.push(n.event.target)
    }
    const { notifier, errors } = make({
      channels: [slow],
      dedupe: false,
      rate: false,
      delivery: { queueSize: 3, timeoutMs: 60_000 },
    })
    const events = distinctBans(10)
    notifier.notify(events[0]!)
    await until(() => notifier.stats().channels.slow!.inFlight === 1)
    for (const e of events.slice(1)) notifier.notify(e)
    expect(notifier.stats().channels.slow).toMatchObject({ queued: 3, inFlight: 1, dropped: 6, sent: 0 })
    expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_NOTIFY_QUEUE_FULL'])
    release()
    await until(() => notifier.stats().channels.slow!.sent === 4)
    expect(delivered).toEqual([events[0], events[7], events[8], events[9]].map((e) => e!.target))
    expect(notifier.stats().channels.slow).toMatchObject({ queued: 0, inFlight: 0, dropped: 6 })
    await notifier.close()
  })

  test('counters are per channel', async () => {
    const ok = recorder()
    const failing = () => {
      throw new DeliveryError('ERR_BULWARK_NOTIFY_HTTP', 'pager: 400', { channel: 'pager', retryable: false })
    }
    const { notifier, errors } = make({ channels: [ok.channel, failing, ok.channel], dedupe: false })
    notifier.notify(banEvent())
    await until(() => errors.length === 1 && ok.got.length === 2)
    expect(notifier.stats().channels).toEqual({
      recorder: { sent: 1, failed: 0, retried: 0, dropped: 0, queued: 0, inFlight: 0, disabled: false },
      failing: { sent: 0, failed: 1, retried: 0, dropped: 0, queued: 0, inFlight: 0, disabled: false },
      'recorder#2': { sent: 1, failed: 0, retried: 0, dropped: 0, queued: 0, inFlight: 0, disabled: false },
    })
    expect(errors[0]).toMatchObject({ channel: 'failing', code: 'ERR_BULWARK_NOTIFY_HTTP', attempts: 1 })
    await notifier.close()
  })

  test('a custom channel that throws is retried with backoff; its context carries the attempt and a signal', async () => {
    useFakeTime()
    const contexts: SendContext[] = []
    let calls = 0
    const flaky = (_n: Notification, context: SendContext) => {
      contexts.push(context)
      calls++
      if (calls < 3) throw new Error('pager down')
    }
    const { notifier, errors } = make({
      channels: [flaky],
      delivery: { backoff: { baseMs: 100, maxMs: 1000 } },
    })
    notifier.notify(banEvent())
    await until(() => calls === 1)
    await vi.advanceTimersByTimeAsync(49)
    expect(calls).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toBe(2)
    await vi.advanceTimersByTimeAsync(100)
    expect(calls).toBe(3)
    expect(contexts.map((c) => c.attempt)).toEqual([1, 2, 3])
    expect(contexts[0]!.signal).toBeInstanceOf(AbortSignal)
    expect(notifier.stats().channels.flaky).toMatchObject({ sent: 1, retried: 2, failed: 0 })
    expect(errors).toEqual([])
    await notifier.close()
  })

  test('a custom channel may refuse retries or set the wait by throwing a DeliveryError', async () => {
    useFakeTime()
    let calls = 0
    const picky = () => {
      calls++
      throw new DeliveryError('ERR_BULWARK_NOTIFY_HTTP', 'later', {
        channel: 'picky',
        retryable: calls === 1,
        retryAfterMs: 5000,
      })
    }
    const { notifier, errors } = make({ channels: [picky] })
    notifier.notify(banEvent())
    await until(() => calls === 1)
    await vi.advanceTimersByTimeAsync(4999)
    expect(calls).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    await until(() => errors.length === 1)
    expect(calls).toBe(2)
    expect(errors[0]).toMatchObject({ attempts: 2, channel: 'picky' })
    expect(errors[0]!.message).toContain('not retryable')
    await notifier.close()
  })

  test('a channel that ignores its abort signal is still cut at timeoutMs', async () => {
    useFakeTime()
    let aborted = false
    const stuck = (_n: Notification, { signal }: SendContext) => {
      signal.addEventListener('abort', () => {
        aborted = true
      })
      return new Promise<void>(() => {})
    }
    const { notifier, errors } = make({ channels: [stuck], delivery: { timeoutMs: 1000, maxAttempts: 1 } })
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.stuck!.inFlight === 1)
    await vi.advanceTimersByTimeAsync(1000)
    await until(() => errors.length === 1)
    expect(aborted).toBe(true)
    expect(errors[0]).toMatchObject({ code: 'ERR_BULWARK_NOTIFY_TIMEOUT', channel: 'stuck' })
    expect(notifier.stats().channels.stuck).toMatchObject({ failed: 1, inFlight: 0 })
    await notifier.close()
  })

  test('retry waits and attempt timeouts do not keep the process alive', async () => {
    const active = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = active()
    const failing = () => {
      throw new Error('down')
    }
    const hanging = () => new Promise<void>(() => {})
    const { notifier } = make({
      channels: [failing, hanging],
      delivery: { backoff: { baseMs: 60_000, maxMs: 60_000 }, timeoutMs: 60_000 },
      rate: { limit: 1, intervalMs: 60_000 },
    })
    notifier.notify(banEvent())
    notifier.notify(banEvent({ rule: 'probe' })) // folded: opens a digest timer
    await until(
      () =>
        notifier.stats().channels.failing!.retried === 1 && notifier.stats().channels.hanging!.inFlight === 1,
    )
    expect(active()).toBe(before)
    await notifier.close({ timeoutMs: 10 })
  })

  test('without an error listener, errors go to process.emitWarning, not to the caller', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const failing = () => {
      throw new DeliveryError('ERR_BULWARK_NOTIFY_HTTP', 'no', { channel: 'x' })
    }
    const notifier = createNotifier({ channels: [failing] })
    expect(() => notifier.notify(banEvent())).not.toThrow()
    await until(() => warn.mock.calls.length === 1)
    expect(warn.mock.calls[0]![1]).toMatchObject({ type: 'DeliveryError', code: 'ERR_BULWARK_NOTIFY_HTTP' })
    await notifier.close()
  })

  test('an error listener that throws does not break delivery', async () => {
    let calls = 0
    const failing = () => {
      calls++
      throw new DeliveryError('ERR_BULWARK_NOTIFY_HTTP', 'no', { channel: 'x' })
    }
    const notifier = createNotifier({ channels: [failing], dedupe: false }).on('error', () => {
      throw new Error('listener bug')
    })
    notifier.notify(banEvent())
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.failing!.failed === 2)
    expect(calls).toBe(2)
    await notifier.close()
  })

  test('off() removes an error listener', async () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {})
    const seen: NotifyError[] = []
    const listener = (e: NotifyError) => seen.push(e)
    const notifier = createNotifier({
      channels: [() => Promise.reject(new DeliveryError('ERR_BULWARK_NOTIFY_HTTP', 'no', { channel: 'x' }))],
    })
    notifier.on('error', listener).off('error', listener)
    notifier.notify(banEvent())
    await until(() => warn.mock.calls.length === 1)
    expect(seen).toEqual([])
    await notifier.close()
  })
})

describe('createNotifier: close()', () => {
  test('flushes queued notifications and the open digest, detaches, and is idempotent', async () => {
    useFakeTime()
    const got: Notification[] = []
    const slowish = async (n: Notification) => {
      await new Promise((resolve) => setTimeout(resolve, 100))
      got.push(n)
    }
    const { notifier } = make({ channels: [slowish], rate: { limit: 2, intervalMs: 60_000 } })
    const engine = new EventEmitter()
    notifier.attach(engine)
    for (const e of distinctBans(5)) engine.emit('ban', e)
    const closing = notifier.close()
    expect(notifier.close()).toBe(closing)
    expect(notifier.closed).toBe(true)
    expect(engine.listenerCount('ban')).toBe(0)
    await vi.advanceTimersByTimeAsync(300)
    await closing
    expect(got.map((n) => n.kind)).toEqual(['ban', 'ban', 'digest'])
    expect(notifier.stats()).toMatchObject({ digests: 1, folded: 3 })
    expect(vi.getTimerCount()).toBe(0)
    // after close: events are skipped, attach refuses
    notifier.notify(banEvent({ rule: 'probe' }))
    expect(notifier.stats().skipped).toBe(1)
    expect(() => notifier.attach(engine)).toThrow(
      expect.objectContaining({ code: 'ERR_BULWARK_NOTIFY_CLOSED' }),
    )
  })

  test('at the deadline, what is left is dropped and reported once; no timer survives', async () => {
    useFakeTime()
    const hanging = () => new Promise<void>(() => {})
    const { notifier, errors } = make({
      channels: [hanging],
      dedupe: false,
      rate: false,
      delivery: { queueSize: 10 },
      closeTimeoutMs: 2000,
    })
    for (const e of distinctBans(4)) notifier.notify(e)
    await until(() => notifier.stats().channels.hanging!.inFlight === 1)
    let closed = false
    const closing = notifier.close().then(() => {
      closed = true
    })
    await vi.advanceTimersByTimeAsync(1999)
    expect(closed).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    await closing
    expect(errors.map((e) => e.code)).toEqual(['ERR_BULWARK_NOTIFY_CLOSE_TIMEOUT'])
    expect(errors[0]!.message).toContain('3 queued notification(s) dropped, 1 in flight abandoned')
    expect(notifier.stats().channels.hanging).toMatchObject({
      sent: 0,
      failed: 1,
      dropped: 3,
      queued: 0,
      inFlight: 0,
    })
    expect(vi.getTimerCount()).toBe(0)
  })

  test('a retry wait that would end after the deadline gives up at once', async () => {
    useFakeTime()
    const failing = () => {
      throw new Error('down')
    }
    const { notifier, errors } = make({
      channels: [failing],
      delivery: { backoff: { baseMs: 60_000, maxMs: 60_000 } },
    })
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.failing!.retried === 1)
    await notifier.close({ timeoutMs: 5000 })
    expect(Date.now()).toBe(T0)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toContain('closing: no time left to retry')
    expect(notifier.stats().channels.failing).toMatchObject({ failed: 1, retried: 1 })
    expect(vi.getTimerCount()).toBe(0)
  })

  test('an attempt that fails while closing does not wait for a retry past the deadline', async () => {
    useFakeTime()
    const failsLater = () =>
      new Promise<void>((_, reject) => setTimeout(() => reject(new Error('down')), 100))
    const { notifier, errors } = make({
      channels: [failsLater],
      delivery: { backoff: { baseMs: 60_000, maxMs: 60_000 } },
      closeTimeoutMs: 5000,
    })
    notifier.notify(banEvent())
    await until(() => notifier.stats().channels.failsLater!.inFlight === 1)
    let closed = false
    const closing = notifier.close().then(() => {
      closed = true
    })
    await vi.advanceTimersByTimeAsync(100)
    await until(() => closed, 'close')
    await closing
    expect(Date.now()).toBe(T0 + 100)
    expect(errors.map((e) => e.message)).toEqual([expect.stringContaining('closing: no time left to retry')])
    expect(notifier.stats().channels.failsLater).toMatchObject({ failed: 1, retried: 0 })
  })

  test('close() of an idle notifier resolves at once and leaves no timer', async () => {
    useFakeTime()
    const { notifier, errors } = make({ channels: [() => {}] })
    await notifier.close()
    expect(errors).toEqual([])
    expect(vi.getTimerCount()).toBe(0)
  })
})

describe('createNotifier: options', () => {
  test('validates options and names the one at fault', () => {
    const ok = () => {}
    const bad = (options: unknown) => () => createNotifier(options as NotifierOptions)
    expect(bad({ channels: [] })).toThrow(/options\.channels: give at least one channel/)
    expect(bad({ channels: [42] })).toThrow(/options\.channels\[0\]: must be a function or a channel/)
    expect(bad({ channels: [ok], delivery: { timeoutMs: 0 } })).toThrow(/options\.delivery\.timeoutMs/)
    expect(bad({ channels: [ok], rate: { limit: 1.5 } })).toThrow(/options\.rate\.limit/)
    expect(bad({ channels: [ok], dedupe: { windowMs: -1 } })).toThrow(/options\.dedupe\.windowMs/)
    expect(bad({ channels: [ok], events: ['lift'] })).toThrow(/options\.events\.0: must be 'ban' or 'unban'/)
    expect(bad({ channels: [ok], colour: 'red' })).toThrow(/options: Unrecognized key/)
    expect(bad({ channels: [{ name: 'x', send: ok, delivery: { queueSize: 0 } }] })).toThrow(
      /options\.channels\[0\]\.delivery\.queueSize/,
    )
    expect(bad(undefined)).toThrow(expect.objectContaining({ code: 'ERR_BULWARK_NOTIFY_OPTIONS' }))
  })

  test('a channel object may carry its own delivery settings', async () => {
    useFakeTime()
    let calls = 0
    const channel = {
      name: 'once',
      delivery: { maxAttempts: 1 },
      send: () => {
        calls++
        throw new Error('no')
      },
    }
    const { notifier, errors } = make({ channels: [channel] })
    notifier.notify(banEvent())
    await until(() => errors.length === 1)
    expect(calls).toBe(1)
    expect(notifier.stats().channels.once).toMatchObject({ failed: 1, retried: 0 })
    await notifier.close()
  })

  test('the event type of a listener matches what an engine emits', () => {
    const listener = (e: BanEvent) => e.subject
    const source: NotifySource = new EventEmitter()
    source.on('ban', listener)
    source.off('ban', listener)
  })
})
