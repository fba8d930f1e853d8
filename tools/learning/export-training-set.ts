// `npx tsx tools/learning/export-training-set.ts` → layers/models/training-set.json: what the shipped heads were
// trained on, as the router sees it, so a deployment can retrain them in TypeScript (layers/core/ml/learning/).
// Every labelled ticket (tools/model/data/raw/*.jsonl) with its split (split.json), English flag (train_heads.py's
// is_english: parts A, B, C, E), cleaned text (cleaned.json), labels and embedding from OUR fp32 ONNX encoder
// (layers/models/minilm/model.onnx) — the vectors the router computes, not sentence-transformers' — plus the C
// each head was fitted with (metrics.json). Deterministic: tickets in id order, batches fixed by token count
// then id (a re-run writes the same bytes).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { EMBEDDING_DIM } from "../../layers/core/ml/dimensions.js";
import { MiniLmEncoder } from "../../layers/core/ml/encoder.js";
import { encodeEmbedding, parseTrainingSet, TRAINING_SET_FILE, TRAINING_SET_FORMAT } from "../../layers/core/ml/learning/training-set.js";

const DATA = new URL("../model/data/", import.meta.url);
const MODELS = new URL("../../layers/models/", import.meta.url);
const read = (url: URL) => JSON.parse(readFileSync(url, "utf8")) as unknown;

interface Ticket {
  id: string;
  category: string;
  urgent: 0 | 1;
}
const tickets: Ticket[] = [];
for (const file of readdirSync(new URL("raw/", DATA)).filter((f) => f.endsWith(".jsonl")).sort()) {
  for (const line of readFileSync(new URL(`raw/${file}`, DATA), "utf8").split("\n")) if (line.trim()) tickets.push(JSON.parse(line) as Ticket);
}
tickets.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

const split = read(new URL("split.json", DATA)) as { train: string[]; test: string[] };
const side = new Map<string, "train" | "heldout">([...split.train.map((id) => [id, "train"] as const), ...split.test.map((id) => [id, "heldout"] as const)]);
const cleaned = read(new URL("cleaned.json", DATA)) as Record<string, string>;
const metrics = read(new URL("metrics.json", MODELS)) as { fit: Record<"english" | "other", { category_C: number; urgency_C: number }> };
if (side.size !== tickets.length) throw new Error(`split.json has ${side.size} ids, raw/ has ${tickets.length} tickets: re-run train_heads.py`);
const texts = tickets.map((t) => {
  const text = cleaned[t.id];
  if (!side.has(t.id) || text === undefined) throw new Error(`${t.id} missing from split.json or cleaned.json`);
  return text;
});

const encoder = await MiniLmEncoder.load(fileURLToPath(new URL("minilm/", MODELS)), 2);
const tokens = texts.map((t) => encoder.tokenize(t));
// Similar lengths batched together pad little; the order is fixed, so the embeddings are too.
const order = tickets.map((_, i) => i).sort((a, b) => tokens[a]!.length - tokens[b]!.length || a - b);
const embeddings: Float32Array[] = [];
for (let i = 0; i < order.length; i += 16) {
  const batch = order.slice(i, i + 16);
  (await encoder.embedTokens(batch.map((k) => tokens[k]!))).forEach((e, j) => (embeddings[batch[j]!] = e));
}

const examples = tickets.map((t, i) => ({
  id: t.id,
  split: side.get(t.id)!,
  english: ["A", "B", "C", "E"].includes(t.id.split("-")[0]!),
  text: texts[i]!,
  category: t.category,
  urgent: t.urgent === 1,
  embedding: encodeEmbedding(embeddings[i]!),
}));
const c = Object.fromEntries((["english", "other"] as const).map((f) => [f, { category: metrics.fit[f].category_C, urgency: metrics.fit[f].urgency_C }]));
const header = { format: TRAINING_SET_FORMAT, encoder: "all-MiniLM-L6-v2", dim: EMBEDDING_DIM, c };
// One ticket per line: a re-export's diff shows which tickets changed.
const json = `${JSON.stringify(header).slice(0, -1)},"examples":[\n${examples.map((e) => JSON.stringify(e)).join(",\n")}\n]}\n`;
const out = new URL(TRAINING_SET_FILE, MODELS);
parseTrainingSet(JSON.parse(json), fileURLToPath(out));
writeFileSync(out, json);
const held = examples.filter((e) => e.split === "heldout").length;
console.log(`${examples.length} tickets (${examples.length - held} train, ${held} held out) → ${fileURLToPath(out)}`);
