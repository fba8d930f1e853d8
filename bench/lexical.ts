import { readFileSync } from "node:fs";
import { LEXICAL_DIM, lexicalSignature } from "../layers/core/domain/lexical.js";
import { loadConfig } from "../layers/core/config.js";

// The lexical dedup signature (used while the breaker is open), measured on the 964 labelled tickets (all
// distinct), long texts made by joining two of them, and templated floods, beside the former signature.
// A false incident: a ticket of the distinct set with more than DEDUP_MIN_COUNT neighbours above the threshold.

const DATA = new URL("../tools/model/data/raw/", import.meta.url);

/** The signature before issue 13: hashed character trigrams, all-positive buckets. */
function trigramSignature(text: string): Float32Array {
  const v = new Float32Array(512);
  const t = ` ${text.toLowerCase().normalize("NFKC").replace(/\s+/g, " ").trim()} `;
  for (let i = 0; i + 3 <= t.length; i++) {
    let h = 0x811c9dc5;
    for (const c of t.slice(i, i + 3)) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193);
    v[(h >>> 0) % 512]! += 1;
  }
  const n = Math.hypot(...v) || 1;
  return v.map((x) => x / n);
}

let seed = 13;
function rand(): number {
  seed = (seed + 0x6d2b79f5) | 0; // mulberry32
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function labelled(): string[] {
  return ["part-a.jsonl", "part-b.jsonl"].flatMap((f) =>
    readFileSync(new URL(f, DATA), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { subject: string; body: string })
      .map((r) => `${r.subject} ${r.body}`),
  );
}

/** Three rounds of random disjoint pairings of the labelled set, kept when 400–1000 characters long. */
function joinedPairs(texts: string[]): { text: string; parts: [number, number] }[] {
  const out: { text: string; parts: [number, number] }[] = [];
  for (let round = 0; round < 3; round++) {
    const perm = texts.map((_, i) => i);
    for (let i = perm.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [perm[i], perm[j]] = [perm[j]!, perm[i]!];
    }
    for (let i = 0; i + 1 < perm.length; i += 2) {
      const text = `${texts[perm[i]!]} ${texts[perm[i + 1]!]}`;
      if (text.length >= 400 && text.length <= 1000) out.push({ text, parts: [perm[i]!, perm[i + 1]!] });
    }
  }
  return out;
}

const FIRST = ["Maria", "John", "Aisha", "Wei", "Olga", "Pedro", "Fatima", "Liam", "Chen", "Sofia", "Kwame", "Yuki"];
const LAST = ["Lopez", "Smith", "Khan", "Zhang", "Ivanova", "Silva", "Haddad", "O'Brien", "Nakamura", "Rossi", "Mensah", "Müller"];
const GREETINGS = ["", "Hi team, ", "Hello, ", "Hey support, ", "Good morning, ", "Dear Support, "];
const EXTRAS = ["", " Please help.", " This is urgent!", " It worked yesterday.", " Any update?", " Still happening.", ""];
const SIGN_OFFS = ["", " Thanks", " Thanks, {f}", " Regards, {f} {l}", " Cheers!", " Thank you, {f}", " Best, {f} {l} ({e})"];
export const FLOOD_TEMPLATES = [
  "Checkout returns 503 for order #{n}, customer {f} {l}",
  "Payment failed for order {n} — card declined twice, amount ${a}",
  "Cannot log in: SSO redirect loop since {h}:00 for user {e}",
  "Refund not received for invoice INV-{n} (${a}), customer {f} {l}",
  "Urgent: API returns 500 on /v1/orders/{n}, request id {id}",
];

/** Ticket i of a templated flood: its ids, names, amounts, greeting, plea and signature vary. */
export function floodTicket(template: string, i: number): string {
  const f = FIRST[i % FIRST.length]!;
  const l = LAST[(i * 7) % LAST.length]!;
  const text = GREETINGS[i % GREETINGS.length]! + template + "." + EXTRAS[(i * 5) % EXTRAS.length]! + SIGN_OFFS[(i * 3) % SIGN_OFFS.length]!;
  return text
    .replace(/\{f\}/g, f)
    .replace(/\{l\}/g, l)
    .replace(/\{n\}/g, String(100000 + ((i * 7919) % 899999)))
    .replace(/\{a\}/g, (10 + ((i * 37) % 990)).toFixed(2))
    .replace(/\{h\}/g, String(i % 24))
    .replace(/\{e\}/g, `${f.toLowerCase()}.${l.toLowerCase().replace("'", "")}@example${i % 5}.com`)
    .replace(/\{id\}/g, `req_${((i * 2654435761) >>> 0).toString(36)}`);
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};
const quantile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
const f2 = (x: number) => x.toFixed(2);

interface Row {
  signature: string;
  threshold: number;
  labelledPairs: number;
  strangerPairs: number;
  falseIncidents: number;
  maxNeighbours: number;
  floodPairs: number;
  floodMinNeighbours: number;
  swallowed: number;
}

export async function benchLexical(): Promise<Record<string, number>> {
  const minCount = loadConfig({}).DEDUP_MIN_COUNT;
  const current = loadConfig({}).DEDUP_LEXICAL_THRESHOLD;
  const texts = labelled();
  const joined = joinedPairs(texts);
  const distinct = [...texts, ...joined.map((j) => j.text)];
  const parts = (i: number): number[] => (i < texts.length ? [i] : joined[i - texts.length]!.parts);
  const floods = FLOOD_TEMPLATES.map((t) => Array.from({ length: 50 }, (_, i) => floodTicket(t, i)));
  const joinedLen = joined.map((j) => j.text.length).sort((a, b) => a - b);

  console.log(`\n## Lexical dedup signature (breaker open): ${texts.length} labelled tickets, ${joined.length} joined pairs ` +
    `(${joinedLen[0]}–${joinedLen.at(-1)} chars, median ${quantile(joinedLen, 0.5)}), ${floods.length} templated floods of 50`);
  console.log("stranger pair = two texts of the distinct set sharing no labelled ticket; false incident = a distinct text with " +
    `> ${minCount} neighbours above the threshold (all ${distinct.length} in one window)`);

  const rows: Row[] = [];
  const candidates: [string, (t: string) => Float32Array, number[]][] = [
    ["old: char trigrams", trigramSignature, [0.8, 0.9]],
    [`new: signed words (${LEXICAL_DIM})`, lexicalSignature, [0.5, 0.55, 0.6, 0.65, 0.7, 0.8]],
  ];
  for (const [name, sig, thresholds] of candidates) {
    const V = distinct.map(sig);
    const n = V.length;
    const sims = new Float32Array(n * n);
    for (let i = 0; i < n; i++) for (let k = i + 1; k < n; k++) sims[i * n + k] = sims[k * n + i] = dot(V[i]!, V[k]!);
    const related = (i: number, k: number) => parts(i).some((p) => parts(k).includes(p));
    const maxOf = (range: number[]) =>
      range.map((i) => {
        let m = -1;
        for (let k = 0; k < n; k++) if (k !== i && !related(i, k)) m = Math.max(m, sims[i * n + k]!);
        return m;
      }).sort((a, b) => a - b);
    const maxL = maxOf(texts.map((_, i) => i));
    const maxJ = maxOf(joined.map((_, j) => texts.length + j));
    const F = floods.map((fl) => fl.map(sig));
    const floodSims = F.map((fv) => fv.flatMap((a, i) => fv.slice(i + 1).map((b) => dot(a, b))));
    const minFlood = Math.min(...floodSims.flat());
    console.log(`\n${name}: max similarity to a stranger — labelled p50 ${f2(quantile(maxL, 0.5))} p99 ${f2(quantile(maxL, 0.99))} max ${f2(maxL.at(-1)!)}; ` +
      `joined p50 ${f2(quantile(maxJ, 0.5))} p99 ${f2(quantile(maxJ, 0.99))} max ${f2(maxJ.at(-1)!)}; lowest flood pair ${f2(minFlood)}`);
    for (const th of thresholds) {
      let labelledPairs = 0, strangerPairs = 0, falseIncidents = 0, maxNeighbours = 0;
      for (let i = 0; i < n; i++) {
        let c = 0;
        for (let k = 0; k < n; k++) {
          if (k === i || !(sims[i * n + k]! > th)) continue;
          c++;
          if (k > i && !related(i, k)) {
            strangerPairs++;
            if (k < texts.length) labelledPairs++;
          }
        }
        if (c > minCount) falseIncidents++;
        maxNeighbours = Math.max(maxNeighbours, c);
      }
      const all = floodSims.flat();
      const floodPairs = all.filter((s) => s > th).length / all.length;
      let floodMinNeighbours = Infinity;
      for (const fv of F) for (const a of fv) floodMinNeighbours = Math.min(floodMinNeighbours, fv.filter((b) => b !== a && dot(a, b) > th).length);
      // Distinct texts a flood would pull into its incident.
      const swallowed = V.filter((v) => F.some((fv) => fv.some((a) => dot(a, v) > th))).length;
      rows.push({ signature: name, threshold: th, labelledPairs, strangerPairs, falseIncidents, maxNeighbours, floodPairs, floodMinNeighbours, swallowed });
    }
  }

  console.log("\n| signature | threshold | labelled pairs > th | stranger pairs > th | false incidents | most neighbours | flood pairs > th | fewest flood neighbours (of 49) | distinct texts a flood swallows |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const r of rows)
    console.log(`| ${r.signature} | ${r.threshold} | ${r.labelledPairs} | ${r.strangerPairs} | ${r.falseIncidents} | ${r.maxNeighbours} | ${(100 * r.floodPairs).toFixed(1)}% | ${r.floodMinNeighbours} | ${r.swallowed} |`);
  console.log(`configured DEDUP_LEXICAL_THRESHOLD: ${current}; a flood groups when every flood ticket has > ${minCount} neighbours`);
  const chosen = rows.find((r) => r.signature.startsWith("new") && r.threshold === current);
  const old = rows.find((r) => r.signature.startsWith("old") && r.threshold === 0.8)!;
  return {
    lexical_old_false_incidents: old.falseIncidents,
    lexical_old_stranger_pairs: old.strangerPairs,
    lexical_old_flood_pairs: old.floodPairs,
    lexical_false_incidents: chosen?.falseIncidents ?? NaN,
    lexical_stranger_pairs: chosen?.strangerPairs ?? NaN,
    lexical_flood_pairs: chosen?.floodPairs ?? NaN,
    lexical_flood_min_neighbours: chosen?.floodMinNeighbours ?? NaN,
  };
}
