/**
 * `checkFilename` and `sanitizeFilename`: one file name (never a path) that is safe to create on
 * Linux, macOS and Windows, and to show to a person without being misread.
 */
import { FilenameCode } from './codes.js'
import { fail, ok, type Result } from './result.js'

/** Options of `checkFilename`. */
export interface FilenameOptions {
  /** Longest accepted name in UTF-8 bytes, 1 to 255. Default 255 (the limit of ext4, APFS and NTFS). */
  readonly maxBytes?: number
  /** Accept a leading dot (hidden files such as `.env`, `.htaccess`). Default `false`. */
  readonly allowLeadingDot?: boolean
}

/** Options of `sanitizeFilename`. */
export interface SanitizeFilenameOptions extends FilenameOptions {
  /** Put in place of each unsafe character. Must itself be safe; may be `''`. Default `'_'`. */
  readonly replacement?: string
  /** Returned when nothing usable is left. Must pass `checkFilename`. Default `'file'`. */
  readonly fallback?: string
}

type CharProblem = 'control' | 'separator' | 'forbidden' | 'bidi' | 'invisible' | 'noncharacter'

/**
 * Characters that are, or are shown or converted as, a path separator: Unicode look-alikes of `/`
 * and `\`, and `¥`/`₩`, which Windows "best fit" code pages (932, 949) turn into `\`. Characters
 * whose NFKC form contains a separator (fullwidth solidus …) are caught separately.
 */
export const LOOKALIKE_SEPARATORS: readonly string[] = Object.freeze([
  '\u2215', // ∕ DIVISION SLASH
  '\u2044', // ⁄ FRACTION SLASH
  '\u29f8', // ⧸ BIG SOLIDUS
  '\u29f9', // ⧹ BIG REVERSE SOLIDUS
  '\u2216', // ∖ SET MINUS
  '\u2571', // ╱ BOX DRAWINGS LIGHT DIAGONAL UPPER RIGHT TO LOWER LEFT
  '\u2572', // ╲ BOX DRAWINGS LIGHT DIAGONAL UPPER LEFT TO LOWER RIGHT
  '\u27cb', // ⟋ MATHEMATICAL RISING DIAGONAL
  '\u27cd', // ⟍ MATHEMATICAL FALLING DIAGONAL
  '\u1735', // ᜵ PHILIPPINE SINGLE PUNCTUATION
  '\u2f03', // ⼃ KANGXI RADICAL SLASH
  '\u3033', // 〳 VERTICAL KANA REPEAT MARK UPPER HALF
  '\u00a5', // ¥ YEN SIGN (best fit to `\` in code page 932)
  '\u20a9', // ₩ WON SIGN (best fit to `\` in code page 949)
])

/** Windows device names, reserved with any extension, in any case, and in NFKC (fullwidth, superscript) forms. */
export const WINDOWS_RESERVED_NAMES: readonly string[] = Object.freeze([
  'CON',
  'PRN',
  'AUX',
  'NUL',
  ...Array.from({ length: 10 }, (_, i) => `COM${i}`),
  ...Array.from({ length: 10 }, (_, i) => `LPT${i}`),
  'CONIN$',
  'CONOUT$',
  'CLOCK$',
])

const lookalikes = new Set(LOOKALIKE_SEPARATORS)
const reserved = new Set(WINDOWS_RESERVED_NAMES)
const WINDOWS_FORBIDDEN = new Set(['<', '>', ':', '"', '|', '?', '*'])
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/
// Format characters (zero-width space/joiners, soft hyphen, BOM, tags …) and blank-rendering letters.
const INVISIBLE = /\p{Cf}|[\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0]|\u034f|\u180b|\u180c|\u180d|\u180f/u
const NONCHARACTER = /\p{Noncharacter_Code_Point}/u
const NFKC_SEPARATOR = /[/\\]/
const NFKC_FORBIDDEN = /[<>:"|?*\u0000-\u001f]/
// With the u flag a surrogate range matches only unpaired surrogates.
const LONE_SURROGATE = /[\ud800-\udfff]/u
const DOTS_ONLY = /^\.+$/
const SPACE = /^\p{Zs}$/u

/** UTF-8 length of a string (a lone surrogate counts as the 3 bytes of U+FFFD). */
export function utf8Length(text: string): number {
  let length = 0
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i)
    if (unit < 0x80) length += 1
    else if (unit < 0x800) length += 2
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        length += 4
        i++
      } else length += 3
    } else length += 3
  }
  return length
}

function charProblem(ch: string): CharProblem | undefined {
  const cp = ch.codePointAt(0)!
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) return 'control'
  if (ch === '/' || ch === '\\' || lookalikes.has(ch)) return 'separator'
  if (WINDOWS_FORBIDDEN.has(ch)) return 'forbidden'
  if (cp < 0x80) return undefined
  if (BIDI.test(ch)) return 'bidi'
  if (INVISIBLE.test(ch)) return 'invisible'
  if (NONCHARACTER.test(ch)) return 'noncharacter'
  const compat = ch.normalize('NFKC')
  if (compat !== ch) {
    if (NFKC_SEPARATOR.test(compat)) return 'separator'
    if (NFKC_FORBIDDEN.test(compat)) return 'forbidden'
  }
  return undefined
}

function firstCharProblem(name: string): CharProblem | undefined {
  for (const ch of name) {
    const problem = charProblem(ch)
    if (problem) return problem
  }
  return undefined
}

function decodeOnce(text: string): string {
  // IIS-style %uXXXX escapes first, then UTF-8 percent escapes run by run.
  const unicode = text.replace(/%u([0-9a-fA-F]{4})/g, (_, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  )
  return unicode.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run
    }
  })
}

/** True when percent-decoding (up to three times) reveals a separator, control, NUL or a dots-only name. */
function percentProblem(name: string): boolean {
  if (!name.includes('%')) return false
  // Overlong UTF-8 sequences: lenient decoders turn %c0%af or %e0%80%af into `/`.
  if (/%c[01]|%e0%80/i.test(name)) return true
  let current = name
  for (let i = 0; i < 3; i++) {
    const next = decodeOnce(current)
    if (next === current) return false
    if (firstCharProblem(next) !== undefined || DOTS_ONLY.test(next.normalize('NFKC'))) return true
    current = next
  }
  return true
}

function isLeadingUnsafe(ch: string, allowLeadingDot: boolean): boolean {
  return (ch === '.' && !allowLeadingDot) || ch === '-' || SPACE.test(ch)
}

function isTrailingUnsafe(ch: string): boolean {
  return ch === '.' || SPACE.test(ch)
}

function isReserved(compat: string): boolean {
  const stem = compat
    .split('.')[0]!
    .replace(/\p{Zs}+$/u, '')
    .toUpperCase()
  return reserved.has(stem)
}

function limitsOf(options: FilenameOptions): { maxBytes: number; allowLeadingDot: boolean } {
  const maxBytes = options.maxBytes ?? 255
  if (!Number.isInteger(maxBytes) || maxBytes < 1 || maxBytes > 255)
    throw new TypeError('maxBytes must be 1 to 255')
  return { maxBytes, allowLeadingDot: options.allowLeadingDot === true }
}

const CHAR_CODES: Readonly<Record<CharProblem, [FilenameCode, string]>> = {
  control: [FilenameCode.CONTROL_CHARACTER, 'contains a control character'],
  separator: [FilenameCode.SEPARATOR, 'contains a path separator or a look-alike'],
  forbidden: [FilenameCode.FORBIDDEN_CHARACTER, 'contains a character Windows forbids (< > : " | ? *)'],
  bidi: [FilenameCode.BIDI_CONTROL, 'contains a bidirectional control character'],
  invisible: [FilenameCode.INVISIBLE_CHARACTER, 'contains an invisible character'],
  noncharacter: [FilenameCode.INVALID_UNICODE, 'contains a Unicode noncharacter'],
}

function check(name: unknown, maxBytes: number, allowLeadingDot: boolean): Result<string, FilenameCode> {
  if (typeof name !== 'string') return fail(FilenameCode.NOT_STRING, 'file name must be a string')
  if (name.length === 0) return fail(FilenameCode.EMPTY, 'file name is empty')
  if (LONE_SURROGATE.test(name))
    return fail(FilenameCode.INVALID_UNICODE, 'file name contains a lone surrogate')
  if (name.normalize('NFC') !== name)
    return fail(FilenameCode.NOT_NORMALIZED, 'file name is not in Unicode NFC')
  if (utf8Length(name) > maxBytes)
    return fail(FilenameCode.TOO_LONG, `file name longer than ${maxBytes} UTF-8 bytes`)
  const problem = firstCharProblem(name)
  if (problem) {
    const [code, message] = CHAR_CODES[problem]
    return fail(code, `file name ${message}`)
  }
  if (percentProblem(name))
    return fail(
      FilenameCode.PERCENT_ENCODED,
      'file name contains a percent-encoded separator, control or dot name',
    )
  const compat = name.normalize('NFKC')
  for (const form of [name, compat]) {
    if (DOTS_ONLY.test(form)) return fail(FilenameCode.DOTS, 'file name is made of dots only')
    if (isLeadingUnsafe(firstCodePoint(form), allowLeadingDot)) {
      return fail(FilenameCode.LEADING_CHARACTER, 'file name starts with a dot, hyphen or space')
    }
    if (isTrailingUnsafe(lastCodePoint(form))) {
      return fail(FilenameCode.TRAILING_DOT_OR_SPACE, 'file name ends with a dot or space')
    }
  }
  if (isReserved(compat))
    return fail(FilenameCode.RESERVED_NAME, 'file name is a Windows reserved device name')
  return ok(name)
}

/**
 * Checks one file name a client sent. Returns it unchanged when safe, else a failure with a code.
 * Never throws for bad input (a TypeError only for invalid options). It does not repair: the name
 * must already be NFC and free of every unsafe form; use `sanitizeFilename` to repair.
 */
export function checkFilename(input: unknown, options: FilenameOptions = {}): Result<string, FilenameCode> {
  const { maxBytes, allowLeadingDot } = limitsOf(options)
  try {
    return check(input, maxBytes, allowLeadingDot)
  } catch {
    return fail(FilenameCode.INVALID_UNICODE, 'file name could not be checked')
  }
}

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' })

/** Cuts to `maxBytes` on a grapheme boundary, keeping a short extension. */
function truncate(name: string, maxBytes: number): string {
  if (utf8Length(name) <= maxBytes) return name
  const dot = name.lastIndexOf('.')
  let ext = dot > 0 ? name.slice(dot) : ''
  if (utf8Length(ext) > Math.min(16, Math.floor(maxBytes / 2))) ext = ''
  const stem = ext ? name.slice(0, dot) : name
  let budget = maxBytes - utf8Length(ext)
  // A kept prefix has at most `budget` code units: segment only that window plus one, and drop the
  // window's last segment, which may be cut short.
  const window = stem.slice(0, budget + 1)
  // Fast path: between two printable ASCII characters there is always a grapheme boundary.
  if (/^[\x20-\x7e]*$/.test(window)) return stem.slice(0, budget) + ext
  const segments = [...segmenter.segment(window)].map(({ segment }) => segment)
  if (window.length < stem.length) segments.pop()
  let kept = ''
  for (const segment of segments) {
    const size = utf8Length(segment)
    if (size > budget) break
    kept += segment
    budget -= size
  }
  return kept + ext
}

function repairChars(name: string, replacement: string): string {
  let out = ''
  for (const ch of name) {
    const problem = charProblem(ch)
    if (problem === undefined) out += ch
    else if (problem === 'control' || problem === 'separator' || problem === 'forbidden') out += replacement
    // bidi controls, invisible characters and noncharacters are dropped
  }
  return out
}

function firstCodePoint(text: string): string {
  return String.fromCodePoint(text.codePointAt(0) ?? 0x20)
}

function lastCodePoint(text: string): string {
  const chars = [...text]
  return chars[chars.length - 1] ?? ' '
}

function trimEdges(name: string, allowLeadingDot: boolean): string {
  const chars = [...name]
  let start = 0
  while (
    start < chars.length &&
    isLeadingUnsafe(firstCodePoint(chars[start]!.normalize('NFKC')), allowLeadingDot)
  ) {
    start++
  }
  let end = chars.length
  while (end > start && isTrailingUnsafe(lastCodePoint(chars[end - 1]!.normalize('NFKC')))) end--
  return chars.slice(start, end).join('')
}

interface SanitizeSettings {
  readonly maxBytes: number
  readonly allowLeadingDot: boolean
  readonly replacement: string
  readonly fallback: string
}

function settingsOf(options: SanitizeFilenameOptions): SanitizeSettings {
  const { maxBytes, allowLeadingDot } = limitsOf(options)
  const replacement = options.replacement ?? '_'
  const fallback = options.fallback ?? 'file'
  const safeReplacement =
    firstCharProblem(replacement) === undefined &&
    !/[%.]/.test(replacement) &&
    !LONE_SURROGATE.test(replacement) &&
    replacement.normalize('NFC') === replacement &&
    utf8Length(replacement) <= 16
  if (!safeReplacement)
    throw new TypeError(`replacement ${JSON.stringify(replacement)} is not safe in a file name`)
  if (!check(fallback, maxBytes, allowLeadingDot).ok) {
    throw new TypeError(`fallback ${JSON.stringify(fallback)} does not pass checkFilename`)
  }
  return { maxBytes, allowLeadingDot, replacement, fallback }
}

function repairOnce(input: string, s: SanitizeSettings): string {
  let name = repairChars(input, s.replacement).normalize('NFC')
  if (percentProblem(name)) name = name.replaceAll('%', s.replacement || '_')
  name = trimEdges(name, s.allowLeadingDot)
  if (name === '' || DOTS_ONLY.test(name.normalize('NFKC'))) return s.fallback
  if (isReserved(name.normalize('NFKC'))) name = `_${name}`
  return truncate(name, s.maxBytes)
}

/**
 * Turns anything into a safe file name: NFC; unsafe characters replaced (controls, separators and
 * look-alikes, Windows-forbidden characters) or dropped (bidi controls, invisible characters);
 * percent-encoded separators defused; leading dots, hyphens and spaces and trailing dots and spaces
 * removed; Windows device names prefixed with `_`; cut to `maxBytes` on a grapheme boundary keeping
 * the extension. The checks re-run after every repair, so the result always passes `checkFilename`
 * with the same options, is never empty, and sanitising it again returns it unchanged.
 * Throws a TypeError only for invalid options.
 */
export function sanitizeFilename(input: unknown, options: SanitizeFilenameOptions = {}): string {
  const s = settingsOf(options)
  let name =
    typeof input === 'string'
      ? input.replace(new RegExp(LONE_SURROGATE, 'gu'), '\ufffd').normalize('NFC')
      : ''
  for (let round = 0; round < 5; round++) {
    if (check(name, s.maxBytes, s.allowLeadingDot).ok) return name
    name = repairOnce(name, s)
  }
  return check(name, s.maxBytes, s.allowLeadingDot).ok ? name : s.fallback
}
