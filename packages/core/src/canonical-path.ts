// PROVISIONAL (to be replaced by the full implementation)
import type { Routing } from './types.js'

export function canonicalMethod(method: string): string {
  const m = method.toUpperCase()
  return m === 'HEAD' ? 'GET' : m
}

export function canonicalPath(target: string, routing: Routing): string {
  let p = target.slice(0, 4096)
  const hash = p.indexOf('#')
  if (hash >= 0) p = p.slice(0, hash)
  const q = p.indexOf('?')
  if (q >= 0) p = p.slice(0, q)
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/.exec(p)
  if (abs) p = p.slice(abs[0].length) || '/'
  p = p.replace(/%([0-9a-fA-F]{2})/g, (m, h: string) => {
    const c = String.fromCharCode(Number.parseInt(h, 16))
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${h.toUpperCase()}`
  })
  p = p.replace(/\/{2,}/g, '/')
  const out: string[] = []
  for (const seg of p.split('/')) {
    if (seg === '.') continue
    if (seg === '..') {
      if (out.length > 1) out.pop()
      continue
    }
    out.push(seg)
  }
  p = out.join('/') || '/'
  if (!p.startsWith('/')) p = `/${p}`
  if (routing.ignoreTrailingSlash && p.length > 1 && p.endsWith('/')) p = p.slice(0, -1)
  if (!routing.caseSensitive) p = p.toLowerCase()
  return p
}
