import { randomUUID } from "node:crypto";
import type { Classification } from "../../domain/classification.js";
import { decideDedup, similarityMargin, type DedupSignature, type DedupSpace, type DedupThresholds } from "../../domain/dedup.js";
import { LEXICAL_DIM, lexicalSignature } from "../../domain/lexical.js";
import { EMBEDDING_DIM } from "../../ml/dimensions.js";
import type { SimilaritySearch } from "../../ml/similarity.js";
import type { Runtime } from "../../runtime.js";
import { readWindow, windowAppend } from "../../store/dedup-window.js";
import { dedupApply, incidentsVersion, readOpenIncidentVectors } from "../../store/incidents.js";
import { packRepresentatives, REPRESENTATIVES, spread, unpackRepresentatives } from "./representatives.js";
import { packVector, SpaceMirror, unpackVector, type WindowMirror } from "./window-mirror.js";

export interface DedupInput {
  ticket_id: string;
  subject: string;
  /** subject + " " + body: what the lexical signature reads. */
  text: string;
  classification: Classification;
}

export interface DedupResult {
  /** Incident of every ticket of the batch (or linked by it) that is now in one. */
  incidentOf: Map<string, string>;
}

/** A ticket as the window search sees it: its lexical signature always, its embedding when it has one. */
export interface DedupQuery extends DedupSignature {
  ticket_id: string;
}

type Item = DedupInput & DedupQuery & { lexical: Float32Array };

const SYNC_PAGE = 5_000;
/** Look-alikes whose own nearest open incident a would-be founder checks (bestIncidentNear). */
const NEIGHBOUR_PROBES = 32;
/**
 * How many hops of look-alikes a would-be founder follows to an open incident. A templated flood (order numbers,
 * customers' names) is a chain of look-alikes more than a clique; with 2 hops the two-worker flood test still
 * founded a second incident now and then (dedup.test.ts has a chain that needs 3).
 */
const MAX_HOPS = 4;

/**
 * Flash-flood suppression (DESIGN §5) for one batch. The window lives in Redis (the dedup log); this
 * process keeps a mirror of it, brought up to date before every search, so a search never fetches vectors
 * from Redis. Every ticket is logged with its lexical signature and, when the model scored it, its
 * embedding; two tickets are compared semantically when both have embeddings, else lexically, so a flood
 * that straddles a breaker change is counted as one. The log also carries the incidents' links, so the
 * mirror knows which window tickets are in which incident: a ticket whose look-alikes are in an open
 * incident joins it. Decisions are pure (domain/dedup.ts); incidents are created and linked only by a Lua
 * script.
 */
export class Deduplicator {
  private readonly mirror: WindowMirror = {
    semantic: new SpaceMirror(EMBEDDING_DIM),
    lexical: new SpaceMirror(LEXICAL_DIM),
    shadow: new SpaceMirror(LEXICAL_DIM),
  };
  private lastId: string | undefined;
  /** Window tickets' incidents, as logged by dedup-apply, with the log times to forget them by. */
  private readonly incidentOfTicket = new Map<string, string>();
  private readonly linkTimes: { timeMs: number; ticket_id: string }[] = [];
  private linkStart = 0;
  private incidentsVersion: string | null | undefined;
  private openIncidents = new Map<string, DedupSignature[]>();

  constructor(
    private readonly rt: Pick<Runtime, "config" | "redis" | "keys">,
    private readonly search: () => Promise<SimilaritySearch>,
  ) {}

  private get windowMs() {
    return this.rt.config.DEDUP_WINDOW_SECONDS * 1000;
  }

  private get thresholds(): DedupThresholds {
    return { semantic: this.rt.config.DEDUP_SIM_THRESHOLD, lexical: this.rt.config.DEDUP_LEXICAL_THRESHOLD };
  }

  /**
   * Brings the mirror up to the log's end: a cold process loads the whole window once, then only what is new.
   * One sync at a time (the API's similar-tickets route syncs too, in the worker's process locally): a page
   * read by one sync and applied after another expired it would put a ticket that left the window back.
   */
  sync(): Promise<void> {
    const run = this.syncing.then(() => this.syncOnce());
    this.syncing = run.catch(() => {});
    return run;
  }
  private syncing: Promise<void> = Promise.resolve();

  private async syncOnce(): Promise<void> {
    const now = Date.now();
    let from = this.lastId ? `(${this.lastId}` : `${now - this.windowMs}-0`;
    for (;;) {
      const page = await readWindow(this.rt, from, SYNC_PAGE);
      for (const e of page) {
        const timeMs = Number(e.id.split("-")[0]);
        if (e.incident_id) {
          for (const id of e.linked) this.noteLink(id, e.incident_id, timeMs);
        } else if (e.ticket_id && e.vector) {
          if (e.space === "semantic") {
            this.mirror.semantic.add(e.ticket_id, timeMs, unpackVector(e.vector));
            if (e.lexical) this.mirror.shadow.add(e.ticket_id, timeMs, unpackVector(e.lexical));
          } else if (e.space === "lexical") {
            this.mirror.lexical.add(e.ticket_id, timeMs, unpackVector(e.vector));
          }
        }
        this.lastId = e.id;
      }
      if (page.length < SYNC_PAGE) break;
      from = `(${this.lastId}`;
    }
    this.expire(now - this.windowMs);

    if ((await incidentsVersion(this.rt)) !== this.incidentsVersion) {
      const { version, vectors } = await readOpenIncidentVectors(this.rt);
      this.openIncidents = new Map(vectors.map(({ incident_id, packed }) => [incident_id, unpackRepresentatives(packed)]));
      this.incidentsVersion = version;
    }
  }

  private noteLink(ticketId: string, incidentId: string, timeMs: number) {
    this.incidentOfTicket.set(ticketId, incidentId);
    this.linkTimes.push({ timeMs, ticket_id: ticketId });
  }

  private expire(cutoffMs: number) {
    for (const m of Object.values(this.mirror)) m.expire(cutoffMs);
    // A link is logged after its ticket, so a link older than the window is of a ticket that has left it.
    while (this.linkStart < this.linkTimes.length && this.linkTimes[this.linkStart]!.timeMs < cutoffMs) {
      const { ticket_id } = this.linkTimes[this.linkStart++]!;
      if (!this.mirror.semantic.has(ticket_id) && !this.mirror.lexical.has(ticket_id)) this.incidentOfTicket.delete(ticket_id);
    }
    if (this.linkStart > 1024 && this.linkStart * 2 > this.linkTimes.length) {
      this.linkTimes.splice(0, this.linkStart);
      this.linkStart = 0;
    }
  }

  /** The number of window tickets the mirror holds, by how they are compared. */
  windowSize(): Record<DedupSpace, number> {
    return { semantic: this.mirror.semantic.size, lexical: this.mirror.lexical.size };
  }

  /**
   * Read-only: the window tickets that have embeddings, as the mirror held them at the last sync() — what
   * GET /tickets/{id}/similar ranks. `entries` are views into the mirror (no copies): read them at once.
   */
  embeddingWindow(): { get(id: string): Float32Array | undefined; entries(): Iterable<{ id: string; vector: Float32Array }> } {
    const semantic = this.mirror.semantic;
    return {
      get: (id) => semantic.get(id),
      *entries() {
        const view = semantic.view();
        for (let row = 0; row < view.rows; row++) yield { id: view.idAt(row), vector: view.vectors.subarray(row * view.dim, (row + 1) * view.dim) };
      },
    };
  }

  async process(batch: DedupInput[]): Promise<DedupResult> {
    const result: DedupResult = { incidentOf: new Map() };
    if (batch.length === 0) return result;
    const items: Item[] = batch.map((t) => ({
      ...t,
      embedding: t.classification.embedding,
      lexical: lexicalSignature(t.text),
    }));
    // Log first, then sync: the batch sees itself, and of two workers logging at once the later syncer
    // sees both batches.
    await windowAppend(
      this.rt.redis,
      this.rt.keys,
      this.windowMs,
      items.map((it) =>
        it.embedding
          ? { ticket_id: it.ticket_id, space: "semantic" as const, vector: packVector(it.embedding), lexical: packVector(it.lexical) }
          : { ticket_id: it.ticket_id, space: "lexical" as const, vector: packVector(it.lexical) },
      ),
    );
    await this.sync();

    const similar = await this.neighbours(items);
    for (const it of items) {
      if (result.incidentOf.has(it.ticket_id)) continue; // linked by an earlier ticket of this batch
      await this.decide(it, similar.get(it.ticket_id) ?? [], result);
    }
    return result;
  }

  /**
   * n(t): for every ticket, the window tickets (itself excluded) above the threshold, each once — searched
   * semantically among those with embeddings (when it has one) and lexically among those without (all of
   * them when it has none).
   */
  async neighbours(items: DedupQuery[]): Promise<Map<string, string[]>> {
    const found = new Map<string, Set<string>>(items.map((it) => [it.ticket_id, new Set<string>()]));
    const search = await this.search();
    const th = this.thresholds;
    const runs: { mirror: SpaceMirror; threshold: number; queries: { id: string; v: Float32Array }[] }[] = [
      { mirror: this.mirror.semantic, threshold: th.semantic, queries: items.flatMap((it) => (it.embedding ? [{ id: it.ticket_id, v: it.embedding }] : [])) },
      { mirror: this.mirror.lexical, threshold: th.lexical, queries: items.flatMap((it) => (it.lexical ? [{ id: it.ticket_id, v: it.lexical }] : [])) },
      {
        mirror: this.mirror.shadow,
        threshold: th.lexical,
        queries: items.flatMap((it) => (!it.embedding && it.lexical ? [{ id: it.ticket_id, v: it.lexical }] : [])),
      },
    ];
    for (const { mirror, threshold, queries } of runs) {
      if (!queries.length || !mirror.size) continue;
      const window = mirror.view();
      for (const [q, row] of await search.pairs(
        queries.map((x) => x.v),
        window,
        threshold,
      )) {
        const id = window.idAt(row);
        if (id !== queries[q]!.id) found.get(queries[q]!.id)!.add(id);
      }
    }
    return new Map([...found].map(([id, s]) => [id, [...s]]));
  }

  /** The open incident whose representatives the ticket is most similar to, above the threshold. */
  private bestIncident(sig: DedupSignature) {
    let best: { incident_id: string; similarity: number } | null = null;
    for (const [incident_id, reps] of this.openIncidents) {
      for (const rep of reps) {
        const margin = similarityMargin(sig, rep, this.thresholds);
        if (margin !== null && margin > 0 && (!best || margin > best.similarity)) best = { incident_id, similarity: margin };
      }
    }
    return best;
  }

  /** The signature of a window ticket, for an incident's representatives. */
  private signatureOf(id: string): DedupSignature | null {
    const embedding = this.mirror.semantic.get(id);
    const lexical = embedding ? this.mirror.shadow.get(id) : this.mirror.lexical.get(id);
    return embedding || lexical ? { embedding, lexical } : null;
  }

  /**
   * Further out, for a ticket about to found an incident: the open incident most similar to one of its
   * look-alikes, else the open incident holding most of its look-alikes' own look-alikes, and so on up to
   * MAX_HOPS. A templated flood is not transitive (a and c both near b, not each other), and while two workers'
   * batches are in flight most of a ticket's look-alikes are not linked yet; without these hops such a ticket
   * founds a second incident for the same flood. At most NEIGHBOUR_PROBES tickets per hop, spread; one window
   * search per hop, for founders only.
   */
  private async bestIncidentNear(similar: string[]) {
    const probes = this.probesAmong(similar);
    let best: { incident_id: string; similarity: number } | null = null;
    for (const probe of probes) {
      const found = this.bestIncident(probe);
      if (found && (!best || found.similarity > best.similarity)) best = found;
    }
    if (best) return best;
    // Further out, hop by hop: the open incident holding most of the tickets reached at the first hop where any
    // is linked. Each hop searches the window once for at most NEIGHBOUR_PROBES tickets not reached before.
    const reached = new Set([...similar, ...probes.map((p) => p.ticket_id)]);
    let frontier = probes;
    for (let hop = 2; hop <= MAX_HOPS && frontier.length; hop++) {
      const votes = new Map<string, number>();
      const next: string[] = [];
      for (const ids of (await this.neighbours(frontier)).values()) {
        for (const id of ids) {
          const inc = this.incidentOfTicket.get(id);
          if (inc && this.openIncidents.has(inc)) votes.set(inc, (votes.get(inc) ?? 0) + 1);
          if (!reached.has(id)) {
            reached.add(id);
            next.push(id);
          }
        }
      }
      const [top] = [...votes].sort((x, y) => y[1] - x[1]);
      // The similarity field ranks nothing here: the incident is reached through look-alikes, not its reps.
      if (top) return { incident_id: top[0], similarity: 0 };
      frontier = this.probesAmong(next);
    }
    return null;
  }

  /** At most NEIGHBOUR_PROBES of these tickets, spread over them, each with its signature (if still known). */
  private probesAmong(ids: string[]) {
    return spread(ids, NEIGHBOUR_PROBES).flatMap((id) => {
      const sig = this.signatureOf(id);
      return sig ? [{ ticket_id: id, ...sig }] : [];
    });
  }

  private async decide(it: Item, similar: string[], result: DedupResult): Promise<void> {
    const { redis, keys, config } = this.rt;
    let caughtUp = false;
    for (;;) {
      const findings = {
        similar,
        openIncidentOf: (id: string) => {
          const inc = this.incidentOfTicket.get(id);
          return inc && this.openIncidents.has(inc) ? inc : undefined;
        },
        bestIncident: this.bestIncident(it),
      };
      let decision = decideDedup(it.ticket_id, findings, config.DEDUP_MIN_COUNT);
      if (decision.action === "create" && this.openIncidents.size) {
        const near = await this.bestIncidentNear(similar);
        if (near) decision = decideDedup(it.ticket_id, { ...findings, bestIncident: near }, config.DEDUP_MIN_COUNT);
        if (decision.action === "create" && !caughtUp) {
          // About to found a second incident while one is open: first catch up with the links other workers
          // made since this batch synced, and look again. The hop above reads links this worker knows of, and
          // the script refuses a create only for a change of the open incidents or for the ticket's own
          // look-alikes already linked — not for their look-alikes linked meanwhile by another worker's batch
          // (its neighbours read before this batch was logged), and a second incident for the same flood would
          // follow (dedup.test.ts reproduces it). Founders only, once each: one log read.
          caughtUp = true;
          await this.sync();
          similar = (await this.neighbours([it])).get(it.ticket_id) ?? [];
          continue;
        }
      }
      if (decision.action === "none") return;
      let reps: DedupSignature[] = [];
      if (decision.action === "create") {
        const others = spread(decision.members.slice(1), REPRESENTATIVES - 1).map((id) => this.signatureOf(id));
        reps = [{ embedding: it.embedding, lexical: it.lexical }, ...others.filter((r): r is DedupSignature => r !== null)];
      }
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
              space: it.embedding ? "semantic" : "lexical",
              representatives: packRepresentatives(reps),
              members: decision.members,
              seenVersion: this.incidentsVersion ?? null,
            },
        now(),
        { updateIntervalMs: config.INCIDENT_UPDATE_INTERVAL_SECONDS * 1000 },
      );
      if (applied.outcome === "stale") {
        // Another worker created an incident (or one was resolved) since our mirror looked — likely for this
        // very flood: catch up with the log and the open incidents, then decide again.
        await this.sync();
        similar = (await this.neighbours([it])).get(it.ticket_id) ?? [];
        continue;
      }
      if (applied.outcome === "closed") {
        // Resolved since our mirror looked: forget it and decide again without it.
        this.openIncidents.delete(decision.action === "link" ? decision.incident_id : "");
        continue;
      }
      const { incident_id, newlyLinked, ticketIncident } = applied;
      // The script appended its events (creation, the one master alert, links) to the outbox itself, and
      // its links to the dedup log; this batch's later tickets see them now.
      if (applied.outcome === "created") this.openIncidents.set(incident_id, reps);
      else if (!this.openIncidents.has(incident_id)) this.openIncidents.set(incident_id, []);
      const t = Date.now();
      for (const id of newlyLinked) {
        this.noteLink(id, incident_id, t);
        result.incidentOf.set(id, incident_id);
      }
      if (ticketIncident) result.incidentOf.set(it.ticket_id, ticketIncident);
      return;
    }
  }
}

const now = () => new Date();
