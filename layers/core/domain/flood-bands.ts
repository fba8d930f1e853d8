// Which flood a ticket might belong to, decided at intake without the model: MinHash bands over the word pairs
// (bigrams) of its cleaned text. Two tickets whose pairs overlap heavily (a flood: "Checkout returns 503 for
// order #4411, customer Ana Ruiz") share a band with high probability; tickets about different things almost
// never do. Intake counts, per band, how many tickets carried it in the last minute or two (one atomic
// script); past a threshold the ticket goes to the flood lane. Pure: no I/O.

import { fnv1a } from "./hash.js";

/**
 * 8 bands of 3 MinHash rows over word bigrams. Measured on the 2,124 distinct labelled tickets all counted in
 * one window (test/unit/flood-bands.test.ts): no band is shared by more than 5 of them. Single words with 2
 * rows put 1,121 of them past 10 (stop words win the minima); floods are flagged from their 12th–17th ticket.
 */
export const BANDS = 8;
export const ROWS = 3;

/** MurmurHash3's finaliser: spreads one 32-bit hash into an independent-looking one per seed. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The word pairs a flood repeats: lower-cased, digits folded to "0" (order numbers and times differ per
 * ticket); a one-word text is its own shingle.
 */
export function floodShingles(text: string): Set<string> {
  const words = text
    .normalize("NFKC")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean)
    .map((w) => w.replace(/\p{N}+/gu, "0"));
  if (words.length < 2) return new Set(words);
  return new Set(words.slice(1).map((w, i) => `${words[i]} ${w}`));
}

/** The ticket's BANDS band signatures ("<band>:<minhash>.<minhash>"); none for a text without words. */
export function floodBands(text: string): string[] {
  const words = [...floodShingles(text)].map(fnv1a);
  if (words.length === 0) return [];
  const bands: string[] = [];
  for (let b = 0; b < BANDS; b++) {
    const mins: string[] = [];
    for (let r = 0; r < ROWS; r++) {
      const seed = mix((b * ROWS + r + 1) * 0x9e3779b9);
      let min = 0xffffffff;
      for (const w of words) min = Math.min(min, mix(w ^ seed));
      mins.push(min.toString(36));
    }
    bands.push(`${b}:${mins.join(".")}`);
  }
  return bands;
}
