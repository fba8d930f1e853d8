// The guard between a retrained candidate and the heads in use: it is promoted only if it keeps the shipped
// held-out figures (within PROMOTION_MARGINS) AND predicts this deployment's own held-out corrections
// significantly better than the current heads. Pure: no I/O.
import { createHash } from "node:crypto";
import { isUrgent } from "../../domain/classification.js";
import { CATEGORIES } from "../../domain/schemas.js";
import type { Heads } from "../heads.js";
import type { LabelledExample } from "./retrain.js";

/**
 * How much worse than the current heads a candidate may be on the shipped held-out set (absolute). 0.02 is
 * about 8 of its 418 tickets: a customer's own labels may legitimately move a few shipped tickets across 0.5
 * (theirs is a different notion of urgent), but not the model's general competence.
 */
export const PROMOTION_MARGINS = { categoryAccuracy: 0.02, urgencyAccuracy: 0.02, urgencyAuc: 0.02 } as const;
export type Margins = { [K in keyof typeof PROMOTION_MARGINS]: number };

/**
 * One-sided sign test level for "better on the held-out corrections". On random labels a candidate made less
 * confident by them has a lower log loss than the confident current heads while fixing as many as it breaks:
 * of five batches of 40 random corrections, three had the lower log loss and the same accuracy, so "lower log
 * loss and not lower accuracy" alone would have let them through. The candidate must fix significantly more
 * held-out corrected fields than it breaks; at 0.05 that takes at least 5 fixed and none broken.
 */
export const CORRECTIONS_SIGNIFICANCE = 0.05;

/** A ticket id's bucket among n, from sha1 of salt and id: a split that is the same on every run and machine. */
export const idBucket = (salt: string, id: string, n: number) => createHash("sha1").update(`${salt}:${id}`).digest().readUInt32BE(0) % n;

/** One correction in HELDOUT_ONE_IN (by a hash of its ticket id) is kept from training, for the guard. */
export const HELDOUT_ONE_IN = 4;

/**
 * Whether a correction is held out for the guard: sha1 of its ticket id, so the side never depends on which
 * or how many other corrections exist — a correction trained on yesterday is never judged on today. Tiny
 * counts get no special rule (that would move corrections across as the count grows): with few corrections,
 * few or none are held out, and the guard refuses until enough are (CORRECTIONS_SIGNIFICANCE).
 */
export const isHeldOutCorrection = (id: string) => idBucket("correction", id, HELDOUT_ONE_IN) === 0;

/** The corrections' ids (order kept) the retrainer may train on, and those held out for the guard. */
export function splitCorrections(ids: readonly string[]): { train: string[]; heldout: string[] } {
  return { train: ids.filter((id) => !isHeldOutCorrection(id)), heldout: ids.filter(isHeldOutCorrection) };
}

export interface Metrics {
  category: { n: number; accuracy: number; macroF1: number; logLoss: number };
  /** accuracy at S ≥ 0.5 (the router's is_urgent). */
  urgency: { n: number; accuracy: number; auc: number; brier: number; logLoss: number };
}

const EPS = 1e-15; // sklearn's log-loss clip
const logLoss = (p: number) => -Math.log(Math.min(1 - EPS, Math.max(EPS, p)));

/** ROC-AUC by average ranks (ties count half); NaN without both classes. */
export function rocAuc(scores: number[], labels: boolean[]): number {
  const order = scores.map((_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  let pos = 0;
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (labels[order[k]!]) (rankSum += rank), pos++;
    i = j + 1;
  }
  const neg = scores.length - pos;
  return pos && neg ? (rankSum - (pos * (pos + 1)) / 2) / (pos * neg) : Number.NaN;
}

/** Category metrics over the examples that have a category, urgency over those that have `urgent`. */
export function evaluate(heads: Heads, examples: readonly LabelledExample[]): Metrics {
  const cat = { n: 0, correct: 0, loss: 0, tp: [0, 0, 0], fp: [0, 0, 0], fn: [0, 0, 0] };
  const urg = { scores: [] as number[], labels: [] as boolean[], correct: 0, brier: 0, loss: 0 };
  for (const e of examples) {
    const r = heads.apply(e.embedding, e.text);
    if (e.category !== undefined) {
      const truth = CATEGORIES.indexOf(e.category);
      const predicted = CATEGORIES.indexOf(r.category);
      cat.n++;
      cat.loss += logLoss(r.probabilities[e.category]);
      if (truth === predicted) (cat.correct++, cat.tp[truth]!++);
      else (cat.fp[predicted]!++, cat.fn[truth]!++);
    }
    if (e.urgent !== undefined) {
      const s = r.urgency_score;
      urg.scores.push(s);
      urg.labels.push(e.urgent);
      if (isUrgent(s) === e.urgent) urg.correct++;
      urg.brier += (s - (e.urgent ? 1 : 0)) ** 2;
      urg.loss += logLoss(e.urgent ? s : 1 - s);
    }
  }
  // Macro-F1 over the classes that occur (in truth or prediction): an absent class is not a failure.
  const f1s = CATEGORIES.map((_, k) => [cat.tp[k]!, cat.fp[k]!, cat.fn[k]!] as const)
    .filter(([tp, fp, fn]) => tp + fp + fn > 0)
    .map(([tp, fp, fn]) => (2 * tp) / (2 * tp + fp + fn));
  const n = urg.scores.length;
  return {
    category: { n: cat.n, accuracy: cat.correct / cat.n, macroF1: f1s.reduce((a, b) => a + b, 0) / f1s.length, logLoss: cat.loss / cat.n },
    urgency: { n, accuracy: urg.correct / n, auc: rocAuc(urg.scores, urg.labels), brier: urg.brier / n, logLoss: urg.loss / n },
  };
}

/** P(X ≥ k) for X ~ Binomial(n, ½): the chance of fixing at least k of n changed fields by luck. */
export function signTestP(k: number, n: number): number {
  let logTerm = -n * Math.LN2; // log P(X = 0)
  let p = k <= 0 ? Math.exp(logTerm) : 0;
  for (let i = 1; i <= n; i++) {
    logTerm += Math.log((n - i + 1) / i);
    if (i >= k) p += Math.exp(logTerm);
  }
  return Math.min(1, p);
}

/** Each corrected field of each example: right or wrong, and its log loss, under one set of heads. */
function fieldScores(heads: Heads, examples: readonly LabelledExample[]) {
  const out: { correct: boolean; loss: number }[] = [];
  for (const e of examples) {
    const r = heads.apply(e.embedding, e.text);
    if (e.category !== undefined) out.push({ correct: r.category === e.category, loss: logLoss(r.probabilities[e.category]) });
    if (e.urgent !== undefined) out.push({ correct: isUrgent(r.urgency_score) === e.urgent, loss: logLoss(e.urgent ? r.urgency_score : 1 - r.urgency_score) });
  }
  return out;
}

export interface CorrectionsVerdict {
  fields: number;
  current: { logLoss: number; accuracy: number };
  candidate: { logLoss: number; accuracy: number };
  /** Fields the candidate gets right that the current heads get wrong, and the other way round. */
  fixed: number;
  broken: number;
  pValue: number;
}

export interface PromotionDecision {
  promote: boolean;
  /** Why not: one line per failed check (empty when promoted). */
  reasons: string[];
  current: Metrics;
  candidate: Metrics;
  corrections: CorrectionsVerdict;
}

export function decidePromotion({
  current,
  candidate,
  heldout,
  heldoutCorrections,
  margins = PROMOTION_MARGINS,
  significance = CORRECTIONS_SIGNIFICANCE,
}: {
  current: Heads;
  candidate: Heads;
  /** The shipped held-out tickets (TrainingSet.heldout). */
  heldout: readonly LabelledExample[];
  /** This deployment's held-out corrections (splitCorrections(…).heldout): never trained on. */
  heldoutCorrections: readonly LabelledExample[];
  margins?: Margins;
  significance?: number;
}): PromotionDecision {
  const reasons: string[] = [];
  const before = evaluate(current, heldout);
  const after = evaluate(candidate, heldout);
  const shipped: [keyof Margins, string, number, number][] = [
    ["categoryAccuracy", "category accuracy", before.category.accuracy, after.category.accuracy],
    ["urgencyAccuracy", "urgency accuracy", before.urgency.accuracy, after.urgency.accuracy],
    ["urgencyAuc", "urgency ROC-AUC", before.urgency.auc, after.urgency.auc],
  ];
  for (const [key, name, was, now] of shipped) {
    // `!(≥)` also refuses a NaN (a held-out set without both urgency classes cannot vouch for anything).
    if (!(now >= was - margins[key])) reasons.push(`shipped held-out ${name} ${now.toFixed(3)} is below the current ${was.toFixed(3)} by more than ${margins[key]}`);
  }

  const was = fieldScores(current, heldoutCorrections);
  const now = fieldScores(candidate, heldoutCorrections);
  const mean = (xs: { loss: number }[]) => xs.reduce((a, x) => a + x.loss, 0) / xs.length;
  const share = (xs: { correct: boolean }[]) => xs.filter((x) => x.correct).length / xs.length;
  const fixed = now.filter((x, i) => x.correct && !was[i]!.correct).length;
  const broken = now.filter((x, i) => !x.correct && was[i]!.correct).length;
  const corrections: CorrectionsVerdict = {
    fields: was.length,
    current: { logLoss: mean(was), accuracy: share(was) },
    candidate: { logLoss: mean(now), accuracy: share(now) },
    fixed,
    broken,
    pValue: signTestP(fixed, fixed + broken),
  };
  const needed = Math.ceil(Math.log2(1 / significance));
  if (was.length < needed) {
    reasons.push(`${was.length} held-out corrected field(s): telling a pattern from chance takes at least ${needed} (1 correction in ${HELDOUT_ONE_IN} is held out)`);
  } else {
    if (!(corrections.candidate.logLoss < corrections.current.logLoss)) {
      reasons.push(`held-out corrections: log loss ${corrections.candidate.logLoss.toFixed(3)} is not below the current ${corrections.current.logLoss.toFixed(3)}`);
    }
    if (!(corrections.pValue <= significance)) {
      reasons.push(`held-out corrections: the candidate fixes ${fixed} and breaks ${broken} of ${was.length} fields (sign test p = ${corrections.pValue.toFixed(3)} > ${significance})`);
    }
  }
  return { promote: reasons.length === 0, reasons, current: before, candidate: after, corrections };
}
