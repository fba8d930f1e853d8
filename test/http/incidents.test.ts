import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem, type TestSystem } from "../support/runtime.js";

let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem({ API_KEY: "key-1" });
});
afterAll(() => system.close());

const get = async (path: string) => {
  const res = await fetch(`${system.base}${path}`);
  return { status: res.status, json: await res.json() };
};
const post = async (path: string, body?: unknown, key?: string) => {
  const res = await fetch(`${system.base}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...(key ? { Authorization: `Bearer ${key}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
};

describe("incidents over HTTP (the seed's flash flood)", () => {
  let incidentId = "";

  it("turns 12 identical tickets into one master incident", async () => {
    for (let i = 1; i <= 12; i++) {
      const r = await post("/tickets", { ticket_id: `FLOOD-${i}`, subject: "Checkout down", body: "Checkout returns 503 for everyone." });
      expect(r.status).toBe(202);
    }
    const incidents = await eventually(async () => {
      const r = await get("/incidents");
      return r.json.length === 1 && r.json[0].ticket_count === 12 ? r.json : undefined;
    }, 20_000);
    incidentId = incidents[0].incident_id;
    expect(incidents[0]).toMatchObject({ status: "open", summary: "Checkout down", category: "Technical", agent_id: null });
    expect((await get(`/tickets/FLOOD-1`)).json.incident_id).toBe(incidentId);
    expect((await get(`/incidents/${incidentId}`)).json.ticket_ids).toHaveLength(12);
  });

  it("filters by status and counts incidents in /metrics", async () => {
    expect((await get("/incidents?status=open")).json).toHaveLength(1);
    expect((await get("/incidents?status=resolved")).json).toHaveLength(0);
    expect((await get("/metrics")).json).toMatchObject({ master_incidents_count: 1, open_incidents_count: 1 });
  });

  it("resolves with the API key only, and says so in the activity stream", async () => {
    expect((await post(`/incidents/${incidentId}/resolve`)).status).toBe(401);
    const r = await post(`/incidents/${incidentId}/resolve`, undefined, "key-1");
    expect(r).toMatchObject({ status: 200, json: { incident_id: incidentId, status: "resolved" } });
    expect((await get("/metrics")).json).toMatchObject({ master_incidents_count: 1, open_incidents_count: 0 });
    expect((await get("/incidents?status=resolved")).json).toHaveLength(1);
    const events = (await get("/activity?limit=20")).json.events.map((e: { type: string }) => e.type);
    expect(events).toContain("incident_resolved");
    expect((await post(`/incidents/${incidentId}/resolve`, undefined, "key-1")).status).toBe(200);
  });

  it("answers 404 for an unknown incident and 422 for a bad query", async () => {
    expect((await get("/incidents/nope")).status).toBe(404);
    expect((await post("/incidents/nope/resolve", undefined, "key-1")).status).toBe(404);
    expect((await get("/incidents?status=closed")).status).toBe(422);
    expect((await get("/incidents?limit=0")).status).toBe(422);
  });
});
