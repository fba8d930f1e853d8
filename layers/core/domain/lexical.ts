// The dedup signature used while the transformer is unavailable: hashed character trigrams of the
// normalised text, L2-normalised, so cosine still means "nearly the same words" and an identical flood
// scores 1.0. Cheap, deterministic, no model.

export const LEXICAL_DIM = 512;

const normalise = (text: string) => ` ${text.toLowerCase().normalize("NFKC").replace(/\s+/g, " ").trim()} `;

/** FNV-1a, 32-bit: a fast stable hash for the trigram buckets. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function lexicalSignature(text: string): Float32Array {
  const v = new Float32Array(LEXICAL_DIM);
  const t = normalise(text);
  for (let i = 0; i + 3 <= t.length; i++) v[fnv1a(t.slice(i, i + 3)) % LEXICAL_DIM]! += 1;
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < LEXICAL_DIM; i++) v[i]! /= norm;
  return v;
}
