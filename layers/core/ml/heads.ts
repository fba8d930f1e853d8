import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Classification } from "../domain/classification.js";
import { CATEGORIES, type Category } from "../domain/schemas.js";
import { dot, sigmoid, softmax } from "../domain/vectors.js";
import { EMBEDDING_DIM } from "./dimensions.js";

const vector = z.array(z.number()).length(EMBEDDING_DIM);
const HeadsFile = z.object({
  encoder: z.literal("all-MiniLM-L6-v2"),
  dim: z.literal(EMBEDDING_DIM),
  category: z.object({
    labels: z.tuple([z.literal("Billing"), z.literal("Technical"), z.literal("Legal")]),
    weights: z.array(vector).length(3),
    bias: z.array(z.number()).length(3),
  }),
  urgency: z.object({ weights: vector, bias: z.number() }),
});
export type HeadsFile = z.infer<typeof HeadsFile>;

/** The two learned heads over one embedding: category softmax and urgency sigmoid (tools/model/train_heads.py). */
export class Heads {
  constructor(private readonly h: HeadsFile) {}

  static async load(path: string): Promise<Heads> {
    return new Heads(HeadsFile.parse(JSON.parse(await readFile(path, "utf8"))));
  }

  apply(embedding: Float32Array): Omit<Classification, "model"> {
    const probs = softmax(this.h.category.weights.map((w, i) => dot(w, embedding) + this.h.category.bias[i]!));
    const probabilities = Object.fromEntries(CATEGORIES.map((c, i) => [c, probs[i]!])) as Record<Category, number>;
    const best = probs.indexOf(Math.max(...probs));
    return {
      category: CATEGORIES[best]!,
      probabilities,
      urgency_score: sigmoid(dot(this.h.urgency.weights, embedding) + this.h.urgency.bias),
    };
  }
}
