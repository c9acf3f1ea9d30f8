/**
 * `sanitizeHtml`: keeps a few formatting elements, without attributes, on a real parse tree
 * (sanitize-html on htmlparser2), then verifies that the output has the only shape it may have.
 */
import sanitize from 'sanitize-html'

/** Elements kept by default. */
export const DEFAULT_HTML_TAGS = Object.freeze(['b', 'i', 'u', 'em', 'strong', 'p', 'br'] as const)

/**
 * Every element the allowlist may name. All are plain formatting or grouping elements: no
 * raw-text or RCDATA element (`script`, `style`, `textarea`, `xmp`, `title` …), no foreign content
 * (`svg`, `math`), no form controls, links or embedded content, so the parser differentials behind
 * mutation XSS have nothing to work with. Attributes are never kept.
 */
export const PERMITTED_HTML_TAGS = Object.freeze([
  ...DEFAULT_HTML_TAGS,
  's',
  'sub',
  'sup',
  'small',
  'mark',
  'code',
  'pre',
  'kbd',
  'samp',
  'var',
  'q',
  'cite',
  'abbr',
  'del',
  'ins',
  'blockquote',
  'ul',
  'ol',
  'li',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
] as const)

/** An element name `sanitizeHtml` can be told to keep. */
export type HtmlTag = (typeof PERMITTED_HTML_TAGS)[number]

/** Options of `sanitizeHtml`. */
export interface SanitizeHtmlOptions {
  /** Elements to keep, from `PERMITTED_HTML_TAGS`. Default `DEFAULT_HTML_TAGS`. */
  readonly allowedTags?: readonly HtmlTag[]
}

/** Elements removed together with everything inside them. */
const DROPPED_WITH_CONTENT = [
  'script',
  'style',
  'textarea',
  'option',
  'select',
  'noscript',
  'xmp',
  'iframe',
  'noembed',
  'noframes',
  'plaintext',
  'title',
  'template',
  'svg',
  'math',
  'object',
  'applet',
  'head',
]
const VOID = new Set(['br', 'hr'])
const permitted: ReadonlySet<string> = new Set(PERMITTED_HTML_TAGS)

interface Compiled {
  readonly config: sanitize.IOptions
  /** Matches every tag the output may contain; nothing else in the output may be `<` or `>`. */
  readonly allowedMarkup: RegExp
}

const compiledCache = new Map<string, Compiled>()

function compile(tags: readonly string[]): Compiled {
  const key = [...tags].sort().join(',')
  const cached = compiledCache.get(key)
  if (cached) return cached
  for (const tag of tags) {
    if (!permitted.has(tag))
      throw new TypeError(`sanitizeHtml: ${JSON.stringify(tag)} is not a permitted tag`)
  }
  const paired = tags.filter((t) => !VOID.has(t))
  const voids = tags.filter((t) => VOID.has(t))
  const parts: string[] = []
  if (paired.length) parts.push(`</?(?:${paired.join('|')})>`)
  if (voids.length) parts.push(`<(?:${voids.join('|')}) />`)
  const compiled: Compiled = {
    config: {
      allowedTags: [...tags],
      allowedAttributes: {},
      allowedSchemes: [],
      allowedSchemesAppliedToAttributes: [],
      allowProtocolRelative: false,
      allowVulnerableTags: false,
      disallowedTagsMode: 'discard',
      nonTextTags: DROPPED_WITH_CONTENT,
      selfClosing: voids,
      parseStyleAttributes: false,
      enforceHtmlBoundary: false,
      parser: { decodeEntities: true, lowerCaseTags: true },
    },
    allowedMarkup: parts.length ? new RegExp(parts.join('|'), 'g') : /(?!)/g,
  }
  compiledCache.set(key, compiled)
  return compiled
}

/** Escapes text for HTML element content. */
function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')
}

/**
 * Sanitises untrusted HTML down to `b i u em strong p br` (or the configured allowlist) with no
 * attributes. Text is kept and escaped (`1 < 2` becomes `1 &lt; 2`); comments, disallowed elements
 * (their text kept) and raw-text/foreign elements (their content dropped) are removed. Sanitising
 * the output again returns it unchanged. Non-string input gives `''`. Never throws for bad input
 * (a TypeError only for a tag outside `PERMITTED_HTML_TAGS`).
 */
export function sanitizeHtml(input: unknown, options: SanitizeHtmlOptions = {}): string {
  const compiled = compile(options.allowedTags ?? DEFAULT_HTML_TAGS)
  if (typeof input !== 'string') return ''
  const text = input.replaceAll('\u0000', '')
  let output: string
  try {
    output = sanitize(text, compiled.config)
    // The library can emit markup that parses differently again (`<p><a href=<p><p>` gave `<p><p></p></p>`, which a
    // second pass splits into three paragraphs): sanitize until the output is a fixed point, so sanitizing sanitized
    // HTML changes nothing. Never seen to need more than two passes; past four, plain escaped text.
    for (let pass = 0; ; pass++) {
      const again = sanitize(output, compiled.config)
      if (again === output) break
      if (pass === 3) return escapeText(text)
      output = again
    }
  } catch {
    return escapeText(text)
  }
  // Defence in depth: the output may only contain allowed tags without attributes and escaped text.
  // If the library ever produced anything else, fall back to plain escaped text.
  const rest = output.replace(compiled.allowedMarkup, '')
  return rest.includes('<') || rest.includes('>') ? escapeText(text) : output
}
