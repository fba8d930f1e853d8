// The flash-flood rule of DESIGN §5, with no I/O: given what the search found for one ticket, what to do.

export type DedupSpace = "semantic" | "lexical";

export interface DedupFindings {
  /** Window tickets (not the ticket itself) with cosine above the threshold: n(t) is their count. */
  similar: string[];
  /** The most similar open incident of the same space above the threshold, if any. */
  bestIncident: { incident_id: string; similarity: number } | null;
}

export type DedupDecision =
  | { action: "link"; incident_id: string }
  | { action: "create"; members: string[] }
  | { action: "none" };

/**
 * Link to the most similar open incident; otherwise, when the window holds more than `minCount` tickets
 * similar to t counting t itself (n(t) + 1 > minCount), create one incident for t and its look-alikes.
 */
export function decideDedup(ticketId: string, f: DedupFindings, minCount: number): DedupDecision {
  if (f.bestIncident) return { action: "link", incident_id: f.bestIncident.incident_id };
  if (f.similar.length + 1 > minCount) return { action: "create", members: [ticketId, ...f.similar] };
  return { action: "none" };
}
