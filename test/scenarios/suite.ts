import { createHmac, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import type { Received } from "../support/receiver.js";
import { eventually } from "./eventually.js";
import type { ScenarioTarget } from "./target.js";

/* eslint-disable @typescript-eslint/no-explicit-any -- HTTP answers are checked field by field below */

interface Reply {
  status: number;
  json: any;
  text: string;
}

interface Delivery {
  raw: Received;
  body: any;
}

const hmac = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

const header = (r: Received, name: string) => {
  const v = r.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * The HTTP scenarios every target must pass: the seed's walkthrough, a flash flood, routing, signed webhooks and
 * the dead-letter queue. `target` is read in the tests (the caller builds it in its beforeAll). Ids carry a
 * per-run suffix, so a target can be reused; the suite leaves its agents offline, its incident resolved and the queue
 * cleared.
 * About 19 tickets in all (the AWS target classifies them with the real model in an emulated Lambda).
 */
export function defineScenarios(target: () => ScenarioTarget, options: { timeoutMs?: number } = {}): void {
  const timeout = options.timeoutMs ?? 120_000;
  const run = randomUUID().slice(0, 8);
  const ourAgents: string[] = [];
  const ourIncidents: string[] = [];

  const call = async (method: string, path: string, body?: string | object): Promise<Reply> => {
    const t = target();
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (t.apiKey) headers.Authorization = `Bearer ${t.apiKey}`;
    const res = await fetch(`${t.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  };
  const get = (path: string) => call("GET", path);
  const patience = () => target().patienceMs;
  /** Time for stray background work (a second webhook that should not come) to show up before counting. */
  const settle = () => sleep(Math.min(3_000, Math.max(1_000, patience() / 10)));

  const deliveries = (from = 0): Delivery[] =>
    target()
      .webhooks.slice(from)
      .map((raw) => {
        let body: any;
        try {
          body = JSON.parse(raw.body);
        } catch {
          body = undefined;
        }
        return { raw, body };
      });

  /** The ticket once the worker is done with it: processed, or assigned when an agent took it. */
  const settled = (ticketId: string, status: "processed" | "assigned" | "any" = "any") =>
    eventually(
      async () => {
        const r = await get(`/tickets/${encodeURIComponent(ticketId)}`);
        expect(r.status).toBe(200);
        if (status === "any") expect(["processed", "assigned"]).toContain(r.json.status);
        else expect(r.json.status).toBe(status);
        return r.json;
      },
      patience(),
      `ticket ${ticketId} ${status === "any" ? "processed" : status}`,
    );

  const registerAgent = async (body: string | object) => {
    const r = await call("POST", "/agents", body);
    expect(r.status, r.text).toBe(200);
    ourAgents.push(r.json.agent_id);
    return r.json;
  };

  describe("HTTP scenarios", () => {
    afterAll(async () => {
      // Leave a reused target as the next run expects it: none of our agents online, our incident closed, an
      // empty queue.
      for (const id of ourAgents) await call("PATCH", `/agents/${encodeURIComponent(id)}`, { status: "offline" }).catch(() => {});
      for (const id of ourIncidents) await call("POST", `/incidents/${encodeURIComponent(id)}/resolve`).catch(() => {});
      // As the walkthrough ends: our tickets off the queue, so the next run's queue reads start clean.
      await call("DELETE", "/queue").catch(() => {});
    });

    it("a. the seed's walkthrough, call by call", { timeout }, async () => {
      const A1 = `A1-${run}`;
      const T1 = `T-1-${run}`;

      // curl /health
      const health = await get("/health");
      expect(health.status).toBe(200);
      expect(health.json).toMatchObject({ status: "ok", redis: "ok" });
      expect(["closed", "open", "half_open"]).toContain(health.json.circuit_breaker.state);

      // register agent A1 (the seed's body, verbatim but for the id)
      const a1 = await registerAgent(
        `{"agent_id":"${A1}","display_name":"Tech Agent","skill_vector":{"tech":0.9,"billing":0.1,"legal":0.0},"max_concurrent_tickets":10}`,
      );
      expect(a1).toEqual({
        agent_id: A1,
        display_name: "Tech Agent",
        skill_vector: { tech: 0.9, billing: 0.1, legal: 0 },
        max_concurrent_tickets: 10,
        current_load: 0,
        status: "online",
      });

      // curl -X POST /urgency-score
      const score = await call("POST", "/urgency-score", `{"text":"Everything is broken ASAP"}`);
      expect(score.status, score.text).toBe(200);
      expect(score.json).toEqual({ urgency_score: expect.any(Number), is_urgent: true, model: "transformer" });
      expect(score.json.urgency_score).toBeGreaterThanOrEqual(0.5);
      expect(score.json.urgency_score).toBeLessThanOrEqual(1);

      // submit T-1
      const sub = await call("POST", "/tickets", `{"ticket_id":"${T1}","subject":"Login broken","body":"Cannot login."}`);
      expect(sub.status, sub.text).toBe(202);
      expect(sub.json).toEqual({ ticket_id: T1, job_id: expect.any(String), message: "Accepted for processing" });

      // curl /tickets/T-1: "processed", or "assigned" once an agent has it (A1 is the only agent online)
      const t1 = await settled(T1, "assigned");
      expect(t1).toMatchObject({ ticket_id: T1, subject: "Login broken", body: "Cannot login.", category: "Technical", agent_id: A1, incident_id: null });
      expect(t1.urgency_score).toBeGreaterThanOrEqual(0);
      expect(t1.urgency_score).toBeLessThanOrEqual(1);
      expect(t1.is_urgent).toBe(t1.urgency_score >= 0.5);
      expect(t1.priority_score).toBeGreaterThanOrEqual(0);
      expect(t1.priority_score).toBeLessThanOrEqual(10);

      // curl /assignments
      const assignments = await get("/assignments");
      expect(assignments.status).toBe(200);
      expect(assignments.json.assignments).toContainEqual({ ticket_id: T1, agent_id: A1, assigned_at: expect.any(String), incident_id: null });

      // curl /agents
      const agents = await get("/agents");
      expect(agents.status).toBe(200);
      expect(agents.json.find((a: any) => a.agent_id === A1)).toMatchObject({ current_load: 1, status: "online" });
      expect((await get(`/agents/${A1}/tickets`)).json).toEqual({ agent_id: A1, ticket_ids: [T1] });

      // curl /queue/size, /tickets/peek, /tickets/next: the most urgent first; next takes what peek showed
      const size = await get("/queue/size");
      expect(size.status).toBe(200);
      expect(size.json.size).toBeGreaterThanOrEqual(1);
      const queue = (await get("/queue")).json as any[];
      expect(queue.map((t) => t.ticket_id)).toContain(T1);
      const peek = await get("/tickets/peek");
      expect(peek.status).toBe(200);
      expect(peek.json.ticket_id).toBe(queue[0].ticket_id);
      const next = await call("GET", "/tickets/next");
      expect(next.status).toBe(200);
      expect(next.json).toMatchObject({ ticket_id: peek.json.ticket_id, category: peek.json.category, urgency_score: peek.json.urgency_score });
      expect((await get(`/tickets/${encodeURIComponent(next.json.ticket_id)}`)).json.status).toBe("popped");
      expect((await get("/queue/size")).json.size).toBe(size.json.size - 1);
      if (next.json.ticket_id === T1) expect((await get(`/agents/${A1}`)).json.current_load).toBe(0);

      // curl -X POST /tickets/batch (no ids: the server makes them)
      const batch = await call(
        "POST",
        "/tickets/batch",
        `[{"subject":"Refund","body":"Charged twice"},{"subject":"Down","body":"API returns 503, urgent"}]`,
      );
      expect(batch.status, batch.text).toBe(202);
      expect(batch.json.accepted).toHaveLength(2);
      for (const a of batch.json.accepted) expect(a).toEqual({ ticket_id: expect.any(String), job_id: expect.any(String), message: "Accepted for processing" });
      const [refundId, downId] = batch.json.accepted.map((a: any) => a.ticket_id as string);
      expect(refundId).not.toBe(downId);
      const refund = await settled(refundId!);
      const down = await settled(downId!);
      expect(refund).toMatchObject({ subject: "Refund", body: "Charged twice", category: "Billing" });
      expect(down).toMatchObject({ subject: "Down", body: "API returns 503, urgent", category: "Technical" });
      // "urgent" in the text: the urgent one outranks the refund
      expect(down.urgency_score).toBeGreaterThan(refund.urgency_score);

      // curl "/queue?limit=10": pop order, most urgent first (a reused target may hold older tickets above
      // ours, so where ours are is read from the whole queue)
      const top = await get("/queue?limit=10");
      expect(top.status).toBe(200);
      expect(top.json.length).toBeLessThanOrEqual(10);
      const whole = (await get("/queue?limit=1000")).json as any[];
      // Same order (fields may move between the two reads: a processed ticket is routed to an agent just after).
      const idsOf = (list: any[]) => list.map((t) => t.ticket_id);
      expect(idsOf(whole.slice(0, top.json.length))).toEqual(idsOf(top.json));
      const ids = whole.map((t) => t.ticket_id);
      expect(ids).toEqual(expect.arrayContaining([refundId, downId]));
      expect(ids.indexOf(downId)).toBeLessThan(ids.indexOf(refundId));
      const urgencies = whole.map((t) => t.urgency_score as number);
      expect(urgencies).toEqual([...urgencies].sort((x, y) => y - x));

      // curl "/activity?limit=20": newest first, our tickets' events in it
      const activity = await eventually(
        async () => {
          const r = await get("/activity?limit=20");
          expect(r.status).toBe(200);
          const ev = r.json.events as any[];
          expect(ev.length).toBeLessThanOrEqual(20);
          const seen = (type: string, id: string) => ev.some((e) => e.type === type && e.data?.ticket_id === id);
          expect(seen("ticket_accepted", downId!) && seen("ticket_processed", downId!)).toBe(true);
          return ev;
        },
        patience(),
        "activity shows the batch",
      );
      // Newest first as recorded. Locally events are recorded in the order they happen; EventBridge does not
      // promise order, so in AWS an event may be recorded after a later one.
      const times = activity.map((e) => Date.parse(e.ts));
      if (target().name === "local") expect(times).toEqual([...times].sort((x, y) => y - x));

      // curl /metrics
      const metrics = await get("/metrics");
      expect(metrics.status).toBe(200);
      expect(metrics.json).toMatchObject({
        circuit_breaker: { state: expect.any(String) },
        master_incidents_count: expect.any(Number),
        open_incidents_count: expect.any(Number),
        online_agents_count: expect.any(Number),
        queue_size: expect.any(Number),
        backlog_size: expect.any(Number),
        tickets_processed_total: expect.any(Number),
      });
      expect(metrics.json.tickets_processed_total).toBeGreaterThanOrEqual(3);
      expect(metrics.json.online_agents_count).toBeGreaterThanOrEqual(1);
      expect(metrics.json.queue_size).toBe((await get("/queue/size")).json.size);

      // curl -X DELETE /queue: queue, assignments' load and backlog gone
      const cleared = await call("DELETE", "/queue");
      expect(cleared).toMatchObject({ status: 200, json: { status: "queue cleared" } });
      expect((await get("/queue/size")).json).toEqual({ size: 0 });
      expect(await get("/tickets/peek")).toMatchObject({ status: 404, json: { detail: "No tickets in queue" } });
      expect((await get(`/agents/${A1}`)).json.current_load).toBe(0);
    });

    it("b. a flash flood of 12 near-identical tickets: one master incident, one master_incident webhook", { timeout }, async () => {
      const t = target();
      const from = t.webhooks.length;
      const floodLaneBefore = (await get("/metrics")).json.tickets_flood_lane_total as number;
      const flood = Array.from({ length: 12 }, (_, i) => `FLOOD-${i + 1}-${run}`);
      // The walkthrough's flood, made urgent (S ≈ 0.99, where the seed's text scores ≈ 0.45) so that "no
      // high_urgency alert for a linked ticket" is something this test can catch, and near-identical rather
      // than identical (each text gets its own embedding; cosine, not string equality, must group them).
      // Sent as one batch: the worker sees the flood together and the incident holds all 12 from its creation.
      // One by one, each of the first 10 is processed before any incident exists and alerts on its own
      // (contract: high_urgency = S > 0.8 and not linked *when processed*).
      const batch = await call(
        "POST",
        "/tickets/batch",
        flood.map((ticket_id, i) => ({
          ticket_id,
          subject: "Checkout down",
          body: `Checkout returns 503 for everyone, we are losing orders every minute, urgent! (report ${i + 1})`,
        })),
      );
      expect(batch.status, batch.text).toBe(202);
      expect(batch.json.accepted.map((a: any) => a.ticket_id)).toEqual(flood);

      // curl /incidents
      const incident = await eventually(
        async () => {
          const r = await get("/incidents?limit=50");
          expect(r.status).toBe(200);
          const ours = (r.json as any[]).filter((i) => i.ticket_ids.some((id: string) => flood.includes(id)));
          expect(ours).toHaveLength(1);
          expect([...ours[0].ticket_ids].sort()).toEqual([...flood].sort());
          return ours[0];
        },
        patience(),
        "one incident holding the 12 flood tickets",
      );
      ourIncidents.push(incident.incident_id);
      expect(incident).toMatchObject({ summary: "Checkout down", category: "Technical", ticket_count: 12, status: "open" });
      expect(flood).toContain(incident.root_ticket_id);
      expect((await get(`/incidents/${incident.incident_id}`)).json).toMatchObject({ incident_id: incident.incident_id, ticket_count: 12 });
      for (const id of flood) {
        const ticket = await settled(id);
        expect(ticket.incident_id, id).toBe(incident.incident_id);
      }
      // At least the 11th and 12th shared their flood bands with more than 10 tickets: intake sent them to the
      // flood lane (in AWS its own queue and event source), and they were classified and linked like the rest.
      expect((await get("/metrics")).json.tickets_flood_lane_total - floodLaneBefore).toBeGreaterThanOrEqual(2);

      // The incident's one alert, and none for its tickets
      await eventually(
        async () => deliveries(from).some((d) => d.body?.type === "master_incident" && d.body.incident?.incident_id === incident.incident_id),
        patience(),
        "the master_incident webhook",
      );
      await settle();
      const after = deliveries(from);
      const masters = after.filter((d) => d.body?.type === "master_incident");
      expect(masters).toHaveLength(1);
      expect(masters[0]!.body.incident).toMatchObject({ incident_id: incident.incident_id, summary: "Checkout down", category: "Technical" });
      // The incident as it was created: all 12 when the worker got the batch at once (locally, always); 11 if
      // the queue split the batch so that the 11th made the incident and the 12th joined it afterwards.
      expect(masters[0]!.body.incident.ticket_count).toBeGreaterThanOrEqual(11);
      expect(masters[0]!.body.incident.ticket_count).toBeLessThanOrEqual(12);
      // A ticket alerts on its own only if no incident existed when it was deduplicated (contract: high_urgency
      // = S > 0.8 and not linked when processed), so at most the first 10 can. Locally the worker gets the batch
      // whole: none does. In AWS the intake queue's pollers may split it (SQS hands out at most 10 per receive,
      // several pollers receive at once) and a part processed before the incident alerts — as it would in AWS.
      const alertsForFlood = after.filter((d) => d.body?.type === "high_urgency" && flood.includes(d.body.ticket?.ticket_id));
      expect(alertsForFlood.length).toBeLessThanOrEqual(10);
      expect(new Set(alertsForFlood.map((d) => d.body.ticket.ticket_id)).size).toBe(alertsForFlood.length);
      if (t.name === "local") expect(alertsForFlood.map((d) => d.body.ticket.ticket_id)).toEqual([]);

      // curl -X POST /incidents/<incident_id>/resolve
      const resolved = await call("POST", `/incidents/${incident.incident_id}/resolve`);
      expect(resolved.status, resolved.text).toBe(200);
      expect(resolved.json).toMatchObject({ incident_id: incident.incident_id, status: "resolved" });
      expect((await get(`/incidents/${incident.incident_id}`)).json.status).toBe("resolved");
    });

    it("c. routes a billing ticket to the billing agent and a technical one to the tech agent", { timeout }, async () => {
      // Only this scenario's agents online: the walkthrough's A1 (tech 0.9, billing 0.1) would compete.
      for (const id of ourAgents) expect((await call("PATCH", `/agents/${id}`, { status: "offline" })).status).toBe(200);
      const billing = await registerAgent({
        agent_id: `BILL-${run}`,
        display_name: "Billing desk",
        skill_vector: { tech: 0, billing: 1, legal: 0 },
        max_concurrent_tickets: 5,
      });
      const tech = await registerAgent({
        agent_id: `TECH-${run}`,
        display_name: "Tech desk",
        skill_vector: { tech: 1, billing: 0, legal: 0 },
        max_concurrent_tickets: 5,
      });
      const billId = `ROUTE-BILL-${run}`;
      const techId = `ROUTE-TECH-${run}`;
      for (const body of [
        {
          ticket_id: billId,
          subject: "Charged twice for my subscription",
          body: "My credit card was billed twice for this month's invoice. Please refund the duplicate payment.",
        },
        {
          ticket_id: techId,
          subject: "App crashes on startup",
          body: "Since the latest update the mobile app crashes with an error every time I open it, even after reinstalling.",
        },
      ]) {
        const r = await call("POST", "/tickets", body);
        expect(r.status, r.text).toBe(202);
      }
      const billTicket = await settled(billId, "assigned");
      const techTicket = await settled(techId, "assigned");
      expect(billTicket).toMatchObject({ category: "Billing", agent_id: billing.agent_id });
      expect(techTicket).toMatchObject({ category: "Technical", agent_id: tech.agent_id });
      expect((await get(`/agents/${billing.agent_id}/tickets`)).json.ticket_ids).toEqual([billId]);
      expect((await get(`/agents/${tech.agent_id}/tickets`)).json.ticket_ids).toEqual([techId]);
      expect((await get(`/agents/${billing.agent_id}`)).json.current_load).toBe(1);
      expect((await get(`/agents/${tech.agent_id}`)).json.current_load).toBe(1);
    });

    it("d. an urgent ticket's high_urgency webhook carries a valid HMAC signature", { timeout }, async () => {
      const t = target();
      const id = `URGENT-${run}`;
      const r = await call("POST", "/tickets", {
        ticket_id: id,
        subject: "Production is down",
        body: "Production is down for all customers, we are losing money every minute, fix ASAP",
      });
      expect(r.status, r.text).toBe(202);
      const ticket = await settled(id);
      expect(ticket.urgency_score).toBeGreaterThan(0.8);
      expect(ticket.is_urgent).toBe(true);
      expect(ticket.incident_id).toBeNull();

      const delivery = await eventually(
        async () => deliveries().find((d) => d.body?.type === "high_urgency" && d.body.ticket?.ticket_id === id),
        patience(),
        `high_urgency webhook for ${id}`,
      );
      expect(delivery.body).toMatchObject({
        type: "high_urgency",
        ticket: { ticket_id: id, category: ticket.category, urgency_score: ticket.urgency_score, is_urgent: true },
        sent_at: expect.any(String),
      });
      expect(header(delivery.raw, "X-SmartSupport-Delivery")).toBe(`high_urgency:${id}`);
      const signature = header(delivery.raw, "X-SmartSupport-Signature");
      expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(signature).toBe(hmac(t.webhookSecret, delivery.raw.body));
      // A body changed in transit, or signed with another secret, does not verify.
      const tampered = delivery.raw.body.replace(`"ticket_id":"${id}"`, `"ticket_id":"${id}-forged"`);
      expect(tampered).not.toBe(delivery.raw.body);
      expect(hmac(t.webhookSecret, tampered)).not.toBe(signature);
      expect(hmac(`${t.webhookSecret}x`, delivery.raw.body)).not.toBe(signature);

      await settle();
      expect(deliveries().filter((d) => d.body?.type === "high_urgency" && d.body.ticket?.ticket_id === id)).toHaveLength(1);
    });

    it("e. a poison message reaches the dead-letter queue, and good tickets still flow", { timeout }, async () => {
      const t = target();
      const poison = `not json { ${run}`;
      await t.sendPoison(poison);
      await eventually(async () => (await t.deadLetters()).includes(poison), patience(), "poison message in the DLQ");
      expect((await t.deadLetters()).filter((b) => b === poison)).toHaveLength(1);

      const id = `AFTER-POISON-${run}`;
      const r = await call("POST", "/tickets", { ticket_id: id, subject: "Invoice copy", body: "Could you send me a copy of last month's invoice?" });
      expect(r.status, r.text).toBe(202);
      const ticket = await settled(id);
      expect(ticket).toMatchObject({ ticket_id: id, category: "Billing" });
      expect((await t.deadLetters()).some((b) => b.includes(id))).toBe(false);
    });
  });
}
