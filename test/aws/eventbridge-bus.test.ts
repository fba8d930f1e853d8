import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
  type PutEventsRequestEntry,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_RULES, EVENT_SOURCE, type BusEvent, type EventType } from "../../layers/core/ports/event-bus.js";
import { EventBridgeBus, EventPublishError } from "../../layers/core/ports/eventbridge-bus.js";
import { awsClientConfig, startMoto, type Moto } from "../../tools/aws-local/moto.js";

let moto: Moto;
let sqs: SQSClient;
let admin: EventBridgeClient;
let busCount = 0;

beforeAll(async () => {
  moto = await startMoto();
  sqs = new SQSClient(awsClientConfig(moto.endpoint));
  admin = new EventBridgeClient(awsClientConfig(moto.endpoint));
}, 180_000); // the first run creates the venv and installs moto

afterAll(async () => {
  sqs?.destroy();
  admin?.destroy();
  await moto?.stop();
});

/** A fresh bus whose "webhooks" rule (same pattern as the CDK's) feeds an SQS queue we can read. */
async function webhookBus() {
  const name = `smart-support-${++busCount}`;
  await admin.send(new CreateEventBusCommand({ Name: name }));
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${name}-webhooks`, Attributes: { VisibilityTimeout: "300" } }),
  );
  const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await admin.send(
    new PutRuleCommand({
      Name: "webhooks",
      EventBusName: name,
      EventPattern: JSON.stringify({ source: [EVENT_SOURCE], "detail-type": EVENT_RULES.webhooks }),
    }),
  );
  await admin.send(
    new PutTargetsCommand({
      Rule: "webhooks",
      EventBusName: name,
      Targets: [{ Id: "webhook-queue", Arn: attrs.Attributes!.QueueArn! }],
    }),
  );
  return { name, queueUrl: QueueUrl! };
}

async function receiveAll(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

/**
 * A bus client that records each PutEvents call's entries (one per call the adapter makes, below the SDK's
 * retries) and can rewrite them on the way out, to make EventBridge refuse chosen entries.
 */
function recordingClient(rewrite?: (entry: PutEventsRequestEntry, call: number) => PutEventsRequestEntry) {
  const client = new EventBridgeClient(awsClientConfig(moto.endpoint));
  const calls: PutEventsRequestEntry[][] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== "PutEventsCommand") return next(args);
      const input = args.input as { Entries: PutEventsRequestEntry[] };
      calls.push(input.Entries);
      if (!rewrite) return next(args);
      const call = calls.length;
      return next({ ...args, input: { ...input, Entries: input.Entries.map((e) => rewrite(e, call)) } });
    },
    { step: "initialize", name: "recordPutEvents" },
  );
  return { client, calls };
}

const ACTIVITY_CYCLE: EventType[] = ["ticket_accepted", "ticket_processed", "agent_updated", "webhook_failed"];

/** 23 events, every third a webhook (alternating the two kinds), the rest activity events. */
function mixedEvents(): BusEvent[] {
  return Array.from({ length: 23 }, (_, i) => {
    const type: EventType =
      i % 3 === 0 ? EVENT_RULES.webhooks[(i / 3) % EVENT_RULES.webhooks.length]! : ACTIVITY_CYCLE[i % ACTIVITY_CYCLE.length]!;
    return { type, data: { seq: i, ticket_id: `tkt_${i}`, nested: { urgency: i / 10 } } };
  });
}

describe("EventBridgeBus against moto", () => {
  it("publishes 23 events in 3 PutEvents calls; the webhook rule delivers exactly the webhook events", async () => {
    const { name, queueUrl } = await webhookBus();
    const { client, calls } = recordingClient();
    const events = mixedEvents();

    await new EventBridgeBus({ client, busName: name }).publish(events);

    expect(calls.map((c) => c.length).sort((a, b) => a - b)).toEqual([3, 10, 10]);
    expect(calls.flat().every((e) => e.Source === EVENT_SOURCE && e.EventBusName === name)).toBe(true);

    const delivered = (await receiveAll(queueUrl)).map(
      (m) => JSON.parse(m.Body!) as { source: string; "detail-type": string; detail: Record<string, unknown> },
    );
    const expected = events.filter((e) => EVENT_RULES.webhooks.includes(e.type));
    expect(expected).toHaveLength(8);
    expect(new Set(expected.map((e) => e.type))).toEqual(new Set(EVENT_RULES.webhooks));
    const seq = (d: { detail: Record<string, unknown> }) => d.detail.seq as number;
    expect(delivered.sort((a, b) => seq(a) - seq(b))).toEqual(
      expected.map((e) => expect.objectContaining({ source: EVENT_SOURCE, "detail-type": e.type, detail: e.data })),
    );
    client.destroy();
  });

  it("publishing nothing makes no call", async () => {
    const { client, calls } = recordingClient();
    // A bus that does not exist: a call would throw.
    await new EventBridgeBus({ client, busName: "no-such-bus" }).publish([]);
    expect(calls).toHaveLength(0);
    client.destroy();
  });

  it("an entry refused once is retried and delivered", async () => {
    const { name, queueUrl } = await webhookBus();
    const events = mixedEvents().slice(0, 12); // 4 webhooks, seq 0, 3, 6, 9
    // The first call's entry for seq 3 goes out with an invalid Detail: EventBridge refuses that entry alone.
    const { client, calls } = recordingClient((e, call) =>
      call === 1 && e.Detail?.includes('"seq":3,') ? { ...e, Detail: "not json" } : e,
    );

    await new EventBridgeBus({ client, busName: name }).publish(events);

    expect(calls.map((c) => c.length)).toEqual([10, 2, 1]); // two batches, then the one retried entry
    expect(JSON.parse(calls[2]![0]!.Detail!)).toEqual(events[3]!.data);
    const seqs = (await receiveAll(queueUrl)).map((m) => (JSON.parse(m.Body!) as { detail: { seq: number } }).detail.seq);
    expect(seqs.sort((a, b) => a - b)).toEqual([0, 3, 6, 9]);
    client.destroy();
  });

  it("entries refused twice make publish throw, naming them", async () => {
    const { name } = await webhookBus();
    const events = mixedEvents().slice(0, 5);
    const { client, calls } = recordingClient((e) =>
      e.Detail?.includes('"seq":1,') || e.Detail?.includes('"seq":4,') ? { ...e, DetailType: undefined } : e,
    );

    const err = await new EventBridgeBus({ client, busName: name }).publish(events).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(EventPublishError);
    expect((err as EventPublishError).failed.map((f) => f.event)).toEqual([events[1], events[4]]);
    expect((err as Error).message).toContain(`${events[1]!.type} (InvalidArgument`);
    expect((err as Error).message).toContain(`${events[4]!.type} (InvalidArgument`);
    expect(calls.map((c) => c.length)).toEqual([5, 2]); // one retry only
    client.destroy();
  });
});
