import type { DenyEntry } from './deny-source.js'

/** How a deny list's text is read. */
export type DenyListFormat =
  | 'lines'
  | {
      /** CSV with a header row: the column holding the address or CIDR, by name (or 0-based index). */
      csv: string | number
      /** A column whose value becomes each entry's reason. */
      reason?: string | number
      /** Field separator. Default `,`. */
      delimiter?: string
    }

/** What a parse found. */
export interface ParsedList {
  entries: DenyEntry[]
  /** Lines (or rows) that held something but no address or CIDR. */
  rejected: number
}

const MAX_REASON = 200

/**
 * Plain lists: one address or CIDR per line; `#` and `;` start a comment (a whole-line comment is skipped, an
 * inline one becomes the entry's reason: Spamhaus DROP's `1.10.16.0/20 ; SBL256894`); only the first
 * whitespace-separated token of a line is read, so `203.0.113.0/24 extra fields` works too. A token that is no
 * address or CIDR is counted as rejected. Addresses are checked by the deny table; here a token only has to look
 * like one.
 */
export function parseLines(text: string, maxEntries: number): ParsedList {
  const entries: DenyEntry[] = []
  let rejected = 0
  let start = 0
  while (start < text.length && entries.length < maxEntries) {
    let end = text.indexOf('\n', start)
    if (end < 0) end = text.length
    const line = text.slice(start, end)
    start = end + 1
    let cut = line.length
    const hash = line.indexOf('#')
    const semi = line.indexOf(';')
    if (hash >= 0) cut = hash
    if (semi >= 0 && semi < cut) cut = semi
    const body = line.slice(0, cut).trim()
    if (body === '') continue
    const target = body.split(/[\s,]+/, 1)[0] as string
    if (!looksLikeTarget(target)) {
      rejected++
      continue
    }
    const entry: DenyEntry = { target }
    if (cut < line.length) {
      const reason = line.slice(cut + 1).trim()
      if (reason !== '') entry.reason = reason.slice(0, MAX_REASON)
    }
    entries.push(entry)
  }
  return { entries, rejected }
}

/** CSV with a header row (RFC 4180 quoting); the address column picked by name or index. */
export function parseCsv(
  text: string,
  format: Exclude<DenyListFormat, 'lines'>,
  maxEntries: number,
): ParsedList {
  const delimiter = format.delimiter ?? ','
  const rows = csvRows(text, delimiter)
  const header = rows.next()
  if (header.done) return { entries: [], rejected: 0 }
  const names = header.value.map((h) => h.trim().toLowerCase())
  const index = (c: string | number | undefined): number =>
    c === undefined ? -1 : typeof c === 'number' ? c : names.indexOf(c.trim().toLowerCase())
  const col = index(format.csv)
  const reasonCol = index(format.reason)
  if (col < 0) {
    throw new Error(`the CSV header has no column "${String(format.csv)}" (it has: ${names.join(', ')})`)
  }
  const entries: DenyEntry[] = []
  let rejected = 0
  for (const row of rows) {
    if (entries.length >= maxEntries) break
    if (row.length === 1 && row[0]?.trim() === '') continue
    const target = (row[col] ?? '').trim()
    if (target.startsWith('#')) continue
    if (!looksLikeTarget(target)) {
      rejected++
      continue
    }
    const entry: DenyEntry = { target }
    const reason = reasonCol >= 0 ? row[reasonCol]?.trim() : undefined
    if (reason) entry.reason = reason.slice(0, MAX_REASON)
    entries.push(entry)
  }
  return { entries, rejected }
}

/** Hex digits, dots, colons and one slash: worth handing to the parser. */
function looksLikeTarget(s: string): boolean {
  return s.length > 0 && s.length <= 64 && /^[0-9a-fA-F.:]+(\/\d{1,3})?$/.test(s) && /[.:]/.test(s)
}

/** Rows of a CSV text: quoted fields may hold the delimiter, quotes (doubled) and newlines. */
function* csvRows(text: string, delimiter: string): Generator<string[]> {
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === delimiter) {
      row.push(field)
      field = ''
    } else if (c === '\n') {
      row.push(field.endsWith('\r') ? field.slice(0, -1) : field)
      yield row
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) {
    row.push(field.endsWith('\r') ? field.slice(0, -1) : field)
    yield row
  }
}
