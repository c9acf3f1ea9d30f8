/**
 * A 53-bit non-cryptographic fingerprint of a queried item (cyrb53), as base36 text of at most 11 characters. Items
 * are counted by fingerprint so a store keeps a fixed size per item whatever the client sends; two distinct items
 * share a fingerprint with probability about n² / 2⁵⁴ (for 500 items, 1 in 10¹¹), which can only undercount.
 */
export function fingerprint(text: string): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}
