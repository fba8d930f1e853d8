import { benchDedup } from "./dedup.js";
import { benchDegradation } from "./degradation.js";
import { benchFlood } from "./flood.js";
import { benchQuality } from "./heldout.js";
import { benchIntake } from "./intake.js";
import { benchLearning } from "./learning.js";
import { benchLexical } from "./lexical.js";
import { benchModels } from "./models.js";

// `npm run bench [name…]`: every benchmark prints its figures beside a baseline measured in the same run.
const benches: Record<string, () => Promise<Record<string, number>>> = { intake: benchIntake, models: benchModels, quality: benchQuality, dedup: benchDedup, degradation: benchDegradation, lexical: benchLexical, flood: benchFlood, learning: benchLearning };

const wanted = process.argv.slice(2);
const names = wanted.length ? wanted : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    console.error(`unknown benchmark '${name}'; known: ${Object.keys(benches).join(", ")}`);
    process.exit(2);
  }
  await bench();
}
