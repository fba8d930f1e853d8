import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Heads, type HeadsFile } from "../../layers/core/ml/heads.js";
import { addHeadsVersion } from "../../layers/core/store/head-versions.js";
import { eventually, startSystem, type TestSystem } from "../support/runtime.js";
import { rawJson } from "../support/raw-http.js";

// A running worker follows the active heads version without a restart: it scores with a version activated
// while it runs, records that version on each ticket, and follows a rollback the same way.
const API_KEY = "reload-key";
let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem({ API_KEY, DEDUP_MIN_COUNT: "100000", LEARNING_RETRAIN_EVERY: "0" });
});
afterAll(() => system.close());

const get = async (path: string) => (await fetch(`${system.base}${path}`)).json();
const post = (path: string, body?: unknown) => rawJson(system.base, "POST", path, body, { authorization: `Bearer ${API_KEY}` });

let n = 0;
/** Submits a calm ticket and waits until the worker has processed it. */
async function processedTicket(): Promise<{ ticket_id: string; heads_version?: string; urgency_score: number; model: string }> {
  const ticket_id = `RELOAD-${++n}`;
  const body = `Hi, is it possible to export report number ${n} as CSV instead of PDF? No rush at all. Thanks!`;
  expect((await post("/tickets", { ticket_id, subject: "Export format question", body })).status).toBe(202);
  return eventually(async () => {
    const t = await get(`/tickets/${ticket_id}`);
    return t.status !== "accepted" ? t : undefined;
  }, 20_000);
}

/** Processes tickets until one was scored by `version` (the worker checks the active version every ~2 s). */
const firstScoredBy = (version: string) =>
  eventually(async () => {
    const t = await processedTicket();
    return t.heads_version === version ? t : undefined;
  }, 30_000);

describe("hot reload of the heads", () => {
  it("scores with a version activated while the worker runs, records it on each ticket, and follows a rollback", async () => {
    const before = await processedTicket();
    expect(before).toMatchObject({ model: "transformer", heads_version: "v1" });
    expect(before.urgency_score).toBeLessThan(0.5);

    // A version that calls everything urgent: unmistakable in the scores.
    const shipped = await Heads.load(join(system.config.MODELS_DIR, "heads.json"));
    const alarmist: HeadsFile = structuredClone(shipped.file);
    alarmist.english.urgency.bias = 40;
    alarmist.other.urgency.bias = 40;
    const added = await addHeadsVersion(system.rt, {
      heads: JSON.stringify(alarmist),
      metrics: { heldout: { category_accuracy: 0.94, category_macro_f1: 0.94, urgency_accuracy: 0.4, urgency_auc: 0.94 } },
      promote: true,
      reasons: [],
      corrections: 0,
      c: {},
      basedOn: "v1",
      now: new Date(),
    });
    expect(added).toMatchObject({ version: "v2", promoted: true });

    const scored = await firstScoredBy("v2");
    expect(scored.urgency_score).toBeGreaterThan(0.99);
    const next = await processedTicket();
    expect(next).toMatchObject({ heads_version: "v2" });
    expect(next.urgency_score).toBeGreaterThan(0.99);
    expect((await get("/metrics")).heads_version).toBe("v2");

    // Rollback through the API (v1 is registered by the worker on its first look for retrain jobs).
    await eventually(async () => (await get("/models")).versions.some((v: { version: string }) => v.version === "v1"));
    expect(await post("/models/v1/activate")).toEqual({ status: 200, json: { active: "v1", previous: "v2" } });
    const rolledBack = await firstScoredBy("v1");
    expect(rolledBack.urgency_score).toBeLessThan(0.5);
    expect((await get("/metrics")).heads_version).toBe("v1");
    const events = (await get("/activity?limit=200")).events.filter((e: { type: string }) => e.type === "model_version_activated").map((e: { data: unknown }) => e.data);
    expect(events).toEqual([
      expect.objectContaining({ version: "v1", previous: "v2" }),
      expect.objectContaining({ version: "v2" }),
    ]);
  }, 120_000);
});
