// Hashed character n-grams of a ticket's cleaned text: the language-robust features the heads read beside
// the embedding (MiniLM is English; "rechn", "factur", "fattur" carry other languages' topic words).
// Twin of tools/model/char_ngrams.py, which trained the weights: the two must give the same vector for the
// same text (layers/models/fixtures/char-ngrams.json, test/unit/char-ngrams.test.ts). The definition is in
// that file's docstring; change both or neither.

import { FNV_OFFSET, FNV_PRIME } from "./hash.js";

export const N_MIN = 3;
export const N_MAX = 5;
/** A cleaned ticket past this is a ramble; its first 4,000 characters say what it is about. */
export const MAX_CHARS = 4000;

/** NFKC, lower-case, non-letters/digits → one space, first MAX_CHARS code points, padded: as code points. */
export function normalisedCodePoints(text: string): number[] {
  const t = text.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  if (!t) return [];
  // Code points, not UTF-16 units: Python slices and n-grams strings by code point.
  const cps = Array.from(t.slice(0, 2 * MAX_CHARS), (c) => c.codePointAt(0)!).slice(0, MAX_CHARS);
  return [32, ...cps, 32];
}

const step = (h: number, byte: number) => Math.imul(h ^ byte, FNV_PRIME) >>> 0;

/** FNV-1a of one code point's UTF-8 bytes, continuing from hash h. */
function hashCodePoint(h: number, cp: number): number {
  if (cp < 0x80) return step(h, cp);
  if (cp < 0x800) return step(step(h, 0xc0 | (cp >> 6)), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) return step(step(step(h, 0xe0 | (cp >> 12)), 0x80 | ((cp >> 6) & 0x3f)), 0x80 | (cp & 0x3f));
  return step(step(step(step(h, 0xf0 | (cp >> 18)), 0x80 | ((cp >> 12) & 0x3f)), 0x80 | ((cp >> 6) & 0x3f)), 0x80 | (cp & 0x3f));
}

/** The L2-normalised, log-scaled, signed bucket counts of the text's 3–5-grams (zero vector for no letters). */
export function charNgramFeatures(text: string, dim: number): Float64Array {
  const cps = normalisedCodePoints(text);
  const v = new Float64Array(dim);
  // FNV-1a is sequential, so the hashes of the 3-, 4- and 5-gram starting at i extend one another.
  for (let i = 0; i < cps.length; i++) {
    let h = FNV_OFFSET;
    for (let n = 1; n <= N_MAX && i + n <= cps.length; n++) {
      h = hashCodePoint(h, cps[i + n - 1]!);
      if (n >= N_MIN) v[h % dim] = v[h % dim]! + (h & 0x80000000 ? -1 : 1);
    }
  }
  let norm = 0;
  for (let k = 0; k < dim; k++) {
    const x = v[k]!;
    v[k] = Math.sign(x) * Math.log1p(Math.abs(x));
    norm += v[k]! * v[k]!;
  }
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let k = 0; k < dim; k++) v[k] = v[k]! * inv;
  }
  return v;
}
