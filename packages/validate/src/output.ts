/**
 * Escaping for the output formats a task can ask for: CSV cells (formula injection) and XML text
 * (characters XML 1.0 forbids). JSON needs nothing beyond `JSON.stringify`.
 */

// Cells starting with these are run as formulas by Excel, LibreOffice or Google Sheets, also after
// leading spaces, and in their fullwidth forms.
const FORMULA_START = /^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/

/**
 * Makes one value safe as a CSV cell: a value that a spreadsheet would read as a formula (leading
 * `=`, `+`, `-`, `@`, tab, CR or LF, also after spaces and in fullwidth) gets a leading `'`; the
 * cell is then quoted per RFC 4180 when it holds a quote, the delimiter, CR or LF. Numbers and
 * booleans are written as they are, so `-5` stays a number; `null`/`undefined` give an empty cell.
 */
export function escapeCsvCell(value: unknown, delimiter = ','): string {
  if (value === null || value === undefined) return ''
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return String(value)
  let text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  if (FORMULA_START.test(text)) text = `'${text}`
  if (text.includes('"') || text.includes(delimiter) || text.includes('\n') || text.includes('\r')) {
    text = `"${text.replaceAll('"', '""')}"`
  }
  return text
}

/** Joins values into one CSV record with `escapeCsvCell` (no line terminator). */
export function toCsvRow(values: readonly unknown[], delimiter = ','): string {
  return values.map((value) => escapeCsvCell(value, delimiter)).join(delimiter)
}

// Everything outside XML 1.0's Char production: C0 controls but tab/LF/CR, lone surrogates,
// U+FFFE and U+FFFF. With the u flag a surrogate range matches only unpaired surrogates.
const XML_ILLEGAL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff\ufffe\uffff]/gu

/** Removes the characters XML 1.0 cannot carry (in any form, escaped or not). */
export function stripInvalidXmlChars(text: string): string {
  return text.replace(XML_ILLEGAL, '')
}

/** Escapes text for XML element content: illegal characters removed, `&`, `<`, `>` escaped. */
export function escapeXmlText(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value)
  return stripInvalidXmlChars(text).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/** Escapes text for a quoted XML attribute value: as `escapeXmlText`, plus quotes and whitespace controls. */
export function escapeXmlAttribute(value: unknown): string {
  return escapeXmlText(value)
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&apos;')
    .replaceAll('\t', '&#9;')
    .replaceAll('\n', '&#10;')
    .replaceAll('\r', '&#13;')
}
