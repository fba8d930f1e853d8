import type { DedupSignature, DedupSpace } from "../../domain/dedup.js";
import { packVector, unpackVector } from "./window-mirror.js";

/**
 * An incident's representatives: a few of its members' signatures (the root first), stored with the
 * incident (keys.incidentVectors) so a ticket can join an open incident whose members have left the window.
 * Packed as "embedding,lexical" per member (either part may be empty), members joined by ";". The former
 * format, one "space|vector", still reads.
 */
export const REPRESENTATIVES = 8;

export function packRepresentatives(reps: DedupSignature[]): string {
  return reps.map((r) => `${r.embedding ? packVector(r.embedding) : ""},${r.lexical ? packVector(r.lexical) : ""}`).join(";");
}

export function unpackRepresentatives(packed: string | null | undefined): DedupSignature[] {
  if (!packed) return [];
  if (packed.includes("|")) {
    const [space, vec] = packed.split("|") as [DedupSpace, string];
    if (!vec) return [];
    return [space === "semantic" ? { embedding: unpackVector(vec) } : { lexical: unpackVector(vec) }];
  }
  return packed.split(";").flatMap((part) => {
    const [e, l] = part.split(",");
    const sig: DedupSignature = {};
    if (e) sig.embedding = unpackVector(e);
    if (l) sig.lexical = unpackVector(l);
    return sig.embedding || sig.lexical ? [sig] : [];
  });
}

/** Up to `n` items, spread evenly over the list (the first always in). */
export function spread<T>(items: T[], n: number): T[] {
  if (items.length <= n) return items;
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}
