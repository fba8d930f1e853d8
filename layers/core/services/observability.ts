import type { BreakerView } from "../domain/schemas.js";
import type { Runtime } from "../runtime.js";
import { intakeDeadLetters, ping, readBreaker, readCounters } from "../store/metrics.js";
import { backlogSize, queueSize } from "../store/queue.js";
import { StoreUnavailableError } from "../store/redis-port.js";
import { listAgents } from "./agents.js";
import { incidentCounts } from "./incidents.js";
import { activeModelVersion } from "./models.js";

export async function breakerView(rt: Runtime): Promise<BreakerView> {
  const h = await readBreaker(rt);
  const openedAt = Number(h.opened_at_ms ?? 0);
  return {
    state: (h.state as BreakerView["state"] | undefined) ?? "closed",
    opened_at: openedAt ? new Date(openedAt).toISOString() : null,
    half_open_probes: Number(h.probes_in_flight ?? 0),
  };
}

export type Health =
  | { status: "ok"; redis: "ok"; circuit_breaker: BreakerView }
  | { status: "degraded"; redis: "unreachable"; detail: string; circuit_breaker: null };

export async function health(rt: Runtime): Promise<Health> {
  try {
    await ping(rt);
    return { status: "ok", redis: "ok", circuit_breaker: await breakerView(rt) };
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    return { status: "degraded", redis: "unreachable", detail: err.message, circuit_breaker: null };
  }
}

/** Per-minute counts the dashboard charts: the last half hour, oldest first. */
const THROUGHPUT_MINUTES = 30;

export async function metrics(rt: Runtime) {
  const [circuit_breaker, incidents, agents, backlog_size, counters, queue_size, dead_letters, heads_version] = await Promise.all([
    breakerView(rt),
    incidentCounts(rt),
    listAgents(rt),
    backlogSize(rt),
    readCounters(rt),
    queueSize(rt),
    intakeDeadLetters(rt),
    activeModelVersion(rt),
  ]);
  const count = (name: string) => Number(counters[name] ?? 0);
  const now = Math.floor(Date.now() / 60_000);
  const throughput = Array.from({ length: THROUGHPUT_MINUTES }, (_, i) => {
    const m = now - THROUGHPUT_MINUTES + 1 + i;
    const transformer = count(`transformer:${m}`);
    const baseline = count(`baseline:${m}`);
    return { minute: new Date(m * 60_000).toISOString(), accepted: count(`accepted:${m}`), processed: transformer + baseline, transformer, baseline };
  });
  return {
    circuit_breaker,
    ...incidents,
    online_agents_count: agents.filter((a) => a.status === "online").length,
    agents_count: agents.length,
    queue_size,
    backlog_size,
    tickets_accepted_total: count("tickets_accepted_total"),
    tickets_processed_total: count("tickets_processed_total"),
    tickets_popped_total: count("tickets_popped_total"),
    tickets_resolved_total: count("tickets_resolved_total"),
    // Tickets intake sent to the flood lane (README "Flood lanes").
    tickets_flood_lane_total: count("tickets_flood_lane_total"),
    intake_dead_letters: dead_letters,
    // The heads version every worker scores with (README "Learning from corrections").
    heads_version,
    throughput,
  };
}
