// Every key starts with REDIS_PREFIX so tests and deployments can share a server; all carry the hash tag
// {ss} because Lua scripts touch several of them at once and must stay valid on Redis Cluster.
//
// Ids (tickets, agents, incidents) may hold any character, so an id never goes into a key as it is: it is
// percent-encoded byte by byte (its UTF-8 bytes outside [A-Za-z0-9._-] become %XX, upper-case hex, and so
// does "%" itself). The encoding is injective and its output holds no ":", "{", "}" or "*": an encoded id
// is exactly one ":"-separated segment of its key, so `agent:<id>:tickets` can never be `agent:<other id>`,
// no id can carry a hash tag, and a glob over the prefix cannot be widened by an id. Ordinary ids (T-1, A1,
// inc_…) stay readable in redis-cli. The Lua scripts encode with the same rule (lua/includes/keys.lua); a
// test checks both agree on every byte.

const SAFE = /^[A-Za-z0-9._-]*$/;
const HEX = "0123456789ABCDEF";

/** The id as it appears inside a key. */
export function encodeId(id: string): string {
  if (SAFE.test(id)) return id;
  let out = "";
  for (const b of Buffer.from(id, "utf8")) {
    const safe = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x5f || b === 0x2d;
    out += safe ? String.fromCharCode(b) : `%${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

/** The id an encoded key segment stands for. */
export const decodeId = (segment: string): string => decodeURIComponent(segment);

export function makeKeys(prefix: string) {
  const k = (name: string) => `${prefix}{ss}:${name}`;
  return {
    /** Prefixes handed to Lua scripts, which append encode(id) (lua/includes/keys.lua) — never a raw id. */
    ticketPrefix: k("ticket:"),
    agentPrefix: k("agent:"),
    incidentPrefix: k("incident:"),
    ticket: (id: string) => k(`ticket:${encodeId(id)}`),
    agent: (id: string) => k(`agent:${encodeId(id)}`),
    agentTickets: (id: string) => k(`agent:${encodeId(id)}:tickets`),
    /** An agent's pending offers: zset, member ticket id, score offered ms (lua: offers_of in includes/assignment.lua). */
    agentOffers: (id: string) => k(`agent:${encodeId(id)}:offers`),
    incident: (id: string) => k(`incident:${encodeId(id)}`),
    incidentTickets: (id: string) => k(`incident:${encodeId(id)}:tickets`),
    seq: k("seq"),
    queue: k("queue"),
    counters: k("counters"),
    activity: k("activity"),
    breaker: k("breaker"),
    /** The intake queue's two lanes (local runtime): tickets of a flood in progress wait in their own. */
    intake: k("intake"),
    intakeFlood: k("intake:flood"),
    intakeDlq: k("intake:dlq"),
    /** Flood-band counters (domain/flood-bands.ts): a hash per minute, "<prefix><minute>", a field per band. */
    laneBandPrefix: k("lanes:band:"),
    dedupLog: k("dedup:log"),
    incidents: k("incidents"),
    openIncidents: k("incidents:open"),
    incidentVectors: k("incidents:vectors"),
    incidentsVersion: k("incidents:version"),
    agents: k("agents"),
    assignments: k("assignments"),
    backlog: k("backlog"),
    /** Pending offers' deadlines: zset, member ticket id, score deadline ms; swept by sweepExpiredOffers. */
    offerDeadlines: k("offers:deadlines"),
    // Every event passes through the outbox (store/outbox.ts); what no target could take goes to its DLQ.
    outbox: k("outbox"),
    outboxDlq: k("outbox:dlq"),
    // Heads versions (store/head-versions.ts): a metadata hash per version and its weights (heads JSON) beside
    // it; the versions zset (score: the version's number), the counter of retrained versions, the active id.
    headsVersionPrefix: k("heads:version:"),
    headsVersion: (id: string) => k(`heads:version:${encodeId(id)}`),
    headsWeights: (id: string) => k(`heads:version:${encodeId(id)}:weights`),
    headsVersions: k("heads:versions"),
    headsSeq: k("heads:seq"),
    headsActive: k("heads:active"),
    /** Retrain jobs delivered too many times (their worker died each time): store/retrain-jobs.ts. */
    retrainJobsDlq: k("retrain:jobs:dlq"),
    /**
     * Retrain jobs: stream, fields job_id, reason ("corrections" | "manual"), requested_at; record-correction.lua
     * appends one every LEARNING_RETRAIN_EVERY corrections, the retrain workers read it with XREADGROUP.
     */
    retrainJobs: k("retrain:jobs"),
    // Agents' corrections (store/corrections.ts): hash ticket id → record JSON; hash ticket id → embedding
    // (base64 float32, absent until known); zset ticket id → record seq (oldest first, dropped first); zset
    // ticket id → seq of its last change (mirrors sync by it); hash seq, since_retrain.
    corrections: k("corrections"),
    correctionEmbeddings: k("corrections:embeddings"),
    correctionOrder: k("corrections:order"),
    correctionChanges: k("corrections:changes"),
    correctionState: k("corrections:state"),
  };
}
export type Keys = ReturnType<typeof makeKeys>;
