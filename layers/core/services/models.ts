import { randomUUID } from "node:crypto";
import { notFound } from "../errors.js";
import type { Runtime } from "../runtime.js";
import { activateHeadsVersion, activeHeadsVersion, listHeadsVersions, SHIPPED_VERSION, type HeadsVersion } from "../store/head-versions.js";
import { requestRetrainJob } from "../store/retrain-jobs.js";

// Heads versions, the API's side (README "Learning from corrections"): list them, queue a retrain, activate one.
// Nothing here fits or loads a model: these run in the API's zip functions; workers retrain (services/learning.ts).

/** POST /models/retrain: a manual job, run by the next worker to look (about a second locally, a minute in AWS). */
export async function requestRetrain(rt: Runtime): Promise<{ job_id: string; status: "queued" }> {
  const job_id = `retrain_${randomUUID()}`;
  await requestRetrainJob(rt, { job_id, reason: "manual", requested_at: new Date().toISOString() });
  rt.bus.appended?.();
  return { job_id, status: "queued" };
}

type VersionStatus = "active" | "inactive" | "refused";

/** GET /models: the versions newest first, each with its status (CONTRACT.md) and marked active or not. */
export async function listModels(
  rt: Runtime,
  limit: number,
): Promise<{ active: string; versions: (HeadsVersion & { active: boolean; status: VersionStatus })[] }> {
  const [active, versions] = await Promise.all([activeHeadsVersion(rt), listHeadsVersions(rt, limit)]);
  const current = active ?? SHIPPED_VERSION;
  const status = (v: HeadsVersion): VersionStatus => (v.version === current ? "active" : v.promoted ? "inactive" : "refused");
  return { active: current, versions: versions.map((v) => ({ ...v, active: v.version === current, status: status(v) })) };
}

/** POST /models/{version}/activate: 404 for an id no version has. */
export async function activateModel(rt: Runtime, version: string): Promise<{ active: string; previous: string | null }> {
  const r = await activateHeadsVersion(rt, version, new Date());
  if (r.status === "missing") {
    // Ids come from the path and may be anything: quoted, and cut short when long.
    const shown = version.length > 80 ? `${version.slice(0, 80)}…` : version;
    throw notFound(`No heads version ${JSON.stringify(shown)}: GET /models lists the versions`);
  }
  if (r.status === "activated") rt.bus.appended?.();
  return { active: version, previous: r.previous };
}

/** The active heads version (/metrics): v1 until another is activated. */
export const activeModelVersion = async (rt: Runtime): Promise<string> => (await activeHeadsVersion(rt)) ?? SHIPPED_VERSION;
