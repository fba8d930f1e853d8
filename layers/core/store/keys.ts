// Every key starts with REDIS_PREFIX so tests and deployments can share a server; all carry the hash tag
// {ss} because Lua scripts touch several of them at once and must stay valid on Redis Cluster.
export function makeKeys(prefix: string) {
  const k = (name: string) => `${prefix}{ss}:${name}`;
  return {
    ticket: (id: string) => k(`ticket:${id}`),
    ticketPrefix: k("ticket:"),
    seq: k("seq"),
    queue: k("queue"),
    counters: k("counters"),
    activity: k("activity"),
    breaker: k("breaker"),
    intake: k("intake"),
    intakeDlq: k("intake:dlq"),
    dedupLog: k("dedup:log"),
    incident: (id: string) => k(`incident:${id}`),
    incidentPrefix: k("incident:"),
    incidentTickets: (id: string) => k(`incident:${id}:tickets`),
    incidents: k("incidents"),
    openIncidents: k("incidents:open"),
    incidentVectors: k("incidents:vectors"),
    incidentsVersion: k("incidents:version"),
    agent: (id: string) => k(`agent:${id}`),
    agentPrefix: k("agent:"),
    agentTickets: (id: string) => k(`agent:${id}:tickets`),
    agents: k("agents"),
    assignments: k("assignments"),
    backlog: k("backlog"),
  };
}
export type Keys = ReturnType<typeof makeKeys>;
