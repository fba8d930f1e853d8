import { PutEventsCommand, type EventBridgeClient, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { StoreUnavailableError } from "../store/redis-port.js";
import { EVENT_SOURCE, type BusEvent, type EventBus } from "./event-bus.js";

/** PutEvents takes at most 10 entries. */
const PUT_EVENTS_LIMIT = 10;

interface Failure {
  event: BusEvent;
  reason: string;
}

/**
 * Events EventBridge still refused after the retry; names each one's type and EventBridge's reason. The
 * API answers 503 for it, as for any backing service out of reach (the caller's retry is idempotent).
 */
export class EventPublishError extends StoreUnavailableError {
  override name = "EventPublishError";
  constructor(readonly failed: Failure[]) {
    super(
      `EventBridge rejected ${failed.length} event(s) after a retry: ` +
        failed.map((f) => `${f.event.type} (${f.reason})`).join(", "),
    );
  }
}

/**
 * The bus in AWS: one PutEvents per 10 events, on the bus whose rules (made by the CDK stack from EVENT_RULES)
 * route them to their targets. Returns once EventBridge has accepted the events, not when targets ran.
 */
export class EventBridgeBus implements EventBus {
  private readonly client: EventBridgeClient;
  private readonly busName: string;

  constructor(opts: { client: EventBridgeClient; busName: string }) {
    this.client = opts.client;
    this.busName = opts.busName;
  }

  async publish(events: BusEvent[]): Promise<void> {
    // PutEvents can accept some entries and refuse others in one reply (throttling, internal failures); those
    // get one more try, so a passing hiccup costs no event and a lasting refusal still fails loudly.
    const failed = await this.put(events);
    if (failed.length === 0) return;
    const still = await this.put(failed.map((f) => f.event));
    if (still.length) throw new EventPublishError(still);
  }

  /** Puts the events in batches of 10, all under way at once; returns the entries that were refused. */
  private async put(events: BusEvent[]): Promise<Failure[]> {
    const batches: BusEvent[][] = [];
    for (let i = 0; i < events.length; i += PUT_EVENTS_LIMIT) batches.push(events.slice(i, i + PUT_EVENTS_LIMIT));
    const results = await Promise.all(batches.map((batch) => this.putBatch(batch)));
    return results.flat();
  }

  private async putBatch(batch: BusEvent[]): Promise<Failure[]> {
    const entries: PutEventsRequestEntry[] = batch.map((e) => ({
      Source: EVENT_SOURCE,
      DetailType: e.type,
      Detail: JSON.stringify(e.data),
      EventBusName: this.busName,
    }));
    const out = await this.client.send(new PutEventsCommand({ Entries: entries })).catch((err: unknown) => {
      const e = err as Error;
      throw new StoreUnavailableError(`EventBridge unavailable: ${e.name}: ${e.message}`, { cause: err });
    });
    if (!out.FailedEntryCount) return [];
    // Result entries are in request order; a failed one carries ErrorCode instead of EventId.
    return batch.flatMap((event, i) => {
      const r = out.Entries?.[i];
      if (r?.EventId && !r.ErrorCode) return [];
      return [{ event, reason: r?.ErrorCode ? `${r.ErrorCode}: ${r.ErrorMessage ?? ""}` : "no result entry" }];
    });
  }
}
