import type { DedupSpace } from "../../domain/dedup.js";
import { growthSteps } from "../../domain/incident-growth.js";
import type { Keys } from "../keys.js";
import type { RedisPort } from "../redis-port.js";
import { loadLua } from "./load.js";

const script = loadLua("dedup-apply");
const STEPS = growthSteps().join(",");
/** INCIDENT_UPDATE_INTERVAL_SECONDS' default, for callers that do not say. */
const DEFAULT_UPDATE_INTERVAL_MS = 300_000;

/** How incidents announce their growth (README "Flash floods"). */
export interface GrowthCadence {
  /** At most one update per this many ms (INCIDENT_UPDATE_INTERVAL_SECONDS × 1000). */
  updateIntervalMs: number;
}

export type ApplyResult =
  | { outcome: "linked" | "created"; incident_id: string; ticketIncident: string | null; newlyLinked: string[] }
  | { outcome: "closed" }
  /** A create refused: the open incidents changed since `seenVersion`; re-read them and decide again. */
  | { outcome: "stale" };

export type ApplyAction =
  /** Link the ticket, and the look-alikes given (those not yet in an incident), to an open incident. */
  | { action: "link"; incident_id: string; members?: string[] }
  | {
      action: "create";
      incident_id: string;
      summary: string;
      category: string;
      /** The root ticket's space. */
      space: DedupSpace;
      /** The incident's packed representatives (services/dedup/representatives.ts). */
      representatives?: string;
      /** Older callers: one representative vector of `space` (read as the former "space|vector" format). */
      vector?: string;
      members: string[];
      /**
       * The incidents version (`incidentsVersion`) the decision was made at, null if there was none yet:
       * the script creates only if it is still current. Undefined: create whatever changed since.
       */
      seenVersion?: string | null;
    };

/**
 * Applies the decision; the events of what it did are appended to the outbox, and its links to the dedup
 * log, by the same script — a growth update too, when the links reach a growth step and the cadence allows.
 */
export async function dedupApply(
  redis: RedisPort,
  keys: Keys,
  ticketId: string,
  a: ApplyAction,
  now: Date,
  cadence: GrowthCadence = { updateIntervalMs: DEFAULT_UPDATE_INTERVAL_MS },
): Promise<ApplyResult> {
  const base = [
    a.action,
    ticketId,
    keys.ticketPrefix,
    keys.incidentPrefix,
    keys.agentPrefix,
    now.toISOString(),
    now.getTime(),
    Math.max(0, Math.round(cadence.updateIntervalMs)),
    STEPS,
  ];
  const args =
    a.action === "link"
      ? [...base, a.incident_id, ...(a.members ?? []).filter((m) => m !== ticketId)]
      : [...base, a.incident_id, a.summary, a.category, a.space, a.representatives ?? (a.vector ? `${a.space}|${a.vector}` : ""), a.seenVersion === undefined ? "*" : (a.seenVersion ?? ""), ...a.members];
  const reply = await redis.run<string[]>(
    script,
    [keys.incidents, keys.openIncidents, keys.incidentVectors, keys.incidentsVersion, keys.assignments, keys.outbox, keys.dedupLog],
    args,
  );
  if (reply[0] === "closed" || reply[0] === "stale") return { outcome: reply[0] };
  return {
    outcome: reply[0] as "linked" | "created",
    incident_id: reply[1]!,
    ticketIncident: reply[2] || null,
    newlyLinked: reply.slice(3),
  };
}
