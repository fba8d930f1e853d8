import { randomUUID } from "node:crypto";
import type { Classification } from "../../domain/classification.js";
import { decideDedup, type DedupSpace } from "../../domain/dedup.js";
import { LEXICAL_DIM, lexicalSignature } from "../../domain/lexical.js";
import { dot } from "../../domain/vectors.js";
import { EMBEDDING_DIM } from "../../ml/dimensions.js";
import type { SimilaritySearch } from "../../ml/similarity.js";
import type { BusEvent } from "../../ports/event-bus.js";
import type { Runtime } from "../../runtime.js";
import { readWindow, windowAppend } from "../../store/dedup-window.js";
import { dedupApply, incidentsVersion, readOpenIncidentVectors } from "../../store/incidents.js";
import { packVector, SpaceMirror, unpackVector, type WindowMirror } from "./window-mirror.js";

export interface DedupInput {
  ticket_id: string;
  subject: string;
  /** subject + " " + body: what the lexical signature reads when there is no embedding. */
  text: string;
  classification: Classification;
}

export interface DedupResult {
  /** Incident of every ticket of the batch (or linked by it) that is now in one. */
  incidentOf: Map<string, string>;
}

const SYNC_PAGE = 5_000;

/**
 * Flash-flood suppression (DESIGN §5) for one batch. The window lives in Redis (the dedup log); this
 * process keeps a mirror of it, brought up to date before every search, so a search never fetches vectors
 * from Redis. Decisions are pure (domain/dedup.ts); incidents are created and linked only by a Lua script.
 */
export class Deduplicator {
  private readonly mirror: WindowMirror = {
    semantic: new SpaceMirror(EMBEDDING_DIM),
    lexical: new SpaceMirror(LEXICAL_DIM),
  };
  private lastId: string | undefined;
  private incidentsVersion: string | null | undefined;
  private openIncidents: { incident_id: string; space: DedupSpace; vector: Float32Array }[] = [];

  constructor(
    private readonly rt: Pick<Runtime, "config" | "redis" | "keys">,
    private readonly search: () => Promise<SimilaritySearch>,
  ) {}

  private get windowMs() {
    return this.rt.config.DEDUP_WINDOW_SECONDS * 1000;
  }

  private threshold(space: DedupSpace) {
    return space === "semantic" ? this.rt.config.DEDUP_SIM_THRESHOLD : this.rt.config.DEDUP_LEXICAL_THRESHOLD;
  }

  /** Brings the mirror up to the log's end: a cold process loads the whole window once, then only what is new. */
  async sync(): Promise<void> {
    const now = Date.now();
    let from = this.lastId ? `(${this.lastId}` : `${now - this.windowMs}-0`;
    for (;;) {
      const page = await readWindow(this.rt, from, SYNC_PAGE);
      for (const { id, ticket_id, space, vector } of page) {
        const mirror = this.mirror[space as DedupSpace];
        if (ticket_id && mirror) mirror.add(ticket_id, Number(id.split("-")[0]), unpackVector(vector));
        this.lastId = id;
      }
      if (page.length < SYNC_PAGE) break;
      from = `(${this.lastId}`;
    }
    for (const m of Object.values(this.mirror)) m.expire(now - this.windowMs);

    if ((await incidentsVersion(this.rt)) !== this.incidentsVersion) {
      const { version, vectors } = await readOpenIncidentVectors(this.rt);
      this.openIncidents = vectors.flatMap(({ incident_id, packed }) => {
        const [space, vec] = (packed ?? "").split("|");
        return space && vec ? [{ incident_id, space: space as DedupSpace, vector: unpackVector(vec) }] : [];
      });
      this.incidentsVersion = version;
    }
  }

  /** The number of window tickets the mirror holds, per space. */
  windowSize(): Record<DedupSpace, number> {
    return { semantic: this.mirror.semantic.size, lexical: this.mirror.lexical.size };
  }

  async process(batch: DedupInput[]): Promise<DedupResult> {
    const result: DedupResult = { incidentOf: new Map() };
    if (batch.length === 0) return result;
    const items = batch.map((t) => {
      const semantic = t.classification.embedding;
      const space: DedupSpace = semantic ? "semantic" : "lexical";
      return { ...t, space, vector: semantic ?? lexicalSignature(t.text) };
    });
    // Log first, then sync: the batch sees itself, and of two workers logging at once the later syncer
    // sees both batches.
    await windowAppend(
      this.rt.redis,
      this.rt.keys,
      this.windowMs,
      items.map((it) => ({ ticket_id: it.ticket_id, space: it.space, vector: packVector(it.vector) })),
    );
    await this.sync();

    // An open incident that matches settles a ticket without a window search (during a flood, that is
    // nearly every ticket); n(t) is computed for the others only.
    const withBest = items.map((it) => ({ it, best: this.bestIncident(it.space, it.vector) }));
    const similar = await this.neighbours(withBest.filter(({ best }) => !best).map(({ it }) => it));
    for (const { it, best } of withBest) {
      if (result.incidentOf.has(it.ticket_id)) continue; // linked by an earlier ticket of this batch
      await this.decide(it, best, similar.get(it.ticket_id) ?? [], result);
    }
    return result;
  }

  /** n(t): for every ticket, the window tickets (itself excluded) above its space's threshold. */
  async neighbours(items: { ticket_id: string; space: DedupSpace; vector: Float32Array }[]) {
    const out = new Map<string, string[]>();
    const search = await this.search();
    for (const space of ["semantic", "lexical"] as const) {
      const mine = items.filter((it) => it.space === space);
      if (!mine.length) continue;
      const window = this.mirror[space].view();
      const pairs = await search.pairs(mine.map((it) => it.vector), window, this.threshold(space));
      for (const it of mine) out.set(it.ticket_id, []);
      for (const [q, row] of pairs) {
        const id = window.idAt(row);
        if (id !== mine[q]!.ticket_id) out.get(mine[q]!.ticket_id)!.push(id);
      }
    }
    return out;
  }

  private bestIncident(space: DedupSpace, vector: Float32Array) {
    let best: { incident_id: string; similarity: number } | null = null;
    for (const inc of this.openIncidents) {
      if (inc.space !== space) continue;
      const similarity = dot(inc.vector, vector);
      if (similarity > this.threshold(space) && (!best || similarity > best.similarity)) best = { incident_id: inc.incident_id, similarity };
    }
    return best;
  }

  private async decide(
    it: DedupInput & { space: DedupSpace; vector: Float32Array },
    initialBest: { incident_id: string; similarity: number } | null,
    initiallySimilar: string[],
    result: DedupResult,
  ): Promise<void> {
    const { redis, keys, config } = this.rt;
    // An incident created by an earlier ticket of this batch counts too.
    let best = initialBest ?? this.bestIncident(it.space, it.vector);
    let similar = initiallySimilar;
    for (;;) {
      const decision = decideDedup(it.ticket_id, { similar, bestIncident: best }, config.DEDUP_MIN_COUNT);
      if (decision.action === "none") return;
      const now = new Date();
      const applied = await dedupApply(
        redis,
        keys,
        it.ticket_id,
        decision.action === "link"
          ? decision
          : {
              action: "create",
              incident_id: `inc_${randomUUID()}`,
              summary: it.subject,
              category: it.classification.category,
              space: it.space,
              vector: packVector(it.vector),
              members: decision.members,
            },
        now,
      );
      if (applied.outcome === "closed") {
        // Resolved since our mirror looked: forget it and decide again without it.
        this.openIncidents = this.openIncidents.filter((i) => i.incident_id !== best?.incident_id);
        best = this.bestIncident(it.space, it.vector);
        // The window was not searched for a ticket that had an incident to join; it is now.
        if (!best) similar = (await this.neighbours([it])).get(it.ticket_id) ?? [];
        continue;
      }
      const { incident_id, newlyLinked, ticketIncident } = applied;
      // The script appended its events (creation, the one master alert, links) to the outbox itself.
      if (applied.outcome === "created") this.openIncidents.push({ incident_id, space: it.space, vector: it.vector });
      for (const id of newlyLinked) result.incidentOf.set(id, incident_id);
      if (ticketIncident) result.incidentOf.set(it.ticket_id, ticketIncident);
      return;
    }
  }
}
