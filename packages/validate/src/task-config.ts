/**
 * Zod 4 schemas: one per validator (to compose into your own schemas) and `TaskConfigSchema`,
 * the whole task a client submits, with `parseTaskConfig` returning a result object.
 */
import { z } from 'zod'
import { TaskConfigCode } from './codes.js'
import { checkFilename, type FilenameOptions } from './filename.js'
import { type Fail, type Ok, ok, type Result } from './result.js'
import { checkSelector, type SelectorOptions } from './selector.js'
import { checkUrl } from './url.js'
import type { UrlPolicyOptions } from './url-policy.js'

type Check = (input: string) => Result<string> | Result<{ href: string }>

function checked(check: Check, meta: Record<string, unknown>) {
  return z
    .string()
    .transform((value, ctx) => {
      const result = check(value)
      if (result.ok) return typeof result.value === 'string' ? result.value : result.value.href
      ctx.issues.push({
        code: 'custom',
        message: result.message,
        input: value,
        params: { code: result.code },
      })
      return z.NEVER
    })
    .meta(meta)
}

/** A URL that passes `checkUrl` with these options; parses to the canonical `href`. */
export function urlSchema(options?: UrlPolicyOptions) {
  return checked((value) => checkUrl(value, options), {
    format: 'uri',
    description: 'http(s) URL of a public host; the canonical form is used',
  })
}

/** A CSS selector that passes `checkSelector` with these options; parses to its canonical form. */
export function selectorSchema(options?: SelectorOptions) {
  return checked((value) => checkSelector(value, options), {
    maxLength: options?.maxLength ?? 1000,
    description: 'CSS selector (allowlisted subset)',
  })
}

/** A file name that passes `checkFilename` with these options (checked, not repaired). */
export function filenameSchema(options?: FilenameOptions) {
  return checked((value) => checkFilename(value, options), { description: 'a single safe file name' })
}

/** `urlSchema()` with the default policy. */
export const UrlSchema = urlSchema()
/** `selectorSchema()` with the default limits. */
export const SelectorSchema = selectorSchema()
/** `filenameSchema()` with the default limits. */
export const FilenameSchema = filenameSchema()

/** Keys that would reach an object's prototype machinery; never accepted as selector names. */
export const RESERVED_KEYS: readonly string[] = Object.freeze(['__proto__', 'constructor', 'prototype'])
const reservedKeys = new Set(RESERVED_KEYS)
const SELECTOR_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Options of `taskConfigSchema`/`parseTaskConfig`: the policies applied to each URL and selector. */
export interface TaskConfigOptions {
  readonly url?: UrlPolicyOptions
  readonly selector?: SelectorOptions
}

/** Builds the task config schema with the given URL and selector policies. */
export function taskConfigSchema(options: TaskConfigOptions = {}) {
  const selectorName = z
    .string()
    .max(64)
    .regex(SELECTOR_NAME, 'selector names match ^[a-zA-Z_][a-zA-Z0-9_]*$')
    .refine((key) => !reservedKeys.has(key), { message: 'reserved selector name' })
  const selectorMap = z
    .record(selectorName, selectorSchema(options.selector))
    .refine((map) => Object.keys(map).length >= 1 && Object.keys(map).length <= 50, {
      message: 'selectors must have 1 to 50 entries',
      params: { code: TaskConfigCode.OUT_OF_RANGE },
    })
    .meta({ minProperties: 1, maxProperties: 50 })
  // zod silently drops an own `__proto__` key (as JSON.parse creates it); refuse it before that happens.
  const selectors = z.preprocess((raw, ctx) => {
    if (raw !== null && typeof raw === 'object') {
      for (const key of Object.keys(raw)) {
        if (reservedKeys.has(key)) {
          ctx.issues.push({
            code: 'custom',
            path: [key],
            message: 'reserved selector name',
            input: raw,
            params: { code: TaskConfigCode.RESERVED_KEY },
          })
        }
      }
    }
    return raw
  }, selectorMap)
  return z
    .strictObject({
      urls: z.array(urlSchema(options.url)).min(1).max(100),
      selectors,
      output_format: z.enum(['json', 'csv', 'xml']).default('json'),
      timeout: z.number().int().min(1).max(300).default(60).describe('seconds'),
      wait_time: z.number().int().min(0).max(299).default(0).describe('seconds, below timeout'),
    })
    .superRefine((config, ctx) => {
      if (config.wait_time >= config.timeout) {
        ctx.addIssue({
          code: 'custom',
          path: ['wait_time'],
          message: 'wait_time must be below timeout',
          params: { code: TaskConfigCode.WAIT_NOT_BELOW_TIMEOUT },
        })
      }
    })
}

/** The task a client submits: URLs to fetch, named selectors, output format and timings. Unknown keys are rejected. */
export const TaskConfigSchema = taskConfigSchema()

/** A parsed task config (canonical URLs and selectors, defaults filled in). */
export type TaskConfig = z.output<typeof TaskConfigSchema>
/** What a client may send. */
export type TaskConfigInput = z.input<typeof TaskConfigSchema>

/** The JSON Schema (draft 2020-12) of what a client may send, for OpenAPI documents. */
export function taskConfigJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(TaskConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
}

const schemaCache = new WeakMap<TaskConfigOptions, typeof TaskConfigSchema>()

/** The schema for these options, built once per options object. */
function schemaFor(options: TaskConfigOptions): typeof TaskConfigSchema {
  let schema = schemaCache.get(options)
  if (!schema) {
    schema = taskConfigSchema(options)
    schemaCache.set(options, schema)
  }
  return schema
}

/** One problem in a task config. */
export interface TaskConfigIssue {
  /** Where: `urls[0]`, `selectors.title`, `timeout`, or `` for the object itself. */
  readonly path: string
  /** A stable code: the validator's own (`URL_…`, `SELECTOR_…`) or a `TASK_CONFIG_…` code. */
  readonly code: string
  readonly message: string
}

/** The failure `parseTaskConfig` returns: code `TASK_CONFIG_INVALID` and every issue found. */
export interface TaskConfigFailure extends Fail<typeof TaskConfigCode.INVALID> {
  readonly issues: readonly TaskConfigIssue[]
}

const ZOD_CODES: Readonly<Record<string, string>> = {
  invalid_type: TaskConfigCode.INVALID_TYPE,
  too_small: TaskConfigCode.OUT_OF_RANGE,
  too_big: TaskConfigCode.OUT_OF_RANGE,
  invalid_value: TaskConfigCode.INVALID_VALUE,
  invalid_key: TaskConfigCode.INVALID_KEY,
  unrecognized_keys: TaskConfigCode.UNKNOWN_KEY,
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`
    else out += out === '' ? String(part) : `.${String(part)}`
  }
  return out
}

function toIssue(issue: z.core.$ZodIssue): TaskConfigIssue {
  let path = [...issue.path]
  if (issue.code === 'unrecognized_keys') path = [...path, ...issue.keys.slice(0, 1)]
  const custom = issue.code === 'custom' ? (issue.params as { code?: unknown } | undefined)?.code : undefined
  const code = typeof custom === 'string' ? custom : (ZOD_CODES[issue.code] ?? TaskConfigCode.INVALID)
  const where = formatPath(path)
  return { path: where, code, message: where ? `${where}: ${issue.message}` : issue.message }
}

/**
 * Parses a task config a client sent. Returns `{ ok: true, value }` with canonical URLs and
 * selectors and defaults filled in, or `{ ok: false, code: 'TASK_CONFIG_INVALID', message, issues }`
 * with one entry per problem, each naming its field path. Never throws for bad input.
 */
export function parseTaskConfig(
  input: unknown,
  options?: TaskConfigOptions,
): Ok<TaskConfig> | TaskConfigFailure {
  const schema = options ? schemaFor(options) : TaskConfigSchema
  let parsed: ReturnType<typeof schema.safeParse>
  try {
    parsed = schema.safeParse(input)
  } catch {
    const issue = { path: '', code: TaskConfigCode.INVALID, message: 'task config could not be read' }
    return { ok: false, code: TaskConfigCode.INVALID, message: issue.message, issues: [issue] }
  }
  if (parsed.success) return ok(parsed.data)
  const issues = parsed.error.issues.map(toIssue)
  return { ok: false, code: TaskConfigCode.INVALID, message: issues.map((i) => i.message).join('; '), issues }
}
