import type { Keys } from "./keys.js";
import { loadLua } from "./lua/load.js";
import type { RedisPort } from "./redis-port.js";

// Heads versions (README "Learning from corrections"): "v1" is the shipped heads.json, registered on first use;
// "v2", "v3", … are retrained candidates, each stored whether the guard promoted it or not. Per version a
// metadata hash (keys.headsVersion) and its weights, the heads JSON (keys.headsWeights), apart so that listing
// versions never moves ~200 KB of weights each; the versions zset scores each id by its number; keys.headsActive
// holds the id every process scores with. Ids from requests never become keys: scripts look them up in the zset.

const registerScript = loadLua("heads-register-shipped");
const addScript = loadLua("heads-add-version");
const activateScript = loadLua("heads-activate");

type Store = { redis: RedisPort; keys: Keys };

export const SHIPPED_VERSION = "v1";
export type HeadsSource = "shipped" | "retrained";

/** The shipped held-out set's figures under one version (guard.evaluate). AUC is null without both classes. */
export interface HeldoutFigures {
  category_accuracy: number;
  category_macro_f1: number;
  urgency_accuracy: number;
  urgency_auc: number | null;
}

/** The held-out corrections under the candidate and under the version it was compared with (guard.decidePromotion). */
export interface CorrectionsFigures {
  /** Corrected fields judged (a correction may fix category, urgency or both). */
  fields: number;
  accuracy: number;
  log_loss: number;
  current_accuracy: number;
  current_log_loss: number;
  /** Fields the candidate gets right that the compared version gets wrong, and the other way round. */
  fixed: number;
  broken: number;
  p_value: number;
}

export interface VersionMetrics {
  heldout: HeldoutFigures;
  corrections?: CorrectionsFigures;
}

/** C of each head the retrain chose (retrain.ts HeadsC), as stored. */
export type ChosenC = Record<string, Record<string, number>>;

export interface HeadsVersion {
  version: string;
  source: HeadsSource;
  created_at: string;
  promoted: boolean;
  /** Corrections trained on (held-out ones excluded). */
  corrections: number;
  c: ChosenC | null;
  /** The version the guard compared it with (null for v1). */
  based_on: string | null;
  metrics: VersionMetrics;
  /** Why the guard refused it (empty when promoted). */
  reasons: string[];
}

const parse = <T>(raw: string | undefined, fallback: T): T => {
  if (!raw) return fallback;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return fallback;
  }
};

/** A version's metadata hash as the API shows it: the one place its fields are decoded. */
function decodeVersion(id: string, h: Record<string, string>): HeadsVersion | undefined {
  if (!h.source) return undefined;
  return {
    version: id,
    source: h.source === "shipped" ? "shipped" : "retrained",
    created_at: h.created_at ?? "",
    promoted: h.promoted === "1",
    corrections: Number(h.corrections ?? 0),
    c: parse<ChosenC | null>(h.c, null),
    based_on: h.based_on ? h.based_on : null,
    metrics: parse<VersionMetrics>(h.metrics, { heldout: { category_accuracy: 0, category_macro_f1: 0, urgency_accuracy: 0, urgency_auc: null } }),
    reasons: parse<string[]>(h.reasons, []),
  };
}

/** The active version's id; null until v1 is registered (the shipped heads are in use until then). */
export const activeHeadsVersion = (s: Store): Promise<string | null> => s.redis.get(s.keys.headsActive);

/** A version's heads JSON, null when no such version is stored. */
export const headsWeights = (s: Store, version: string): Promise<string | null> => s.redis.get(s.keys.headsWeights(version));

/** Whether v1 is there already: one HGET, so a process need not load the training set to find out. */
export const shippedRegistered = async (s: Store): Promise<boolean> => (await s.redis.hget(s.keys.headsVersion(SHIPPED_VERSION), "source")) !== null;

/** Records the shipped heads as v1 (active unless another is); true if this call did, false if it was there. */
export async function registerShippedVersion(s: Store, v: { heads: string; metrics: VersionMetrics; now: Date }): Promise<boolean> {
  const reply = await s.redis.run<number>(registerScript, [s.keys.headsVersions, s.keys.headsActive], [
    s.keys.headsVersionPrefix,
    v.heads,
    JSON.stringify(v.metrics),
    v.now.toISOString(),
  ]);
  return reply === 1;
}

export interface NewVersion {
  /** The candidate's heads JSON. */
  heads: string;
  metrics: VersionMetrics;
  promote: boolean;
  reasons: string[];
  corrections: number;
  c: ChosenC;
  /** The active version the guard compared the candidate with: promotion holds only while it is still active. */
  basedOn: string;
  now: Date;
}

export interface AddedVersion {
  version: string;
  /** Promoted and activated (false when the guard refused, or another version became active meanwhile). */
  promoted: boolean;
  previous: string | null;
  reasons: string[];
}

/** Compact figures for the heads_retrained event (the full metrics stay on the version). */
const summary = (m: VersionMetrics) => ({
  heldout: m.heldout,
  ...(m.corrections ? { corrections: { fields: m.corrections.fields, fixed: m.corrections.fixed, broken: m.corrections.broken, p_value: m.corrections.p_value } } : {}),
});

/** Stores a retrained candidate as the next version; activates it in the same step if promoted. */
export async function addHeadsVersion(s: Store, v: NewVersion): Promise<AddedVersion> {
  const [version, promoted, previous, reasons] = await s.redis.run<[string, number, string, string]>(
    addScript,
    [s.keys.headsSeq, s.keys.headsVersions, s.keys.headsActive, s.keys.outbox],
    [
      s.keys.headsVersionPrefix,
      v.heads,
      JSON.stringify(v.metrics),
      "retrained",
      v.now.toISOString(),
      v.promote ? "1" : "0",
      JSON.stringify(v.reasons),
      String(v.corrections),
      JSON.stringify(v.c),
      v.basedOn,
      JSON.stringify(summary(v.metrics)),
    ],
  );
  return { version, promoted: Number(promoted) === 1, previous: previous || null, reasons: parse<string[]>(reasons, []) };
}

export type Activation = { status: "activated" | "unchanged"; previous: string | null } | { status: "missing"; previous: null };

/** Makes a stored version the active one; "missing" when no version has that id. */
export async function activateHeadsVersion(s: Store, version: string, now: Date): Promise<Activation> {
  const [status, previous] = await s.redis.run<[string, string]>(activateScript, [s.keys.headsVersions, s.keys.headsActive, s.keys.outbox], [
    version,
    now.toISOString(),
  ]);
  if (status === "missing") return { status, previous: null };
  return { status: status === "activated" ? "activated" : "unchanged", previous: previous || null };
}

/** Stored versions, newest first, without their weights. */
export async function listHeadsVersions(s: Store, limit: number): Promise<HeadsVersion[]> {
  const ids = await s.redis.zrevrange(s.keys.headsVersions, 0, limit - 1);
  const hashes = await s.redis.hgetallMany(ids.map((id) => s.keys.headsVersion(id)));
  return ids.flatMap((id, i) => decodeVersion(id, hashes[i]!) ?? []);
}
