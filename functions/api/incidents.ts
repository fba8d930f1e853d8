import { z } from "zod";
import { ErrorBody, IncidentsQuery, MasterIncident } from "../../layers/core/domain/schemas.js";
import { getIncident, incidentsPage, resolve } from "../../layers/core/services/incidents.js";
import { json, route } from "./http.js";
import { listReply } from "./pagination.js";

const unknown = { description: "Unknown incident", schema: ErrorBody };

export const list = route(
  {
    method: "GET",
    path: "/incidents",
    name: "listIncidents",
    summary: "Master incidents, newest first; more pages via the Link header (rel=\"next\")",
    query: IncidentsQuery,
    responses: { 200: { description: "Incidents", schema: z.array(MasterIncident) } },
  },
  async (rt, { query, event }) => {
    const page = await incidentsPage(rt, query.limit, query.status, query.cursor);
    return listReply(event, page.items, page.next);
  },
);

export const get = route(
  {
    method: "GET",
    path: "/incidents/{incident_id}",
    name: "getIncident",
    summary: "One master incident with its linked tickets",
    responses: { 200: { description: "The incident", schema: MasterIncident }, 404: unknown },
  },
  async (rt, { params }) => json(200, await getIncident(rt, z.string().parse(params.incident_id))),
);

export const resolveIncident = route(
  {
    method: "POST",
    path: "/incidents/{incident_id}/resolve",
    name: "resolveIncident",
    summary: "Resolve an incident: it takes no new tickets; one incident_resolved webhook (resolving twice is harmless)",
    auth: true,
    responses: { 200: { description: "The resolved incident", schema: MasterIncident }, 404: unknown },
  },
  async (rt, { params }) => json(200, await resolve(rt, z.string().parse(params.incident_id))),
);
