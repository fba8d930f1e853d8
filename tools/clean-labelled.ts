// The labelled tickets as the router sees them: each ticket's text after the cleaner (layers/core/domain/
// clean-text.ts), so the heads are trained on exactly what they will score.
// `npx tsx tools/clean-labelled.ts` → tools/model/data/cleaned.json ({id: cleaned text}), read by
// `tools/model/train_heads.py --texts data/cleaned.json`.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { cleanedText } from "../layers/core/domain/classification.js";

const dir = new URL("./model/data/raw/", import.meta.url);
const out: Record<string, string> = {};
for (const file of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
  for (const line of readFileSync(new URL(file, dir), "utf8").split("\n")) {
    if (!line.trim()) continue;
    const t = JSON.parse(line) as { id: string; subject: string; body: string };
    out[t.id] = cleanedText(t).text;
  }
}
writeFileSync(new URL("./model/data/cleaned.json", import.meta.url), `${JSON.stringify(out, null, 0)}\n`);
console.log(`${Object.keys(out).length} tickets cleaned → tools/model/data/cleaned.json`);
