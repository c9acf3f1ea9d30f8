/**
 * Slack and Discord webhook URLs carry their secret in the path, and generic webhook URLs often do too
 * (or in the query). A redacted URL keeps the scheme and host, enough to tell receivers apart.
 */
export function redactUrl(url: string | URL): string {
  try {
    const u = typeof url === 'string' ? new URL(url) : url
    const path = u.pathname === '/' && !u.search ? '' : '/***'
    return `${u.protocol}//${u.host}${path}`
  } catch {
    return '[invalid URL]'
  }
}

/** Replaces every occurrence of the URL (or its path, query, credentials) in a text. */
export function redactText(text: string, url: URL): string {
  let out = text
  const whole = [url.href, `${url.origin}${url.pathname}`]
  const parts = [`${url.pathname}${url.search}`, url.pathname, url.search, url.username, url.password]
  for (const piece of whole) out = out.split(piece).join(redactUrl(url))
  for (const piece of parts) if (piece.length > 1) out = out.split(piece).join('***')
  return out
}
