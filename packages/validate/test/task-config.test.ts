import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  FilenameSchema,
  parseTaskConfig,
  SelectorSchema,
  TaskConfigCode,
  TaskConfigSchema,
  taskConfigJsonSchema,
  UrlSchema,
  urlSchema,
} from '../src/index.ts'

const valid = {
  urls: ['HTTPS://Example.com/products?page=1'],
  selectors: { title: 'h1', price: 'span.price' },
  output_format: 'csv',
  timeout: 60,
  wait_time: 5,
}

function issuesOf(input: unknown): Array<{ path: string; code: string }> {
  const result = parseTaskConfig(input)
  if (result.ok) return []
  expect(result.code).toBe(TaskConfigCode.INVALID)
  return result.issues.map(({ path, code }) => ({ path, code }))
}

describe('parseTaskConfig', () => {
  it('returns canonical URLs and selectors', () => {
    expect(parseTaskConfig(valid)).toEqual({
      ok: true,
      value: {
        urls: ['https://example.com/products?page=1'],
        selectors: { title: 'h1', price: 'span.price' },
        output_format: 'csv',
        timeout: 60,
        wait_time: 5,
      },
    })
  })

  it('fills in defaults', () => {
    const result = parseTaskConfig({ urls: ['https://example.com/'], selectors: { a: 'a' } })
    expect(result.ok && result.value).toMatchObject({ output_format: 'json', timeout: 60, wait_time: 0 })
  })

  it('defaults timeout to 60 s, so a wait_time of 40 without a timeout is accepted', () => {
    const task = { urls: ['https://example.com/'], selectors: { a: 'a' }, wait_time: 40 }
    const result = parseTaskConfig(task)
    expect(result.ok && result.value).toMatchObject({ timeout: 60, wait_time: 40 })
    // The former default (30) refused this very config.
    expect(issuesOf({ ...task, timeout: 30 })).toEqual([
      { path: 'wait_time', code: TaskConfigCode.WAIT_NOT_BELOW_TIMEOUT },
    ])
    expect(issuesOf({ ...task, wait_time: 60 })).toEqual([
      { path: 'wait_time', code: TaskConfigCode.WAIT_NOT_BELOW_TIMEOUT },
    ])
  })

  it('names the field path and the validator code of each bad entry', () => {
    expect(
      issuesOf({
        ...valid,
        urls: ['https://example.com/', 'http://169.254.169.254/latest/meta-data/'],
        selectors: { title: 'h1', bad: 'a < b' },
      }),
    ).toEqual([
      { path: 'urls[1]', code: 'URL_ADDRESS_NOT_PUBLIC' },
      { path: 'selectors.bad', code: 'SELECTOR_PARENT_COMBINATOR' },
    ])
  })

  it.each([
    [{ ...valid, urls: [] }, 'urls', TaskConfigCode.OUT_OF_RANGE],
    [{ ...valid, urls: Array(101).fill('https://example.com/') }, 'urls', TaskConfigCode.OUT_OF_RANGE],
    [{ ...valid, urls: 'https://example.com/' }, 'urls', TaskConfigCode.INVALID_TYPE],
    [{ ...valid, urls: [42] }, 'urls[0]', TaskConfigCode.INVALID_TYPE],
    [{ ...valid, selectors: {} }, 'selectors', TaskConfigCode.OUT_OF_RANGE],
    [
      { ...valid, selectors: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`s${i}`, 'a'])) },
      'selectors',
      TaskConfigCode.OUT_OF_RANGE,
    ],
    [{ ...valid, selectors: { '1abc': 'a' } }, 'selectors.1abc', TaskConfigCode.INVALID_KEY],
    [{ ...valid, selectors: { 'a-b': 'a' } }, 'selectors.a-b', TaskConfigCode.INVALID_KEY],
    [{ ...valid, selectors: { constructor: 'a' } }, 'selectors.constructor', TaskConfigCode.RESERVED_KEY],
    [{ ...valid, selectors: { prototype: 'a' } }, 'selectors.prototype', TaskConfigCode.RESERVED_KEY],
    [{ ...valid, output_format: 'pdf' }, 'output_format', TaskConfigCode.INVALID_VALUE],
    [{ ...valid, timeout: 0 }, 'timeout', TaskConfigCode.OUT_OF_RANGE],
    [{ ...valid, timeout: 301 }, 'timeout', TaskConfigCode.OUT_OF_RANGE],
    [{ ...valid, timeout: 1.5 }, 'timeout', TaskConfigCode.INVALID_TYPE],
    [{ ...valid, timeout: '30' }, 'timeout', TaskConfigCode.INVALID_TYPE],
    [{ ...valid, wait_time: -1 }, 'wait_time', TaskConfigCode.OUT_OF_RANGE],
    [{ ...valid, wait_time: 60 }, 'wait_time', TaskConfigCode.WAIT_NOT_BELOW_TIMEOUT],
    [{ ...valid, wait_time: 61 }, 'wait_time', TaskConfigCode.WAIT_NOT_BELOW_TIMEOUT],
    [{ ...valid, callback: 'https://evil.example.com/' }, 'callback', TaskConfigCode.UNKNOWN_KEY],
    [null, '', TaskConfigCode.INVALID_TYPE],
    [[], '', TaskConfigCode.INVALID_TYPE],
  ])('rejects %j at %s with %s', (input, path, code) => {
    expect(issuesOf(input)).toContainEqual({ path, code })
  })

  it('rejects __proto__ from JSON.parse instead of silently dropping it', () => {
    const input = JSON.parse(
      '{"urls":["https://example.com/"],"selectors":{"__proto__":"h1","title":"h1"},"timeout":30}',
    )
    expect(issuesOf(input)).toEqual([{ path: 'selectors.__proto__', code: TaskConfigCode.RESERVED_KEY }])
    expect(({} as Record<string, unknown>).title).toBeUndefined()
  })

  it('never throws', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('boom')
        },
      },
    )
    for (const input of [undefined, 1, 'x', hostile, { urls: hostile, selectors: hostile }]) {
      expect(parseTaskConfig(input).ok).toBe(false)
    }
  })

  it('applies custom URL and selector policies', () => {
    const input = { urls: ['http://search.internal/'], selectors: { deep: ':not(:not(a))' } }
    expect(parseTaskConfig(input).ok).toBe(false)
    const result = parseTaskConfig(input, {
      url: { allowHosts: ['search.internal'] },
      selector: { maxDepth: 2 },
    })
    expect(result.ok).toBe(true)
  })
})

describe('schemas', () => {
  it('compose into a user schema', () => {
    const Webhook = z.object({ target: UrlSchema, name: FilenameSchema, pick: SelectorSchema })
    expect(Webhook.parse({ target: 'https://EXAMPLE.com', name: 'out.csv', pick: 'a' })).toEqual({
      target: 'https://example.com/',
      name: 'out.csv',
      pick: 'a',
    })
    const failure = Webhook.safeParse({ target: 'http://[::1]/', name: '../x', pick: 'a' })
    expect(failure.success).toBe(false)
    expect(
      failure.error?.issues.map((i) => [
        i.path.join('.'),
        (i as { params?: { code?: string } }).params?.code,
      ]),
    ).toEqual([
      ['target', 'URL_ADDRESS_NOT_PUBLIC'],
      ['name', 'FILENAME_SEPARATOR'],
    ])
  })

  it('takes a policy in the factories', () => {
    expect(urlSchema({ ports: [8443] }).safeParse('https://example.com/').success).toBe(false)
    expect(TaskConfigSchema.safeParse(valid).success).toBe(true)
  })

  it('exports a JSON Schema of the input', () => {
    const schema = taskConfigJsonSchema() as {
      type: string
      required: string[]
      additionalProperties: boolean
      properties: Record<string, Record<string, unknown>>
    }
    expect(schema.type).toBe('object')
    expect(schema.required.sort()).toEqual(['selectors', 'urls'])
    expect(schema.additionalProperties).toBe(false)
    expect(schema.properties.urls).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: 100,
      items: { format: 'uri' },
    })
    expect(schema.properties.selectors).toMatchObject({
      type: 'object',
      minProperties: 1,
      maxProperties: 50,
      propertyNames: { pattern: '^[a-zA-Z_][a-zA-Z0-9_]*$' },
    })
    expect(schema.properties.output_format).toMatchObject({ enum: ['json', 'csv', 'xml'] })
    expect(schema.properties.timeout).toMatchObject({ type: 'integer', minimum: 1, maximum: 300 })
    expect(schema.properties.wait_time).toMatchObject({ type: 'integer', minimum: 0 })
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema)
  })
})
