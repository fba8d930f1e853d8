import { api, ApiError, describe } from "../api.js";
import { byId, h, onAction, onSubmit, setAttrs, setText, syncList } from "../dom.js";
import type { Agent, Snapshot } from "../types.js";

const SKILLS = ["tech", "billing", "legal"] as const;

/**
 * Agents: load vs capacity, online/offline switch, "View" (the agent's tickets in the Agent view) and the
 * register form (POST /agents).
 */
export function setupAgents(refresh: () => void, view: (agentId: string) => void): (s: Snapshot) => void {
  const list = byId("agents-list");
  const empty = byId("agents-empty");
  const msg = byId("agents-msg");
  const say = (text: string, error = false) => {
    msg.textContent = text;
    msg.classList.toggle("error", error);
  };

  const create = (a: Agent) => {
    const toggle = h("button", { type: "button", class: "switch", role: "switch" }, h("span", { class: "knob", "aria-hidden": "true" }), h("span", { class: "label" }));
    onAction(toggle, async () => {
      const next = toggle.getAttribute("aria-checked") === "true" ? "offline" : "online";
      try {
        const updated = await api<Agent>("PATCH", `/agents/${encodeURIComponent(a.agent_id)}`, { status: next });
        say(`${updated.display_name || updated.agent_id} is ${updated.status}.`);
        refresh();
      } catch (err) {
        say(describe(err), true);
      }
    });
    const show = h("button", { type: "button", class: "small view" }, "View");
    show.addEventListener("click", () => view(a.agent_id));
    return h(
      "li",
      { class: "agent" },
      h("div", { class: "agent-top" }, h("span", { class: "name" }), h("span", { class: "aid mono" }), toggle),
      h(
        "div",
        { class: "load" },
        h("span", { class: "bar", role: "meter", "aria-valuemin": 0 }, h("span", { class: "fill" })),
        h("span", { class: "num mono" }),
      ),
      h("div", { class: "agent-bottom" }, h("span", { class: "meta skills-line" }), show),
    );
  };

  const update = (el: HTMLElement, a: Agent) => {
    const q = (sel: string) => el.querySelector(sel) as HTMLElement;
    el.dataset.status = a.status;
    setText(q(".name"), a.display_name || a.agent_id);
    setText(q(".aid"), a.agent_id);
    const toggle = q(".switch");
    setAttrs(toggle, { "aria-checked": String(a.status === "online"), "aria-label": `${a.display_name || a.agent_id} online` });
    setText(q(".switch .label"), a.status === "online" ? "Online" : "Offline");
    const bar = q(".bar");
    const share = a.max_concurrent_tickets ? a.current_load / a.max_concurrent_tickets : 0;
    setAttrs(bar, {
      "aria-valuemax": a.max_concurrent_tickets,
      "aria-valuenow": a.current_load,
      "aria-label": `Load ${a.current_load} of ${a.max_concurrent_tickets}`,
    });
    bar.dataset.level = share >= 1 ? "full" : share >= 0.75 ? "high" : "ok";
    q(".fill").style.width = `${Math.min(100, Math.round(share * 100))}%`;
    setText(q(".num"), `${a.current_load} / ${a.max_concurrent_tickets}`);
    setText(q(".skills-line"), SKILLS.map((k) => `${k} ${a.skill_vector[k].toFixed(2)}`).join(" · "));
    q(".view").setAttribute("aria-label", `View ${a.display_name || a.agent_id}'s tickets`);
  };

  setupRegisterForm(refresh);

  return (s) => {
    setText(byId("agents-online"), `${s.metrics.online_agents_count} / ${s.agents.length}`);
    const agents = [...s.agents].sort((a, b) => a.agent_id.localeCompare(b.agent_id));
    syncList(list, agents, (a) => a.agent_id, create, update);
    empty.hidden = agents.length > 0;
  };
}

function setupRegisterForm(refresh: () => void): void {
  const form = byId<HTMLFormElement>("agent-form");
  const error = byId("agent-form-error");
  const input = (id: string) => byId<HTMLInputElement>(id);
  for (const k of SKILLS) {
    const range = input(`skill-${k}`);
    const out = byId<HTMLOutputElement>(`skill-${k}-out`);
    range.addEventListener("input", () => (out.value = Number(range.value).toFixed(2)));
  }
  // Which input a 422 field error points at ("body.skill_vector.tech" → the tech slider).
  const fieldInputs: [string, string[]][] = [
    ["agent_id", ["agent-id"]],
    ["display_name", ["agent-name"]],
    ["max_concurrent_tickets", ["agent-capacity"]],
    ["skill_vector", SKILLS.map((k) => `skill-${k}`)],
  ];

  onSubmit(form, async () => {
    error.textContent = "";
    form.querySelectorAll("[aria-invalid]").forEach((el) => {
      el.removeAttribute("aria-invalid");
      el.removeAttribute("aria-describedby");
    });
    const capacity = input("agent-capacity").value.trim();
    const body = {
      agent_id: input("agent-id").value.trim(),
      ...(input("agent-name").value.trim() ? { display_name: input("agent-name").value.trim() } : {}),
      skill_vector: Object.fromEntries(SKILLS.map((k) => [k, Number(input(`skill-${k}`).value)])),
      max_concurrent_tickets: capacity === "" ? null : Number(capacity),
    };
    try {
      const a = await api<Agent>("POST", "/agents", body);
      byId("agents-msg").textContent = `Registered ${a.display_name || a.agent_id} (${a.agent_id}), capacity ${a.max_concurrent_tickets}.`;
      byId("agents-msg").classList.remove("error");
      input("agent-id").value = "";
      input("agent-name").value = "";
      refresh();
    } catch (err) {
      error.textContent = describe(err);
      if (err instanceof ApiError) {
        for (const { field } of err.errors)
          for (const [name, ids] of fieldInputs)
            if (field.includes(name))
              for (const id of ids) setAttrs(input(id), { "aria-invalid": "true", "aria-describedby": "agent-form-error" });
      }
    }
  });
}
