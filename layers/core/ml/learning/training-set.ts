// The shipped heads' training data as the router sees it, in one file a deployment can retrain from without
// Python: layers/models/training-set.json, written by `npx tsx tools/learning/export-training-set.ts` — every
// labelled ticket's cleaned text, labels, split and embedding from our own ONNX encoder, and the C each head
// was fitted with (metrics.json).
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { Category } from "../../domain/schemas.js";
import { EMBEDDING_DIM } from "../dimensions.js";
import type { BaseExample, HeadsC } from "./retrain.js";

export const TRAINING_SET_FILE = "training-set.json";
export const TRAINING_SET_FORMAT = "smart-support-training-set/1";

/** An embedding as base64 of its Float32 values, little-endian whatever the machine. */
export function encodeEmbedding(e: Float32Array): string {
  const bytes = Buffer.alloc(e.length * 4);
  e.forEach((v, i) => bytes.writeFloatLE(v, i * 4));
  return bytes.toString("base64");
}

export function decodeEmbedding(b64: string): Float32Array {
  const bytes = Buffer.from(b64, "base64");
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
  return out;
}

const positive = z.number().positive();
const PairC = z.object({ category: positive, urgency: positive });
const Embedding = z
  .string()
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, "embedding must be base64")
  .refine((s) => Buffer.from(s, "base64").length === EMBEDDING_DIM * 4, `embedding must be ${EMBEDDING_DIM} float32 values`);
const TrainingSetFile = z
  .object({
    format: z.literal(TRAINING_SET_FORMAT),
    encoder: z.literal("all-MiniLM-L6-v2"),
    dim: z.literal(EMBEDDING_DIM),
    c: z.object({ english: PairC, other: PairC }),
    examples: z
      .array(
        z.object({
          id: z.string().min(1),
          split: z.enum(["train", "heldout"]),
          english: z.boolean(),
          text: z.string(),
          category: Category,
          urgent: z.boolean(),
          embedding: Embedding,
        }),
      )
      .min(1),
  })
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.examples.forEach((e, i) => {
      if (seen.has(e.id)) ctx.addIssue({ code: "custom", path: ["examples", i, "id"], message: `duplicate id ${e.id}` });
      seen.add(e.id);
    });
  });

export interface TrainingSet {
  /** C of each shipped head, chosen by Python's cross-validation on `train`: the retrainer's default. */
  c: HeadsC;
  /** What the shipped heads were fitted on: the retrainer's base. */
  train: BaseExample[];
  /** Never trained on: the guard's shipped held-out set. */
  heldout: BaseExample[];
}

/** Parses and validates a training-set file's JSON; errors name `source`. */
export function parseTrainingSet(value: unknown, source: string): TrainingSet {
  const parsed = TrainingSetFile.safeParse(value);
  if (!parsed.success) throw new Error(`${source} is not a valid training set: ${z.prettifyError(parsed.error)}`);
  const set: TrainingSet = { c: parsed.data.c, train: [], heldout: [] };
  for (const { split, embedding, ...e } of parsed.data.examples) set[split].push({ ...e, embedding: decodeEmbedding(embedding) });
  return set;
}

export async function loadTrainingSet(path: string): Promise<TrainingSet> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, "utf8"));
  } catch (e) {
    throw new Error(`cannot read training set ${path}: ${(e as Error).message}`);
  }
  return parseTrainingSet(value, path);
}
