import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { oneHot } from "../../layers/core/domain/classification.js";
import { rankAgents, routingScore, ticketSkillVector, type AgentState } from "../../layers/core/domain/routing.js";

const agent = (agent_id: string, tech: number, billing: number, legal: number, load = 0, cap = 10, status: "online" | "offline" = "online"): AgentState => ({
  agent_id,
  skill_vector: { tech, billing, legal },
  max_concurrent_tickets: cap,
  current_load: load,
  status,
});
const best = (category: "Technical" | "Billing" | "Legal", agents: AgentState[]) =>
  rankAgents(ticketSkillVector(oneHot(category)), agents, 0.1)[0]?.agent_id;

describe("routing score", () => {
  it("sends a Technical ticket to the tech specialist and a Billing one to the billing specialist", () => {
    const agents = [agent("tech", 0.9, 0.1, 0), agent("bill", 0.1, 0.9, 0), agent("law", 0, 0.1, 0.9)];
    expect(best("Technical", agents)).toBe("tech");
    expect(best("Billing", agents)).toBe("bill");
    expect(best("Legal", agents)).toBe("law");
  });

  it("prefers the less loaded of two equally skilled agents", () => {
    expect(best("Technical", [agent("busy", 0.9, 0.1, 0, 6), agent("free", 0.9, 0.1, 0, 1)])).toBe("free");
  });

  it("breaks exact ties by lower load, then agent id", () => {
    expect(best("Technical", [agent("b", 1, 0, 0, 0, 10), agent("a", 1, 0, 0, 0, 10)])).toBe("a");
    // Same score (load/capacity equal) but different absolute load: the lower load wins.
    expect(best("Technical", [agent("a", 1, 0, 0, 2, 10), agent("b", 1, 0, 0, 1, 5)])).toBe("b");
  });

  it("skips offline and full agents", () => {
    expect(best("Technical", [agent("off", 1, 0, 0, 0, 5, "offline"), agent("full", 1, 0, 0, 5, 5), agent("ok", 0, 1, 0)])).toBe("ok");
    expect(best("Technical", [agent("off", 1, 0, 0, 0, 5, "offline")])).toBeUndefined();
  });

  it("is cosine minus the load penalty", () => {
    const t = ticketSkillVector({ Technical: 1, Billing: 0, Legal: 0 });
    expect(routingScore(t, agent("x", 1, 0, 0, 5, 10), 0.1)).toBeCloseTo(1 - 0.05);
    expect(routingScore(t, agent("x", 0, 1, 0, 0, 10), 0.1)).toBeCloseTo(0);
  });

  it("always picks the argmax of the score among eligible agents", () => {
    const skill = fc.double({ min: 0, max: 1, noNaN: true });
    const arbAgent = fc
      .record({ tech: skill, billing: skill, legal: skill, cap: fc.integer({ min: 1, max: 10 }), load: fc.integer({ min: 0, max: 12 }), online: fc.boolean() })
      .filter((a) => a.tech + a.billing + a.legal > 0);
    const probs = fc.tuple(skill, skill, skill).filter(([a, b, c]) => a + b + c > 0);
    fc.assert(
      fc.property(fc.array(arbAgent, { minLength: 1, maxLength: 8 }), probs, fc.double({ min: 0, max: 1, noNaN: true }), (raw, [b, t, l], penalty) => {
        const agents = raw.map((a, i) => agent(`a${i}`, a.tech, a.billing, a.legal, a.load, a.cap, a.online ? "online" : "offline"));
        const needs = ticketSkillVector({ Billing: b, Technical: t, Legal: l });
        const eligible = agents.filter((a) => a.status === "online" && a.current_load < a.max_concurrent_tickets);
        const chosen = rankAgents(needs, agents, penalty)[0];
        if (!eligible.length) {
          expect(chosen).toBeUndefined();
          return;
        }
        const top = Math.max(...eligible.map((a) => routingScore(needs, a, penalty)));
        expect(routingScore(needs, chosen!, penalty)).toBe(top);
      }),
    );
  });
});
