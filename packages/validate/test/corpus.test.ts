import { readFileSync } from 'node:fs'
import { parseFragment } from 'parse5'
import { describe, expect, it } from 'vitest'
import { checkFilename, checkPublicUrl, checkUrl, sanitizeFilename, sanitizeHtml } from '../src/index.ts'
import { elementsAndAttributes } from './html-tree.ts'

/** Reads a corpus with JSON.parse (the JSON plugin of the bundler rejects escaped lone surrogates). */
function corpus<T>(name: string): { entries: T[] } {
  return JSON.parse(readFileSync(new URL(`../corpus/${name}`, import.meta.url), 'utf8'))
}

const ssrf = corpus<SsrfEntry>('ssrf-urls.json')
const xss = corpus<XssEntry>('xss.json')
const filenames = corpus<FilenameEntry>('filenames.json')

interface SsrfEntry {
  input: string
  expect: 'block' | 'pass'
  stage?: 'static' | 'dns'
  code?: string
  dns?: string[]
  href?: string
  source: string
}

const staticBlocks = ssrf.entries.filter((e) => e.expect === 'block' && e.stage === 'static')
const dnsBlocks = ssrf.entries.filter((e) => e.expect === 'block' && e.stage === 'dns')
const controls = ssrf.entries.filter((e) => e.expect === 'pass')

describe('SSRF corpus', () => {
  it('has at least 60 attacks and some benign controls, each with a source', () => {
    expect(staticBlocks.length + dnsBlocks.length).toBeGreaterThanOrEqual(60)
    expect(controls.length).toBeGreaterThanOrEqual(10)
    for (const entry of ssrf.entries) expect(entry.source).toMatch(/^(https:\/\/|control$)/)
  })

  it.each(staticBlocks.map((e) => [e.input, e] as const))('checkUrl blocks %j', (_input, entry) => {
    const result = checkUrl(entry.input)
    expect(result.ok).toBe(false)
    expect(result.ok ? undefined : result.code).toBe(entry.code)
    // Whatever the port policy, the URL stays blocked.
    expect(checkUrl(entry.input, { ports: 'any' }).ok).toBe(false)
  })

  it.each(dnsBlocks.map((e) => [e.input, e] as const))(
    'checkPublicUrl blocks %j by its DNS answers',
    async (_input, entry) => {
      expect(checkUrl(entry.input).ok).toBe(true)
      const lookup = async () =>
        entry.dns!.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
      const result = await checkPublicUrl(entry.input, { lookup })
      expect(result.ok ? 'passed' : result.code).toBe(entry.code)
    },
  )

  it.each(controls.map((e) => [e.input, e] as const))(
    'benign %j passes with its canonical href',
    async (_input, entry) => {
      const result = checkUrl(entry.input)
      expect(result.ok ? result.value.href : result.code).toBe(entry.href)
      const lookup = async () => [{ address: '93.184.215.14', family: 4 }]
      const resolved = await checkPublicUrl(entry.input, { lookup })
      expect(resolved.ok).toBe(true)
    },
  )
})

interface XssEntry {
  input: string
  expect: 'neutralised' | 'kept'
  output?: string
  source: string
}

const xssEntries = xss.entries
const allowed = new Set(['b', 'i', 'u', 'em', 'strong', 'p', 'br'])

describe('XSS corpus', () => {
  it('has at least 35 payloads and some benign controls', () => {
    expect(xssEntries.filter((e) => e.expect === 'neutralised').length).toBeGreaterThanOrEqual(35)
    expect(xssEntries.filter((e) => e.expect === 'kept').length).toBeGreaterThanOrEqual(5)
  })

  it.each(xssEntries.map((e) => [e.input, e] as const))('sanitizeHtml handles %j', (_input, entry) => {
    const output = sanitizeHtml(entry.input)
    const { elements, attributes } = elementsAndAttributes(parseFragment(output))
    expect(elements.filter((name) => !allowed.has(name))).toEqual([])
    expect(attributes).toEqual([])
    expect(output).not.toMatch(/<(?!\/?(?:b|i|u|em|strong|p)>|br \/>)/)
    if (entry.output !== undefined) expect(output).toBe(entry.output)
    expect(sanitizeHtml(output)).toBe(output)
  })
})

interface FilenameEntry {
  input: string
  expect: 'reject' | 'accept'
  code?: string
  source: string
}

const fileEntries = filenames.entries

describe('file name corpus', () => {
  it('has at least 40 hostile names and some benign controls', () => {
    expect(fileEntries.filter((e) => e.expect === 'reject').length).toBeGreaterThanOrEqual(40)
    expect(fileEntries.filter((e) => e.expect === 'accept').length).toBeGreaterThanOrEqual(10)
  })

  it.each(fileEntries.map((e) => [e.input, e] as const))('checkFilename judges %j', (_input, entry) => {
    const result = checkFilename(entry.input)
    const sanitized = sanitizeFilename(entry.input)
    if (entry.expect === 'accept') {
      expect(result).toEqual({ ok: true, value: entry.input })
      expect(sanitized).toBe(entry.input)
    } else {
      expect(result.ok ? 'accepted' : result.code).toBe(entry.code)
      expect(checkFilename(sanitized).ok).toBe(true)
      expect(sanitized).not.toBe(entry.input)
    }
  })
})
