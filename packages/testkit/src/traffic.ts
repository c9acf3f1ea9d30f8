/** Traffic helpers: address generators and request loops for tests. */

/** The n-th IPv4 address counted from `base` (default 10.0.0.0), as a dotted quad. */
export function ipv4(n: number, base = 0x0a000000): string {
  const v = (base + n) >>> 0
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`
}

/** The n-th address inside one IPv6 /64 (interface identifier varies). */
export function ipv6InPrefix(n: number, prefix = '2001:db8:1:2'): string {
  return `${prefix}:${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}:${((n * 7919) & 0xffff).toString(16)}:1`
}

/** An address in the n-th /64 of 2001:db8::/32. */
export function ipv6Prefix(n: number): string {
  return `2001:db8:${((n >>> 16) & 0xffff).toString(16)}:${(n & 0xffff).toString(16)}::1`
}

/** Run `fn` `count` times, in order, collecting results. */
export async function repeat<T>(count: number, fn: (i: number) => T | Promise<T>): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < count; i++) out.push(await fn(i))
  return out
}
