// The flash-flood rule of DESIGN §5, with no I/O: given what the search found for one ticket, what to do.
import { dot } from "./vectors.js";

export type DedupSpace = "semantic" | "lexical";

/**
 * What dedup knows of a ticket: its lexical signature (of the cleaned text) always, its embedding when the
 * model scored it.
 */
export interface DedupSignature {
  embedding?: Float32Array;
  lexical?: Float32Array;
}

export type DedupThresholds = Record<DedupSpace, number>;

/**
 * Compares two tickets in the one space they share (DESIGN §5): semantically when both have embeddings,
 * else lexically. Null when they share none. The window search (services/dedup) applies the same rule.
 */
export function compareSignatures(a: DedupSignature, b: DedupSignature): { space: DedupSpace; similarity: number } | null {
  if (a.embedding && b.embedding) return { space: "semantic", similarity: dot(a.embedding, b.embedding) };
  if (a.lexical && b.lexical && a.lexical.length === b.lexical.length) return { space: "lexical", similarity: dot(a.lexical, b.lexical) };
  return null;
}

/** How far above its space's threshold a pair is (> 0: similar), or null when not comparable. */
export function similarityMargin(a: DedupSignature, b: DedupSignature, th: DedupThresholds): number | null {
  const c = compareSignatures(a, b);
  return c ? c.similarity - th[c.space] : null;
}

export interface DedupFindings {
  /**
   * Window tickets (not the ticket itself) above the threshold in the space each pair shares, each once:
   * n(t) is their count.
   */
  similar: string[];
  /** The open incident a window ticket is in, if any (as this worker knows it). */
  openIncidentOf(ticketId: string): string | undefined;
  /** The open incident whose representatives the ticket is most similar to (above the threshold), if any. */
  bestIncident: { incident_id: string; similarity: number } | null;
}

export type DedupDecision =
  | { action: "link"; incident_id: string; members: string[] }
  | { action: "create"; members: string[] }
  | { action: "none" };

/**
 * One flood, one incident:
 * - a ticket with look-alikes in an open incident joins it (the one holding most of them);
 * - else a ticket similar to an open incident's representatives joins the most similar one;
 * - else, when the window holds more than `minCount` tickets similar to t counting t itself
 *   (n(t) + 1 > minCount), one incident is created for t and its look-alikes.
 * A ticket that joins an incident while itself at the count brings its look-alikes not yet in an incident
 * with it (they belong to the same flood; the apply script leaves those already in one where they are).
 */
export function decideDedup(ticketId: string, f: DedupFindings, minCount: number): DedupDecision {
  const atCount = f.similar.length + 1 > minCount;
  const votes = new Map<string, number>();
  let voted: string | undefined;
  for (const id of f.similar) {
    const inc = f.openIncidentOf(id);
    if (!inc) continue;
    const n = (votes.get(inc) ?? 0) + 1;
    votes.set(inc, n);
    if (!voted || n > votes.get(voted)!) voted = inc;
  }
  const joining = voted ?? f.bestIncident?.incident_id;
  if (joining) {
    const members = atCount ? f.similar.filter((id) => !f.openIncidentOf(id)) : [];
    return { action: "link", incident_id: joining, members };
  }
  if (atCount) return { action: "create", members: [ticketId, ...f.similar] };
  return { action: "none" };
}
