// The dedup signature used while the transformer is unavailable (DESIGN §5). Measured by `npm run bench lexical`.
//
// The text is cleaned of what varies inside a templated flood — greetings, sign-offs, emails, URLs, any token
// holding a digit or an underscore (order ids, amounts, invoice numbers, request ids, times), capitalised words
// inside a sentence (customer names, signatures), punctuation — and of common function words. What is left is
// hashed as word unigrams and bigrams with a sign bit (feature hashing), weighted 1 + ln(tf), L2-normalised.
//
// Why not the former character trigrams: all-positive buckets of a long text fill most of the 512 dims, so any
// two long texts scored ~0.7–0.9 and strangers merged. With signed hashing two unrelated texts score ≈ 0 ± 0.05
// whatever their length, and word features keep the remaining overlap to shared vocabulary.

import { fnv1a } from "./hash.js";

export const LEXICAL_DIM = 512;

const GREETING = /^\s*(?:hi|hello|hey|hiya|dear|greetings|good (?:morning|afternoon|evening))\b[^,.!?:\n]{0,30}[,.!?:\n]/i;
const SIGN_OFF =
  /(?:^|[\s.!?,])(?:thanks|thank you|thx|many thanks|regards|kind regards|best regards|best|cheers|sincerely)\b[^.!?]{0,60}[.!?]?\s*$/i;
// A capitalised word that does not open a sentence: a name (customer, signature, place or product). "O'Brien", "Jean-Luc".
const MID_SENTENCE_NAME = /(?<=[^\s.!?:;]\s+)\p{Lu}\p{Ll}*(?:['’-]\p{Lu}?\p{Ll}+)*(?![\p{L}\p{N}])/gu;

const STOP_WORDS = new Set(
  ("a an the and or but to of in on at for from by with as is are was were be been being it its this that these those " +
    "i we you they he she me us our your my their them do does did have has had so if can could would should will just " +
    "please hi hello hey dear thanks thank regards cheers team all any some there here what when how why who which " +
    "about into up out").split(" "),
);

/** The words the signature reads: what stays the same across tickets of one templated flood. */
export function lexicalWords(text: string): string[] {
  let t = text.normalize("NFKC").replace(/\S+@\S+/g, " ").replace(/\b(?:https?:\/\/|www\.)\S+/gi, " ");
  for (let pass = 0; pass < 2; pass++) t = t.replace(GREETING, " ").replace(SIGN_OFF, " ");
  t = t
    .replace(MID_SENTENCE_NAME, " ")
    .toLowerCase()
    .replace(/\S*[\p{N}_]\S*/gu, " ")
    .replace(/['’]/g, "")
    .replace(/[^\p{L}]+/gu, " ");
  return t.split(" ").filter((w) => w && !STOP_WORDS.has(w));
}

export function lexicalSignature(text: string): Float32Array {
  let words = lexicalWords(text);
  // Nothing left ("Hi, thanks!", "503"): the whole text is the one feature, so an identical flood still scores 1.
  if (words.length === 0) words = [text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim()];
  const tf = new Map<string, number>();
  const add = (feature: string) => tf.set(feature, (tf.get(feature) ?? 0) + 1);
  for (let i = 0; i < words.length; i++) {
    add(words[i]!);
    if (i > 0) add(`${words[i - 1]} ${words[i]}`);
  }
  const v = new Float32Array(LEXICAL_DIM);
  for (const [feature, n] of tf) {
    const h = fnv1a(feature);
    const w = 1 + Math.log(n);
    v[h % LEXICAL_DIM]! += h & 0x80000000 ? -w : w;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < LEXICAL_DIM; i++) v[i]! /= norm;
  return v;
}
