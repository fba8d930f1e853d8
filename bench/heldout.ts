import { readFileSync } from "node:fs";
import { classifyBaseline, cleanedText, isUrgent, type Classification } from "../layers/core/domain/classification.js";
import type { Category } from "../layers/core/domain/schemas.js";
import { loadConfig } from "../layers/core/config.js";
import { loadModels, type EncoderPrecision } from "../layers/core/ml/models.js";
import { accuracy, rocAuc } from "./metrics.js";

interface Labelled {
  id: string;
  subject: string;
  body: string;
  category: Category;
  urgent: 0 | 1;
}

export interface Scores {
  category_accuracy: number;
  urgency_auc: number;
  urgency_accuracy: number;
}

function score(results: Classification[], truth: Labelled[]): Scores {
  return {
    category_accuracy: accuracy(results.map((r) => r.category), truth.map((t) => t.category)),
    urgency_auc: rocAuc(results.map((r) => r.urgency_score), truth.map((t) => t.urgent)),
    urgency_accuracy: accuracy(results.map((r) => (isUrgent(r.urgency_score) ? 1 : 0)), truth.map((t) => t.urgent)),
  };
}

/** Model heads vs the regex baseline on the held-out tickets (never used for training). */
export async function evaluateHeldout(precision: EncoderPrecision = "fp32"): Promise<{ n: number; transformer: Scores; baseline: Scores }> {
  const path = new URL("../tools/model/data/heldout.jsonl", import.meta.url);
  const tickets = readFileSync(path, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Labelled);
  // What the router reads: the cleaned text (the heads were trained on it too).
  const texts = tickets.map((t) => cleanedText(t).text);
  const { MODELS_DIR, ENCODER_THREADS } = loadConfig({});
  const { encoder, heads } = await loadModels(MODELS_DIR, ENCODER_THREADS, precision);
  const model: Classification[] = [];
  for (let i = 0; i < texts.length; i += 32) {
    const batch = texts.slice(i, i + 32);
    (await encoder.embed(batch)).forEach((e, j) => model.push({ ...heads.apply(e, batch[j]!), model: "transformer" }));
  }
  return { n: tickets.length, transformer: score(model, tickets), baseline: score(texts.map(classifyBaseline), tickets) };
}

export async function benchQuality(): Promise<Record<string, number>> {
  const { n, transformer, baseline } = await evaluateHeldout();
  // The int8 variant (ENCODER_PRECISION=int8) under the same heads, trained on fp32 embeddings.
  const int8 = (await evaluateHeldout("int8")).transformer;
  console.log(`\n## Quality on the held-out split (${n} tickets)`);
  console.log("metric            transformer  transformer (int8)  baseline");
  for (const k of Object.keys(transformer) as (keyof Scores)[]) {
    console.log(`${k.padEnd(17)} ${transformer[k].toFixed(3).padStart(11)}  ${int8[k].toFixed(3).padStart(18)}  ${baseline[k].toFixed(3).padStart(8)}`);
  }
  return { ...transformer, ...Object.fromEntries(Object.entries(int8).map(([k, v]) => [`int8_${k}`, v])) };
}
