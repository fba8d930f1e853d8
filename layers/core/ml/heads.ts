import { readFile } from "node:fs/promises";
import { z } from "zod";
import { charNgramFeatures } from "../domain/char-ngrams.js";
import type { Classification } from "../domain/classification.js";
import { CATEGORIES, type Category } from "../domain/schemas.js";
import { sigmoid, softmax } from "../domain/vectors.js";
import { EMBEDDING_DIM } from "./dimensions.js";

/** Weights over the embedding, followed (ngram_scale > 0) by weights over ngram_scale × the n-gram vector. */
const linear = { ngram_scale: z.number().nonnegative() };
const HeadPair = z.object({
  category: z.object({
    ...linear,
    labels: z.tuple([z.literal("Billing"), z.literal("Technical"), z.literal("Legal")]),
    weights: z.array(z.array(z.number())).length(3),
    bias: z.array(z.number()).length(3),
  }),
  urgency: z.object({ ...linear, weights: z.array(z.number()), bias: z.number() }),
});
type HeadPair = z.infer<typeof HeadPair>;

const HeadsFile = z
  .object({
    encoder: z.literal("all-MiniLM-L6-v2"),
    dim: z.literal(EMBEDDING_DIM),
    char_ngrams: z.object({ dim: z.number().int().positive() }),
    /** P(English) = sigmoid(w·n-grams + b): how much the English pair counts against the every-language pair. */
    gate: z.object({ weights: z.array(z.number()), bias: z.number() }),
    english: HeadPair,
    other: HeadPair,
  })
  .superRefine((h, ctx) => {
    const check = (path: string, w: number[], width: number) => {
      if (w.length !== width) ctx.addIssue({ code: "custom", path: [path], message: `${path} has ${w.length} weights, its features have ${width}` });
    };
    const ngrams = h.char_ngrams.dim;
    check("gate.weights", h.gate.weights, ngrams);
    for (const family of ["english", "other"] as const) {
      const { category, urgency } = h[family];
      const width = (scale: number) => h.dim + (scale > 0 ? ngrams : 0);
      category.weights.forEach((w, i) => check(`${family}.category.weights[${i}]`, w, width(category.ngram_scale)));
      check(`${family}.urgency.weights`, urgency.weights, width(urgency.ngram_scale));
    }
  });
export type HeadsFile = z.infer<typeof HeadsFile>;

function dot(w: number[], x: ArrayLike<number>, offset = 0): number {
  let s = 0;
  for (let k = 0; k < x.length; k++) s += w[offset + k]! * x[k]!;
  return s;
}

/** One linear score over [embedding, scale × n-grams]. */
const score = (w: number[], embedding: Float32Array, ngrams: Float64Array, scale: number) =>
  dot(w, embedding) + (scale > 0 ? scale * dot(w, ngrams, embedding.length) : 0);

/**
 * The learned heads (tools/model/train_heads.py, MODEL_CARD.md): a gate reads the language from the cleaned
 * text's character n-grams; an English pair (category softmax, urgency sigmoid) and an every-language pair,
 * each over the embedding and, where trained so, the n-grams, are mixed by the gate's P(English).
 */
export class Heads {
  constructor(private readonly h: HeadsFile) {}

  static async load(path: string): Promise<Heads> {
    return Heads.fromJson(JSON.parse(await readFile(path, "utf8")));
  }

  /** Validates an already parsed heads file (a retrained version, one kept in a store). */
  static fromJson(value: unknown): Heads {
    return new Heads(HeadsFile.parse(value));
  }

  /** The weights as a heads file: what a retrain starts from and a store keeps. */
  get file(): HeadsFile {
    return this.h;
  }

  private pair(p: HeadPair, embedding: Float32Array, ngrams: Float64Array) {
    const { category: c, urgency: u } = p;
    return {
      probs: softmax(c.weights.map((w, i) => score(w, embedding, ngrams, c.ngram_scale) + c.bias[i]!)),
      urgency: sigmoid(score(u.weights, embedding, ngrams, u.ngram_scale) + u.bias),
    };
  }

  apply(embedding: Float32Array, text: string): Omit<Classification, "model"> {
    const ngrams = charNgramFeatures(text, this.h.char_ngrams.dim);
    const english = sigmoid(dot(this.h.gate.weights, ngrams) + this.h.gate.bias);
    const en = this.pair(this.h.english, embedding, ngrams);
    const other = this.pair(this.h.other, embedding, ngrams);
    const probs = en.probs.map((p, i) => english * p + (1 - english) * other.probs[i]!);
    const probabilities = Object.fromEntries(CATEGORIES.map((c, i) => [c, probs[i]!])) as Record<Category, number>;
    return {
      category: CATEGORIES[probs.indexOf(Math.max(...probs))]!,
      probabilities,
      urgency_score: english * en.urgency + (1 - english) * other.urgency,
    };
  }
}
