import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentIn, TicketIn } from "../../layers/core/domain/schemas.js";
import { dedupApply } from "../../layers/core/store/incidents.js";
import { eventually, startSystem, type TestSystem } from "../support/runtime.js";
import { rawJson } from "../support/raw-http.js";

// Ids may hold any character: each must reach exactly its own record. Ids the id schema refuses today are
// checked to be refused cleanly (422, never 500); the day the schema takes them, the same cases run the
// whole round trip.
const HOSTILE = [":", "Z", "Z:tickets", "{ss}", "*", "..", "%", "%zz", "%3A", "a/b", "x".repeat(10_000), "Ünïcödé", "😀", "t:1", "i:1"];

let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem({ DEDUP_MIN_COUNT: "100000" });
});
afterAll(() => system.close());

// node:http sends the path as written: fetch (WHATWG URL) would resolve "/agents/.." (and its %2E%2E
// spelling) to "/" before sending.
const call = (method: string, path: string, body?: unknown) => rawJson(system.base, method, path, body);
/** One path segment: percent-encoded, dots too, so "." and ".." stay ids rather than dot segments. */
const p = (id: string) => encodeURIComponent(id).replace(/\./g, "%2E");
const ticketOk = (id: string) => TicketIn.shape.ticket_id.safeParse(id).success;
const agentOk = (id: string) => AgentIn.shape.agent_id.safeParse(id).success;
const skill = { tech: 1, billing: 0, legal: 0 };

describe("hostile ids over HTTP", () => {
  const agents = HOSTILE.filter(agentOk);
  const tickets = HOSTILE.filter(ticketOk);

  it("refuses the ids the schema does not take with 422, never 500", async () => {
    for (const id of HOSTILE.filter((x) => !agentOk(x))) {
      expect((await call("POST", "/agents", { agent_id: id, skill_vector: skill, max_concurrent_tickets: 1 })).status).toBe(422);
    }
    for (const id of HOSTILE.filter((x) => !ticketOk(x))) {
      expect((await call("POST", "/tickets", { ticket_id: id, subject: "s", body: "b" })).status).toBe(422);
    }
  });

  it("registers, reads and patches every agent as its own record", async () => {
    // Z:tickets first and with capacity 1, Z after with room for every ticket: on main, Z's ticket set was
    // Z:tickets' hash.
    for (const id of agents) {
      const r = await call("POST", "/agents", { agent_id: id, skill_vector: skill, max_concurrent_tickets: id === "Z" ? 1000 : 1 });
      expect(r.status, id.slice(0, 40)).toBe(200);
      expect(r.json.agent_id).toBe(id);
    }
    for (const id of agents) {
      const g = await call("GET", `/agents/${p(id)}`);
      expect(g.status, id.slice(0, 40)).toBe(200);
      expect(g.json.agent_id).toBe(id);
      // Everyone but Z goes offline, so Z takes every ticket.
      if (id !== "Z") expect((await call("PATCH", `/agents/${p(id)}`, { status: "offline" })).json).toMatchObject({ agent_id: id, status: "offline" });
    }
    const all = await call("GET", "/agents");
    expect(all.json.map((a: { agent_id: string }) => a.agent_id).sort()).toEqual([...agents].sort());
  });

  it("submits and reads every ticket as its own record, routed to its agent", async () => {
    for (const id of tickets) {
      const r = await call("POST", "/tickets", { ticket_id: id, subject: `Question ${id.length}`, body: "How do I export a report?" });
      expect(r.status, id.slice(0, 40)).toBe(202);
      expect(r.json.ticket_id).toBe(id);
    }
    await eventually(async () => {
      for (const id of tickets) if ((await call("GET", `/tickets/${p(id)}`)).json.status !== "assigned") return false;
      return true;
    }, 30_000);
    for (const id of tickets) {
      const g = await call("GET", `/tickets/${p(id)}`);
      expect(g.json).toMatchObject({ ticket_id: id, status: "assigned", agent_id: "Z" });
    }
    const zTickets = await call("GET", `/agents/Z/tickets`);
    expect(zTickets.status).toBe(200);
    expect([...zTickets.json.ticket_ids].sort()).toEqual([...tickets].sort());
    for (const id of agents.filter((a) => a !== "Z")) {
      const t = await call("GET", `/agents/${p(id)}/tickets`);
      expect(t).toEqual({ status: 200, json: { agent_id: id, ticket_ids: [] } });
      expect((await call("GET", `/agents/${p(id)}`)).json).toMatchObject({ agent_id: id, current_load: 0 });
    }
    const asg = await call("GET", "/assignments");
    expect(asg.json.assignments.map((a: { ticket_id: string }) => a.ticket_id).sort()).toEqual([...tickets].sort());
  });

  it("keeps incidents apart: a hostile incident id is 404, a real one's ':tickets' sibling too", async () => {
    const { rt } = system;
    const applied = await dedupApply(rt.redis, rt.keys, tickets[0]!, {
      action: "create",
      incident_id: "inc:{ss}*%😀",
      summary: "hostile",
      category: "Technical",
      space: "lexical",
      vector: "",
      members: [tickets[0]!],
    }, new Date());
    expect(applied.outcome).toBe("created");
    const inc = await call("GET", `/incidents/${p("inc:{ss}*%😀")}`);
    expect(inc.json).toMatchObject({ incident_id: "inc:{ss}*%😀", ticket_ids: [tickets[0]] });
    for (const id of [...HOSTILE, "inc:{ss}*%😀:tickets"]) {
      expect((await call("GET", `/incidents/${p(id)}`)).status, id.slice(0, 40)).toBe(404);
      expect((await call("POST", `/incidents/${p(id)}/resolve`)).status, id.slice(0, 40)).toBe(404);
    }
    const resolved = await call("POST", `/incidents/${p("inc:{ss}*%😀")}/resolve`);
    expect(resolved.json).toMatchObject({ incident_id: "inc:{ss}*%😀", status: "resolved" });
  });

  it("pops every ticket exactly once without a 500, and DELETE /queue leaves the agents alone", async () => {
    const popped: string[] = [];
    for (;;) {
      const r = await call("GET", "/tickets/next");
      if (r.status === 404) break;
      expect(r.status).toBe(200);
      popped.push(r.json.ticket_id);
    }
    expect(popped.sort()).toEqual([...tickets].sort());
    expect((await call("GET", "/agents/Z")).json.current_load).toBe(0);
    expect((await call("DELETE", "/queue")).status).toBe(200);
    for (const id of agents) expect((await call("GET", `/agents/${p(id)}`)).json.agent_id).toBe(id);
    for (const id of tickets) expect((await call("GET", `/tickets/${p(id)}`)).json).toMatchObject({ ticket_id: id, status: "popped" });
  });
});
