import type { BUILTIN_COUNTER_KEYS } from '@bulwark/core'

/**
 * The key layout. Every key of one subject carries the same hash tag, so one script call touches one cluster slot:
 *
 * | key                          | type   | holds                                   | TTL                      |
 * | ---------------------------- | ------ | --------------------------------------- | ------------------------ |
 * | `<prefix>{<subject>}:ban`    | hash   | the ban record                          | until the ban ends       |
 * | `<prefix>{<subject>}:off`    | string | `<offense>:<last ban at>`               | the offense memory       |
 * | `<prefix>{<subject>}:b`      | str/list | burst log: first time, then times     | the burst window         |
 * | `<prefix>{<subject>}:a`      | list   | auth-failure log                        | the auth window          |
 * | `<prefix>{<subject>}:i`      | zset   | distinct items scored by last sighting  | the items window         |
 * | `<prefix>{<subject>}:s`      | list   | suspicion log                           | the suspicion window     |
 * | `<prefix>{<subject>}:e:<id>` | string | endpoint window `<w>:<curr>:<prev>`     | to the end of window w+1 |
 * | `<prefix>{<subject>}:r:<id>` | by kind| the counter of your rule `<id>`         | its window               |
 * | `<prefix>bans`               | zset   | ban index: subject scored by expiry     | until the last ban ends  |
 * | `<prefix>whitelist`          | set    | whitelist entries                       | none (configuration)     |
 * | `<prefix>events`             | channel| pub/sub change messages                 | -                        |
 */

/**
 * The counter keys of the built-in rules (burst, auth failures, items, suspicion): a new enforced ban and `deleteBan`
 * clear them, besides the counters of the op's own counts. Part of the stored layout, so kept here (and checked
 * against core's list at compile time).
 */
export const BUILTIN_KEYS = ['b', 'a', 'i', 's'] as const satisfies typeof BUILTIN_COUNTER_KEYS
/** The built-in counters' Redis keys, with the sources of auth failures counted by key or user (a `spread` count). */
export const MANAGED_COUNTER_KEYS = [...BUILTIN_KEYS, 'a.s', 'a.n'] as const

/** The built-in per-subject keys. */
export interface SubjectKeys {
  ban: string
  offense: string
  burst: string
  auth: string
  items: string
  suspicion: string
  /** Prefix of the endpoint keys: append the endpoint id. */
  endpoint: string
}

/**
 * The hash tag for a subject: the subject with `%`, `{` and `}` escaped, so a subject can neither end the tag early
 * nor collide with another subject's escaped form. The empty subject maps to `%` (which no escaped subject equals).
 */
export function subjectTag(subject: string): string {
  if (subject === '') return '%'
  if (!/[%{}]/.test(subject)) return subject
  return subject.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'))
}

export class KeySpace {
  readonly banIndex: string
  readonly whitelist: string
  readonly channel: string

  constructor(readonly prefix: string) {
    this.banIndex = `${prefix}bans`
    this.whitelist = `${prefix}whitelist`
    this.channel = `${prefix}events`
  }

  /** `<prefix>{<tag>}:` — every key of the subject starts with this. */
  base(subject: string): string {
    return `${this.prefix}{${subjectTag(subject)}}:`
  }

  subject(subject: string): SubjectKeys {
    const base = this.base(subject)
    return {
      ban: `${base}ban`,
      offense: `${base}off`,
      burst: `${base}b`,
      auth: `${base}a`,
      items: `${base}i`,
      suspicion: `${base}s`,
      endpoint: `${base}e:`,
    }
  }

  /** The key of the subject's counter `key` (a count's `key`: `b`, `e:login`, `r:2fa-failures` …). */
  counter(subject: string, key: string): string {
    return `${this.base(subject)}${key}`
  }

  /** The ban key, the offense key and the built-in counter keys of a subject: what `setBan`/`deleteBan` touch. */
  managed(subject: string): string[] {
    const base = this.base(subject)
    return [`${base}ban`, `${base}off`, ...MANAGED_COUNTER_KEYS.map((k) => base + k)]
  }

  /** Glob matching every key this store writes (for SCAN in tests and tools). */
  get pattern(): string {
    return `${this.prefix.replace(/[*?[\]\\]/g, '\\$&')}*`
  }
}
