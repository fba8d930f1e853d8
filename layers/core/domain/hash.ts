// 32-bit FNV-1a: fast and stable across processes and releases, which is all feature hashing and MinHash need.

export const FNV_OFFSET = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a over the string's UTF-16 code units (char-ngrams.ts hashes UTF-8 bytes instead: Python's twin does). */
export function fnv1a(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
