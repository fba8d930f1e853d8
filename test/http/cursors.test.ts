import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAgent } from "../../layers/core/services/agents.js";
import { acceptTickets } from "../../layers/core/services/intake.js";
import { resolve } from "../../layers/core/services/incidents.js";
import { dedupApply } from "../../layers/core/store/incidents.js";
import { appendActivity } from "../../layers/core/store/activity.js";
import { assignTicket } from "../../layers/core/store/assignments.js";
import { storeProcessed } from "../../layers/core/store/tickets.js";
import { startApi, startRuntime, type TestSystem } from "../support/runtime.js";

// No worker: tickets are stored as processed directly, so 1,200 of them take no model time.
let system: TestSystem;
let api: { base: string; close(): Promise<void> };
beforeAll(async () => {
  system = startRuntime({ DEDUP_MIN_COUNT: "100000" });
  api = await startApi(system.rt);
});
afterAll(async () => {
  await api.close();
  await system.close();
});

const N = 1_200;
let seq = 0;
/** Accepts and stores `n` processed tickets with queue scores from `score` down. */
async function addTickets(prefix: string, n: number, score: (i: number) => number): Promise<string[]> {
  const { rt } = system;
  const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  for (let i = 0; i < n; i += 1000) {
    await acceptTickets(rt, ids.slice(i, i + 1000).map((ticket_id) => ({ ticket_id, subject: "Question", body: "How do I export a report?" })));
  }
  await Promise.all(
    ids.map((id, i) =>
      storeProcessed(rt.redis, rt.keys, id, score(i), {
        category: "Technical",
        urgency_score: "0.5",
        model: "baseline",
        probabilities: "{}",
        processed_at: new Date().toISOString(),
        seq: String(++seq),
      }),
    ),
  );
  return ids;
}

const nextLink = (res: Response): string | null => {
  const link = res.headers.get("link");
  if (!link) return null;
  const m = /^<([^>]+)>;\s*rel="next"$/.exec(link);
  expect(m, link).not.toBeNull();
  return new URL(m![1]!, res.url).toString();
};

/** Follows Link rel="next" from `path`; `between` runs after each page. */
async function pageAll<T>(path: string, items: (body: any) => T[], between?: (page: number) => Promise<void>) {
  const pages: T[][] = [];
  let url: string | null = `${api.base}${path}`;
  while (url) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    pages.push(items(await res.json()));
    url = nextLink(res);
    if (between) await between(pages.length);
  }
  return pages;
}

describe("cursors over HTTP", () => {
  let queued: string[] = [];

  it("pages /queue in pop order via Link headers, every ticket once, while tickets are added", async () => {
    queued = await addTickets("q", N, (i) => 10_000 - i);
    const added: string[] = [];
    const pages = await pageAll("/queue?limit=100", (b: { ticket_id: string }[]) => b.map((t) => t.ticket_id), async (page) => {
      // One ticket lands ahead of the cursor (more urgent than anything) and one behind it (least urgent).
      added.push(...(await addTickets(`front${page}`, 1, () => 50_000 + page)));
      added.push(...(await addTickets(`back${page}`, 1, () => 1 - page)));
    });
    const seen = pages.flat();
    expect(pages[0]).toHaveLength(100);
    expect(new Set(seen).size).toBe(seen.length); // nothing twice
    expect(seen.filter((id) => id.startsWith("q-"))).toEqual(queued); // every original once, in pop order
    // Tickets added behind the cursor are reached; those ahead of it belong to a later read.
    expect(seen.filter((id) => id.startsWith("back")).length).toBeGreaterThan(0);
    expect(seen.some((id) => id.startsWith("front"))).toBe(false);
  });

  it("keeps ?limit= bounds and refuses a cursor it did not hand out", async () => {
    expect((await fetch(`${api.base}/queue?limit=1001`)).status).toBe(422);
    expect((await fetch(`${api.base}/queue?limit=0`)).status).toBe(422);
    const bad = await fetch(`${api.base}/queue?cursor=not-a-cursor`);
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors).toEqual([{ field: "query.cursor", message: expect.any(String) }]);
    const res = await fetch(`${api.base}/queue?limit=1000`);
    expect(((await res.json()) as unknown[]).length).toBe(1000);
    expect(nextLink(res)).toContain("limit=1000");
  });

  it("pages /assignments newest first, every assignment once (many share a millisecond)", async () => {
    const { rt } = system;
    await registerAgent(rt, { agent_id: "A", skill_vector: { tech: 1, billing: 0, legal: 0 }, max_concurrent_tickets: 100_000 });
    await Promise.all(queued.map((id) => assignTicket(rt.redis, rt.keys, id, "A", new Date())));
    const pages = await pageAll("/assignments?limit=250", (b: { assignments: { ticket_id: string }[] }) => b.assignments.map((a) => a.ticket_id));
    const seen = pages.flat();
    expect(seen).toHaveLength(new Set(seen).size);
    expect([...seen].sort()).toEqual([...queued].sort());
  });

  it("pages /activity newest first, every event once, while events are appended", async () => {
    const { rt } = system;
    for (let i = 0; i < N; i++) await appendActivity(rt, 100_000, { type: "test_event", ts: new Date().toISOString(), event_id: `e${i}`, data: { i } });
    const pages = await pageAll("/activity?limit=1000", (b: { events: { type: string; data: { i: number } }[] }) => b.events, async () => {
      await appendActivity(rt, 100_000, { type: "late_event", ts: new Date().toISOString(), event_id: "late", data: {} });
    });
    const mine = pages.flat().filter((e) => e.type === "test_event").map((e) => e.data.i);
    expect(mine).toEqual(Array.from({ length: N }, (_, i) => N - 1 - i));
    expect(pages.flat().some((e) => e.type === "late_event")).toBe(false);
  });

  it("pages /agents by id and /agents/{id}/tickets, each once", async () => {
    const { rt } = system;
    const ids = Array.from({ length: 30 }, (_, i) => `ag-${String(i).padStart(2, "0")}`);
    for (const agent_id of ids) await registerAgent(rt, { agent_id, skill_vector: { tech: 1, billing: 0, legal: 0 }, max_concurrent_tickets: 1 });
    const agents = (await pageAll("/agents?limit=7", (b: { agent_id: string }[]) => b.map((a) => a.agent_id))).flat();
    expect(agents).toEqual(["A", ...ids].sort());
    const tickets = (await pageAll("/agents/A/tickets?limit=500", (b: { agent_id: string; ticket_ids: string[] }) => b.ticket_ids)).flat();
    expect(tickets).toEqual([...queued].sort());
  });

  it("pages /incidents newest first, with and without ?status=, each once", async () => {
    const { rt } = system;
    const made: string[] = [];
    for (let i = 0; i < 25; i++) {
      const incident_id = `inc-${String(i).padStart(2, "0")}`;
      const applied = await dedupApply(rt.redis, rt.keys, queued[i]!, {
        action: "create",
        incident_id,
        summary: "s",
        category: "Technical",
        space: "lexical",
        vector: "",
        members: [queued[i]!],
      }, new Date());
      expect(applied.outcome).toBe("created");
      made.push(incident_id);
      if (i % 2) await resolve(rt, incident_id);
    }
    const all = (await pageAll("/incidents?limit=4", (b: { incident_id: string }[]) => b.map((x) => x.incident_id))).flat();
    expect([...all].sort()).toEqual(made);
    expect(all).toHaveLength(25);
    const open = (await pageAll("/incidents?limit=3&status=open", (b: { incident_id: string; status: string }[]) => b.map((x) => x.status))).flat();
    expect(open).toEqual(Array(13).fill("open"));
    const last = await fetch(`${api.base}/incidents?limit=1000`);
    expect(last.headers.get("link")).toBeNull();
  });
});
