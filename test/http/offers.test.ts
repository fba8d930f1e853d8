import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startApi, startRuntime, startSystem, type TestSystem } from "../support/runtime.js";
import { URGENT_TEXT } from "../support/tickets.js";

// The agents' side over HTTP, with offers on: offers listed, accepted, rejected; an agent's next ticket;
// resolving. Ids hold characters that need escaping in a path.
let system: TestSystem & { base: string };
beforeAll(async () => {
  system = await startSystem({ ROUTING_OFFERS: "true", DEDUP_MIN_COUNT: "100000" });
});
afterAll(() => system.close());

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${system.base}${path}`, {
    method,
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, link: res.headers.get("link") };
};
/** One path segment: percent-encoded, dots too. */
const p = (id: string) => encodeURIComponent(id).replace(/\./g, "%2E");

const TECH = "A1";
const OTHER = "Zé/agent ?#%.1"; // second best for a technical ticket
const T1 = "t/ü 1?#%.x";
const submit = (ticket_id: string) => call("POST", "/tickets", { ticket_id, ...URGENT_TEXT });
const statusOf = async (id: string) => (await call("GET", `/tickets/${p(id)}`)).json.status as string;
const until = (id: string, status: string) => eventually(async () => (await statusOf(id)) === status, 30_000);
const loadOf = async (id: string) => (await call("GET", `/agents/${p(id)}`)).json.current_load as number;

describe("offers and finishing work over HTTP", () => {
  it("offers a ticket to the best agent, lists it, and answers every wrong answer with 404 or 409", async () => {
    expect((await call("POST", "/agents", { agent_id: TECH, skill_vector: { tech: 0.9, billing: 0.1, legal: 0 }, max_concurrent_tickets: 5 })).status).toBe(200);
    expect((await call("POST", "/agents", { agent_id: OTHER, skill_vector: { tech: 0.5, billing: 0.5, legal: 0 }, max_concurrent_tickets: 5 })).status).toBe(200);
    expect((await submit(T1)).status).toBe(202);
    await until(T1, "offered");
    expect((await call("GET", `/tickets/${p(T1)}`)).json).toMatchObject({ status: "offered", agent_id: null });
    expect(await loadOf(TECH)).toBe(1);

    const offers = await call("GET", `/agents/${TECH}/offers`);
    expect(offers.status).toBe(200);
    expect(offers.json).toEqual([
      { ticket_id: T1, offered_at: expect.any(String), expires_at: expect.any(String), ticket: expect.objectContaining({ ticket_id: T1, agent_id: null }) },
    ]);
    expect((await call("GET", `/agents/${p(OTHER)}/offers`)).json).toEqual([]);
    expect((await call("GET", "/agents/nobody/offers")).status).toBe(404);
    expect((await call("GET", `/agents/${TECH}/offers?limit=0`)).status).toBe(422);
    expect((await call("GET", `/agents/${TECH}/offers?cursor=nope!`)).status).toBe(422);

    // 404: unknown agent, unknown ticket; 409: another agent's offer. Nothing changes.
    for (const answer of ["accept", "reject"]) {
      expect(await call("POST", `/agents/nobody/offers/${p(T1)}/${answer}`)).toMatchObject({ status: 404, json: { detail: expect.stringMatching(/Agent/) } });
      expect(await call("POST", `/agents/${TECH}/offers/nope/${answer}`)).toMatchObject({ status: 404, json: { detail: expect.stringMatching(/Ticket/) } });
      expect(await call("POST", `/agents/${p(OTHER)}/offers/${p(T1)}/${answer}`)).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/another agent/) } });
    }
    expect(await loadOf(TECH)).toBe(1);
  });

  it("a rejected offer goes to the next agent, never back; accept assigns; next and resolve finish the work", async () => {
    const rejected = await call("POST", `/agents/${TECH}/offers/${p(T1)}/reject`);
    expect(rejected).toMatchObject({ status: 200, json: { ticket_id: T1, status: "offered" } });
    expect((await call("GET", `/agents/${p(OTHER)}/offers`)).json.map((o: { ticket_id: string }) => o.ticket_id)).toEqual([T1]);
    expect(await loadOf(TECH)).toBe(0);
    // Rejected: the first agent's answers are conflicts now.
    expect((await call("POST", `/agents/${TECH}/offers/${p(T1)}/accept`)).status).toBe(409);
    expect((await call("POST", `/agents/${TECH}/offers/${p(T1)}/reject`)).status).toBe(409);

    expect((await call("GET", `/agents/${p(OTHER)}/next`)).status).toBe(404); // offered is not assigned yet
    const accepted = await call("POST", `/agents/${p(OTHER)}/offers/${p(T1)}/accept`);
    expect(accepted).toMatchObject({ status: 200, json: { ticket_id: T1, status: "assigned", agent_id: OTHER } });
    expect((await call("POST", `/agents/${p(OTHER)}/offers/${p(T1)}/accept`)).status).toBe(409);
    expect((await call("GET", "/assignments")).json.assignments).toEqual([expect.objectContaining({ ticket_id: T1, agent_id: OTHER })]);

    const next = await call("GET", `/agents/${p(OTHER)}/next`);
    expect(next).toMatchObject({ status: 200, json: { ticket_id: T1, agent_id: OTHER, category: "Technical" } });
    expect((await call("GET", `/agents/${TECH}/next`)).status).toBe(404);
    expect((await call("GET", "/agents/nobody/next")).status).toBe(404);

    const resolved = await call("POST", `/tickets/${p(T1)}/resolve`);
    expect(resolved).toMatchObject({ status: 200, json: { ticket_id: T1, status: "resolved", agent_id: OTHER } });
    expect(await loadOf(OTHER)).toBe(0);
    expect((await call("POST", `/tickets/${p(T1)}/resolve`)).json.status).toBe("resolved"); // harmless twice
    expect((await call("POST", "/tickets/nope/resolve")).status).toBe(404);
    expect((await call("GET", `/agents/${p(OTHER)}/next`)).status).toBe(404);

    await system.rt.bus.drain();
    const types = (await call("GET", "/activity?limit=100")).json.events.map((e: { type: string }) => e.type);
    for (const t of ["ticket_offered", "offer_rejected", "offer_accepted", "ticket_resolved"]) expect(types).toContain(t);
  });

  it("404 for a ticket never offered, 409 for resolving a popped one; offers page with a Link header", async () => {
    await call("PATCH", `/agents/${TECH}`, { status: "offline" });
    await call("PATCH", `/agents/${p(OTHER)}`, { status: "offline" });
    await submit("waits");
    await until("waits", "processed");
    expect(await call("POST", `/agents/${TECH}/offers/waits/accept`)).toMatchObject({ status: 404, json: { detail: expect.stringMatching(/never been offered/) } });
    expect((await call("GET", "/tickets/next")).json.ticket_id).toBe("waits");
    expect(await call("POST", "/tickets/waits/resolve")).toMatchObject({ status: 409, json: { detail: expect.stringMatching(/popped/) } });

    await call("PATCH", `/agents/${TECH}`, { status: "online" });
    await submit("pg-1");
    await submit("pg-2");
    await until("pg-1", "offered");
    await until("pg-2", "offered");
    const first = await call("GET", `/agents/${TECH}/offers?limit=1`);
    expect(first.json).toHaveLength(1);
    expect(first.link).toMatch(/rel="next"/);
    const second = await call("GET", first.link!.slice(1, first.link!.indexOf(">")));
    expect(second.json).toHaveLength(1);
    expect(second.link).toBeNull();
    expect(new Set([first.json[0].ticket_id, second.json[0].ticket_id])).toEqual(new Set(["pg-1", "pg-2"]));
  });
});

describe("offers and resolve with API_KEY set", () => {
  let sys: TestSystem;
  let api: { base: string; close(): Promise<void> };
  beforeAll(async () => {
    sys = startRuntime({ API_KEY: "k-16" });
    api = await startApi(sys.rt);
  });
  afterAll(async () => {
    await api.close();
    await sys.close();
  });
  const raw = (method: string, path: string, headers: Record<string, string> = {}) => fetch(`${api.base}${path}`, { method, headers });

  it("guards accept, reject and resolve (401 without the key, 403 wrong); the reads stay open", async () => {
    for (const path of ["/agents/A1/offers/T1/accept", "/agents/A1/offers/T1/reject", "/tickets/T1/resolve"]) {
      expect((await raw("POST", path)).status).toBe(401);
      expect((await raw("POST", path, { Authorization: "Bearer wrong" })).status).toBe(403);
      expect((await raw("POST", path, { Authorization: "Bearer k-16" })).status).toBe(404);
    }
    expect((await raw("GET", "/agents/A1/offers")).status).toBe(404);
    expect((await raw("GET", "/agents/A1/next")).status).toBe(404);
  });
});
