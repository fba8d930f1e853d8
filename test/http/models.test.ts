import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, REDIS_URL, startSystem, type TestSystem } from "../support/runtime.js";
import { rawJson } from "../support/raw-http.js";

// GET /models, POST /models/retrain and POST /models/{version}/activate over HTTP, with the local worker
// (which registers v1 and runs the retrain jobs) on real Redis and the real model.
const API_KEY = "models-key";
let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem({ API_KEY, LEARNING_RETRAIN_EVERY: "0" });
});
afterAll(() => system.close());

const call = (method: string, path: string, auth: string | null = `Bearer ${API_KEY}`) =>
  rawJson(system.base, method, path, undefined, auth ? { authorization: auth } : {});
/** One path segment: percent-encoded, dots too, so "." and ".." stay ids rather than dot segments. */
const p = (id: string) => encodeURIComponent(id).replace(/\./g, "%2E");

describe("GET /models", () => {
  it("lists v1, the shipped heads, active, with their held-out figures (registered by the worker)", async () => {
    const listed = await eventually(async () => {
      const r = await call("GET", "/models", null);
      return r.json.versions?.length ? r : undefined;
    });
    expect(listed.status).toBe(200);
    expect(listed.json.active).toBe("v1");
    const [v1] = listed.json.versions;
    expect(v1).toMatchObject({ version: "v1", source: "shipped", promoted: true, active: true, status: "active", corrections: 0, reasons: [], based_on: null, c: null });
    expect(Object.keys(v1.metrics.heldout).sort()).toEqual(["category_accuracy", "category_macro_f1", "urgency_accuracy", "urgency_auc"]);
    expect(v1.metrics.heldout.category_accuracy).toBeGreaterThan(0.9);
    expect(v1.metrics.corrections).toBeUndefined();
    expect(Date.parse(v1.created_at)).not.toBeNaN();
  });

  it("bounds ?limit= and shows the active version in /metrics", async () => {
    expect((await call("GET", "/models?limit=0", null)).status).toBe(422);
    expect((await call("GET", "/models?limit=1001", null)).status).toBe(422);
    expect((await call("GET", "/metrics", null)).json.heads_version).toBe("v1");
  });
});

describe("POST /models/retrain", () => {
  it("needs the API key, queues a job a worker runs, and announces it", async () => {
    expect((await call("POST", "/models/retrain", null)).status).toBe(401);
    expect((await call("POST", "/models/retrain", "Bearer wrong")).status).toBe(403);
    const queued = await call("POST", "/models/retrain");
    expect(queued.status).toBe(202);
    expect(queued.json).toEqual({ job_id: expect.stringMatching(/^retrain_/), status: "queued" });
    const events = await eventually(async () => {
      const r = await call("GET", "/activity?limit=100", null);
      return r.json.events.find((e: { type: string }) => e.type === "retrain_requested");
    });
    expect(events.data).toMatchObject({ job_id: queued.json.job_id, reason: "manual" });

    // The worker runs it: with no corrections the guard has nothing to judge the candidate on.
    const v2 = await eventually(async () => (await call("GET", "/models", null)).json.versions.find((v: { version: string }) => v.version === "v2"), 120_000);
    expect(v2).toMatchObject({ source: "retrained", promoted: false, active: false, status: "refused", corrections: 0, based_on: "v1" });
    expect(v2.reasons.length).toBeGreaterThan(0);
    expect((await call("GET", "/models", null)).json.versions.map((v: { version: string }) => v.version)).toEqual(["v2", "v1"]);
    expect((await call("GET", "/models?limit=1", null)).json.versions.map((v: { version: string }) => v.version)).toEqual(["v2"]);
  }, 150_000);
});

describe("POST /models/{version}/activate", () => {
  it("needs the API key; activates a stored version by hand and rolls back, announcing each change", async () => {
    expect((await call("POST", "/models/v2/activate", null)).status).toBe(401);
    expect(await call("POST", "/models/v2/activate")).toEqual({ status: 200, json: { active: "v2", previous: "v1" } });
    expect((await call("GET", "/metrics", null)).json.heads_version).toBe("v2");
    expect(await call("POST", "/models/v2/activate")).toEqual({ status: 200, json: { active: "v2", previous: "v2" } });
    expect(await call("POST", "/models/v1/activate")).toEqual({ status: 200, json: { active: "v1", previous: "v2" } });
    const listed = (await call("GET", "/models", null)).json;
    expect(listed.active).toBe("v1");
    expect(listed.versions.map((v: { version: string; active: boolean }) => [v.version, v.active])).toEqual([
      ["v2", false],
      ["v1", true],
    ]);
    const changes = await eventually(async () => {
      const r = await call("GET", "/activity?limit=200", null);
      const found = r.json.events.filter((e: { type: string }) => e.type === "model_version_activated");
      return found.length === 2 ? found : undefined;
    });
    expect(changes.map((e: { data: { version: string; previous: string } }) => [e.data.version, e.data.previous])).toEqual([
      ["v1", "v2"],
      ["v2", "v1"],
    ]);
  });

  it("answers 404 with a clear message for any id no version has, and writes nothing", async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const keys = async () => (await redis.keys(`${system.config.REDIS_PREFIX}*`)).filter((k) => !k.includes("outbox") && !k.includes("activity")).sort();
      const before = await keys();
      for (const id of ["v9", "V1", "v1 ", "v1:weights", "..", "%2F", "a/b", "{ss}", ":", "heads:active", "Ünïcödé", "😀", "x".repeat(5_000)]) {
        const r = await call("POST", `/models/${p(id)}/activate`);
        expect(r.status, id.slice(0, 20)).toBe(404);
        expect(r.json.detail).toContain("No heads version");
        expect(r.json.detail).toContain("GET /models");
      }
      expect((await call("POST", `/models/${p("x".repeat(5_000))}/activate`)).json.detail.length).toBeLessThan(200);
      expect(await keys()).toEqual(before);
      expect((await call("GET", "/models", null)).json.active).toBe("v1");
    } finally {
      await redis.quit();
    }
  });
});

describe("the OpenAPI document", () => {
  it("describes the three routes with their shapes and the API key", async () => {
    const doc = (await call("GET", "/openapi.json", null)).json;
    expect(Object.keys(doc.paths["/models"])).toEqual(["get"]);
    expect(doc.paths["/models/retrain"].post.responses).toHaveProperty("202");
    expect(doc.paths["/models/{version}/activate"].post.responses).toHaveProperty("404");
    expect(doc.paths["/models/{version}/activate"].post.security).toBeDefined();
  });
});
