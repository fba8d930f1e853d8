import { z } from "zod";
import { ActivityEvent, BreakerView, PageQuery } from "../../layers/core/domain/schemas.js";
import { activityPage } from "../../layers/core/services/activity.js";
import { health, metrics } from "../../layers/core/services/observability.js";
import { json, route } from "./http.js";
import { listReply } from "./pagination.js";

export const healthCheck = route(
  {
    method: "GET",
    path: "/health",
    name: "health",
    summary: "Liveness, Redis reachability and the circuit breaker",
    responses: {
      200: { description: "Healthy", schema: z.object({ status: z.literal("ok"), redis: z.literal("ok"), circuit_breaker: BreakerView }) },
      503: { description: "Redis unreachable", schema: z.object({ status: z.literal("degraded"), detail: z.string() }) },
    },
  },
  async (rt) => {
    const h = await health(rt);
    return json(h.status === "ok" ? 200 : 503, h);
  },
);

export const metricsView = route(
  {
    method: "GET",
    path: "/metrics",
    name: "metrics",
    summary: "Counters and gauges of the whole system",
    responses: { 200: { description: "Metrics", schema: z.record(z.string(), z.unknown()) } },
  },
  async (rt) => json(200, await metrics(rt)),
);

export const activity = route(
  {
    method: "GET",
    path: "/activity",
    name: "activity",
    summary: "Recent events, newest first; more pages via the Link header (rel=\"next\")",
    query: PageQuery(100, 1000),
    responses: { 200: { description: "Events", schema: z.object({ events: z.array(ActivityEvent) }) } },
  },
  async (rt, { query, event }) => {
    const page = await activityPage(rt, query.limit, query.cursor);
    return listReply(event, { events: page.items }, page.next);
  },
);
