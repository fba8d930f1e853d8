import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startSystem, type TestSystem } from "../support/runtime.js";

let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem();
});
afterAll(() => system.close());

const call = async (method: string, path: string, body?: string) => {
  const res = await fetch(`${system.base}${path}`, { method, headers: { "Content-Type": "application/json" }, body });
  return { status: res.status, json: await res.json() };
};

describe("agents over HTTP", () => {
  it("runs the seed's walkthrough step 3 verbatim: register A1, submit T-1, see the assignment", async () => {
    const reg = await call(
      "POST",
      "/agents",
      "{\"agent_id\":\"A1\",\"display_name\":\"Tech Agent\",\"skill_vector\":{\"tech\":0.9,\"billing\":0.1,\"legal\":0.0},\"max_concurrent_tickets\":10}",
    );
    expect(reg).toMatchObject({
      status: 200,
      json: { agent_id: "A1", display_name: "Tech Agent", current_load: 0, status: "online", max_concurrent_tickets: 10 },
    });
    const sub = await call("POST", "/tickets", "{\"ticket_id\":\"T-1\",\"subject\":\"Login broken\",\"body\":\"Cannot login.\"}");
    expect(sub.status).toBe(202);
    const assignments = await eventually(async () => {
      const r = await call("GET", "/assignments");
      return r.json.assignments.length ? r.json.assignments : undefined;
    });
    expect(assignments).toEqual([{ ticket_id: "T-1", agent_id: "A1", assigned_at: expect.any(String), incident_id: null }]);
    expect((await call("GET", "/agents/A1")).json.current_load).toBe(1);
    expect((await call("GET", "/agents/A1/tickets")).json).toEqual({ agent_id: "A1", ticket_ids: ["T-1"] });
    expect((await call("GET", "/tickets/T-1")).json).toMatchObject({ status: "assigned", agent_id: "A1" });
    expect((await call("GET", "/metrics")).json).toMatchObject({ online_agents_count: 1, backlog_size: 0 });
  });

  it("never takes current_load from the body", async () => {
    const r = await call("POST", "/agents", JSON.stringify({ agent_id: "A1", skill_vector: { tech: 1, billing: 0, legal: 0 }, max_concurrent_tickets: 10, current_load: 7 }));
    expect(r.json.current_load).toBe(1);
  });

  it("patches status and capacity, and filters online agents with capacity", async () => {
    await call("POST", "/agents", JSON.stringify({ agent_id: "B1", skill_vector: { tech: 0, billing: 1, legal: 0 }, max_concurrent_tickets: 1 }));
    expect((await call("PATCH", "/agents/B1", JSON.stringify({ status: "offline" }))).json.status).toBe("offline");
    expect((await call("GET", "/agents?online_only=true")).json.map((a: { agent_id: string }) => a.agent_id)).toEqual(["A1"]);
    expect((await call("GET", "/agents")).json).toHaveLength(2);
    const p = await call("PATCH", "/agents/B1", JSON.stringify({ status: "online", max_concurrent_tickets: 4, display_name: "Billing" }));
    expect(p.json).toMatchObject({ status: "online", max_concurrent_tickets: 4, display_name: "Billing" });
  });

  it.each([
    [{ agent_id: "X", skill_vector: { tech: 1.5, billing: 0, legal: 0 }, max_concurrent_tickets: 1 }, "body.skill_vector.tech"],
    [{ agent_id: "X", skill_vector: { tech: 0, billing: 0, legal: 0 }, max_concurrent_tickets: 1 }, "body.skill_vector"],
    [{ agent_id: "X", skill_vector: { tech: 1, billing: 0, legal: 0 }, max_concurrent_tickets: 0 }, "body.max_concurrent_tickets"],
    [{ agent_id: "X", skill_vector: { tech: 1, billing: 0, legal: 0 }, max_concurrent_tickets: 1, status: "away" }, "body.status"],
    [{ skill_vector: { tech: 1, billing: 0, legal: 0 }, max_concurrent_tickets: 1 }, "body.agent_id"],
  ])("422 naming the field for %j", async (body, field) => {
    const r = await call("POST", "/agents", JSON.stringify(body));
    expect(r.status).toBe(422);
    expect(r.json.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it("404 for unknown agents, 422 for an empty or unknown patch", async () => {
    expect((await call("GET", "/agents/nope")).status).toBe(404);
    expect((await call("GET", "/agents/nope/tickets")).status).toBe(404);
    expect((await call("PATCH", "/agents/nope", JSON.stringify({ status: "online" }))).status).toBe(404);
    expect((await call("PATCH", "/agents/A1", "{}")).status).toBe(422);
    expect((await call("PATCH", "/agents/A1", JSON.stringify({ current_load: 0 }))).status).toBe(422);
  });
});
