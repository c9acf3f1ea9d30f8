/**
 * Runs the JavaScript and TypeScript code blocks of a README as tests, so documentation examples keep working.
 *
 * In a package's `test/readme.test.ts`:
 *
 *     import { testReadme } from '@bulwark/testkit/readme'
 *     testReadme(new URL('../README.md', import.meta.url))
 *
 * Every fenced block tagged `js`, `javascript`, `mjs`, `ts`, `typescript` or `mts` becomes one test: it is written
 * to `<package>/test-output/readme/` and imported through vitest, so `@bulwark/*` imports resolve to the workspace
 * sources and TypeScript is stripped (not type-checked); relative imports would resolve from that folder, so import
 * packages by name. A block passes when it evaluates without throwing,
 * top-level `await` included, and every `//=>` in it holds.
 *
 * - `expr //=> expected`, or `//=> expected` on the line after a one-line `expr`, asserts the value: an object or
 *   array must match as a subset (`toMatchObject`; `, …` before a closing bracket is allowed), anything else must
 *   be equal. `const x = expr //=> expected` checks `x`. The expected value is evaluated in the block's scope.
 * - `<!-- readme-test: skip (reason) -->` on the line before a block (blank lines allowed between) skips it; the
 *   reason is required and shows in the test name. Use it for blocks that cannot run on their own (start a server
 *   forever, need Redis or the internet, need a package that is not installed).
 * - Console output of a block is captured and shown only when the block fails.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { describe, expect, test, vi } from 'vitest'

/** One fenced code block of a README. */
export interface ReadmeBlock {
  /** 1-based line of the opening fence. */
  readonly line: number
  /** The info string's first word, lower-cased (`ts`, `js`, `sh` …); empty when untagged. */
  readonly lang: string
  /** The code, with the fence's indentation removed. */
  readonly code: string
  /** The nearest heading above the block. */
  readonly heading: string
  /** Set by a `<!-- readme-test: skip (reason) -->` directive. */
  readonly skip?: string
}

export interface ReadmeTestOptions {
  /**
   * Environment variables set while each block runs (restored afterwards), or a function giving them, called
   * when the block runs (after `beforeAll` hooks, so it can name a server a hook started).
   */
  env?: Record<string, string> | (() => Record<string, string> | Promise<Record<string, string>>)
  /** Time limit per block, in ms. Default: vitest's `testTimeout`. */
  timeoutMs?: number
}

const RUNNABLE: Readonly<Record<string, 'ts' | 'mjs'>> = {
  js: 'mjs',
  javascript: 'mjs',
  mjs: 'mjs',
  ts: 'ts',
  typescript: 'ts',
  mts: 'ts',
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/
const DIRECTIVE = /^\s*<!--\s*readme-test:\s*(.*?)\s*-->\s*$/
const HEADING = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/

/** Reads the fenced code blocks of a Markdown text, with their skip directives. Throws on a malformed directive. */
export function readmeBlocks(markdown: string, file = 'README.md'): ReadmeBlock[] {
  const lines = markdown.split(/\r?\n/)
  const blocks: ReadmeBlock[] = []
  let heading = ''
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const open = FENCE.exec(line)
    if (!open) {
      const h = HEADING.exec(line)
      if (h) heading = h[1]!
      continue
    }
    const [, indent = '', fence = '', info = ''] = open
    const body: string[] = []
    let j = i + 1
    for (; j < lines.length; j++) {
      const close = lines[j]!.trim()
      if (close.startsWith(fence[0]!.repeat(fence.length)) && /^(`+|~+)$/.test(close)) break
      body.push(lines[j]!.startsWith(indent) ? lines[j]!.slice(indent.length) : lines[j]!.trimStart())
    }
    let skip: string | undefined
    let k = i - 1
    while (k >= 0 && lines[k]!.trim() === '') k--
    const directive = k >= 0 ? DIRECTIVE.exec(lines[k]!) : null
    if (directive) {
      const m = /^skip\s*(?:\((.*)\)|[:\-–—]\s*(.*))?$/.exec(directive[1]!)
      const reason = (m?.[1] ?? m?.[2] ?? '').trim()
      if (!m) throw new Error(`${file}:${k + 1}: unknown readme-test directive "${directive[1]}"`)
      if (!reason)
        throw new Error(`${file}:${k + 1}: readme-test: skip needs a reason, e.g. skip (starts a server)`)
      skip = reason
    }
    blocks.push({
      line: i + 1,
      lang: info.toLowerCase(),
      code: body.join('\n'),
      heading,
      ...(skip === undefined ? {} : { skip }),
    })
    i = j
  }
  return blocks
}

/** True when the brackets of a line of code (outside strings) are balanced. */
function balanced(code: string): boolean {
  let depth = 0
  let quote = ''
  for (let i = 0; i < code.length; i++) {
    const c = code[i]!
    if (quote) {
      if (c === '\\') i++
      else if (c === quote) quote = ''
      continue
    }
    if (c === "'" || c === '"' || c === '`') quote = c
    else if (c === '(' || c === '[' || c === '{') depth++
    else if (c === ')' || c === ']' || c === '}') depth--
    if (depth < 0) return false
  }
  return depth === 0 && quote === ''
}

const EXPECT = '__readmeExpect'
const EXPECT_KEY = Symbol.for('bulwark.readme-test.expect')

/** `, …` before a closing bracket and `{ … }` mean "and more": a subset match does that already. */
function expectedSource(text: string): string {
  return text.replace(/,\s*…(?=\s*[}\]])/g, '').replace(/\{\s*…\s*\}/g, '{}')
}

/**
 * Rewrites the `//=>` lines of a block into assertions, keeping every line where it was (so errors point at
 * the README's lines). Throws when a `//=>` does not follow a one-line expression.
 */
export function withAssertions(code: string, where: (offset: number) => string): string {
  const lines = code.split('\n')
  const asserted = new Set<number>()
  let found = false
  const rewrite = (statement: string, expected: string, at: number): string => {
    const indent = /^\s*/.exec(statement)![0]
    const body = statement.trim().replace(/^;+|;+$/g, '')
    const label = JSON.stringify(where(at))
    const decl = /^(const|let|var)\s+([A-Za-z_$][\w$]*)(\s*:[^=]+)?\s*=\s*(.+)$/.exec(body)
    if (decl) {
      const [, kind, name, type = '', value] = decl
      return `${indent}${kind} ${name}${type} = ${value}; ${EXPECT}(${name}, (${expected}), ${label});`
    }
    return `${indent};${EXPECT}(${body}, (${expected}), ${label});`
  }
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const at = line.indexOf('//=>')
    if (at < 0) continue
    found = true
    const expected = expectedSource(line.slice(at + 4).trim())
    if (expected === '') throw new Error(`${where(i)}: //=> needs an expected value`)
    const statement = line.slice(0, at).trimEnd()
    if (statement.trim() !== '') {
      if (!balanced(statement)) throw new Error(`${where(i)}: //=> must end a one-line expression`)
      lines[i] = rewrite(statement, expected, i)
      asserted.add(i)
      continue
    }
    let p = i - 1
    while (p >= 0 && (lines[p]!.trim() === '' || lines[p]!.trim().startsWith('//'))) p--
    if (p < 0 || asserted.has(p) || !balanced(lines[p]!)) {
      throw new Error(`${where(i)}: //=> must follow a one-line expression`)
    }
    lines[p] = rewrite(lines[p]!, expected, i)
    asserted.add(p)
    lines[i] = ''
  }
  if (!found) return code
  // on the first line, so line numbers stay the README's
  lines[0] = `const ${EXPECT} = globalThis[Symbol.for('bulwark.readme-test.expect')]; ${lines[0]}`
  return lines.join('\n')
}

function check(actual: unknown, expected: unknown, where: string): void {
  if (expected !== null && typeof expected === 'object') expect(actual, where).toMatchObject(expected)
  else expect(actual, where).toStrictEqual(expected)
}

let runs = 0

async function runBlock(block: ReadmeBlock, file: string, outDir: string, options: ReadmeTestOptions) {
  const ext = RUNNABLE[block.lang]!
  const name = basename(file).replace(/\.md$/i, '').toLowerCase()
  const where = (offset: number) => `${basename(file)}:${block.line + 1 + offset}`
  // blank lines stand for the README above the block, so line n of the file is line n of the README
  const code = `${'\n'.repeat(block.line)}${withAssertions(block.code, where)}`
  const target = join(outDir, `${name}-L${block.line}.${ext}`)
  mkdirSync(outDir, { recursive: true })
  writeFileSync(target, code)
  const env = typeof options.env === 'function' ? await options.env() : (options.env ?? {})
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
  Object.assign(process.env, env)
  const output: string[] = []
  const methods = ['log', 'info', 'warn', 'error', 'debug'] as const
  const spies = methods.map((m) =>
    vi.spyOn(console, m).mockImplementation((...args: unknown[]) => {
      output.push(`[console.${m}] ${args.map((a) => (typeof a === 'string' ? a : String(a))).join(' ')}`)
    }),
  )
  const globals = globalThis as Record<symbol, unknown>
  globals[EXPECT_KEY] = check
  try {
    await import(/* @vite-ignore */ `${pathToFileURL(target).href}?run=${++runs}`)
  } catch (error) {
    const printed = output.length > 0 ? `\nConsole output of the block:\n${output.join('\n')}` : ''
    const message = error instanceof Error ? error.message : String(error)
    const wrapped = new Error(
      `${basename(file)}:${block.line} (${block.lang} block under "${block.heading}") failed: ${message}\nRun as ${target}${printed}`,
      { cause: error },
    )
    if (error instanceof Error && error.stack) wrapped.stack = `${wrapped.message}\n${error.stack}`
    throw wrapped
  } finally {
    delete globals[EXPECT_KEY]
    for (const spy of spies) spy.mockRestore()
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/**
 * Declares one test per runnable code block of a README (see the module comment for the conventions).
 * `readme` is a file URL (e.g. `new URL('../README.md', import.meta.url)`) or an absolute path.
 */
export function testReadme(readme: URL | string, options: ReadmeTestOptions = {}): void {
  const file = readme instanceof URL || readme.startsWith('file:') ? fileURLToPath(readme) : readme
  const outDir = join(dirname(file), 'test-output', 'readme')
  const blocks = readmeBlocks(readFileSync(file, 'utf8'), basename(file)).filter((b) => RUNNABLE[b.lang])
  describe(basename(file), () => {
    test('has code blocks to run', () => {
      expect(blocks.length).toBeGreaterThan(0)
    })
    for (const block of blocks) {
      const title = `line ${block.line}, ${block.lang}${block.heading ? ` (${block.heading})` : ''}`
      if (block.skip !== undefined) {
        test.skip(`${title}: skipped, ${block.skip}`, () => {})
        continue
      }
      test(title, () => runBlock(block, file, outDir, options), options.timeoutMs)
    }
  })
}
