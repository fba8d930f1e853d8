import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
  type Message,
  type SendMessageBatchRequestEntry,
} from "@aws-sdk/client-sqs";
import { createServer, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeIntake, type IntakeMessage, type Lane } from "../../layers/core/ports/queue-port.js";
import { SqsPartialFailureError, SqsQueue } from "../../layers/core/ports/sqs-queue.js";
import { StoreUnavailableError } from "../../layers/core/store/redis-port.js";
import { awsClientConfig, startMoto, type Moto } from "../../tools/aws-local/moto.js";

let moto: Moto;
let client: SQSClient;
let queueCount = 0;

beforeAll(async () => {
  moto = await startMoto();
  client = new SQSClient(awsClientConfig(moto.endpoint));
}, 180_000); // the first run creates the venv and installs moto

afterAll(async () => {
  client?.destroy();
  await moto?.stop();
});

async function createQueue(attributes: Record<string, string> = {}) {
  const name = `intake-${++queueCount}`;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  return QueueUrl!;
}

async function queueArn(url: string) {
  const out = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }));
  return out.Attributes!.QueueArn!;
}

/** Receives until the queue stays empty; nothing is deleted, the queues are made with a long visibility timeout. */
async function receiveAll(url: string): Promise<Message[]> {
  const all: Message[] = [];
  for (;;) {
    const out = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    if (!out.Messages?.length) return all;
    all.push(...out.Messages);
  }
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

const messages = (n: number, tag: string, lane: Lane = "main") =>
  Array.from({ length: n }, (_, i) => ({ ticket_id: `${tag}-${i}`, job_id: `job_${tag}_${i}`, lane }));
const withoutLane = ({ ticket_id, job_id }: IntakeMessage): IntakeMessage => ({ ticket_id, job_id });

/** Counts the SendMessageBatch calls a client makes (one per call the adapter makes, below the SDK's retries). */
function countBatches(c: SQSClient) {
  const counter = { calls: 0, sizes: [] as number[] };
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "SendMessageBatchCommand") {
        counter.calls++;
        counter.sizes.push((args.input as { Entries: unknown[] }).Entries.length);
      }
      return next(args);
    },
    { step: "initialize", name: "countSendMessageBatch" },
  );
  return counter;
}

describe("SqsQueue against moto", () => {
  it("sends 25 messages in batches of 10 and every one arrives intact", async () => {
    const url = await createQueue({ VisibilityTimeout: "300" });
    const counting = new SQSClient(awsClientConfig(moto.endpoint));
    const counter = countBatches(counting);
    const sent = messages(25, "tkt");

    await new SqsQueue({ client: counting, queueUrls: { main: url, flood: url } }).send(sent);

    expect(counter.calls).toBe(3);
    expect(counter.sizes.sort((a, b) => a - b)).toEqual([5, 10, 10]);
    const received = (await receiveAll(url)).map((m) => decodeIntake(m.Body!));
    const byId = (a: IntakeMessage, b: IntakeMessage) => a.ticket_id.localeCompare(b.ticket_id);
    expect(received.sort(byId)).toEqual(sent.map(withoutLane).sort(byId));
    counting.destroy();
  });

  it("sends each message to its lane's queue", async () => {
    const main = await createQueue({ VisibilityTimeout: "300" });
    const flood = await createQueue({ VisibilityTimeout: "300" });
    const sent = [...messages(12, "flood", "flood"), ...messages(3, "calm")];
    await new SqsQueue({ client, queueUrls: { main, flood } }).send(sent);
    const ids = async (url: string) => (await receiveAll(url)).map((m) => decodeIntake(m.Body!).ticket_id).sort();
    expect(await ids(flood)).toEqual(messages(12, "flood").map((m) => m.ticket_id).sort());
    expect(await ids(main)).toEqual(["calm-0", "calm-1", "calm-2"]);
  });

  it("makes no call for an empty send", async () => {
    const counting = new SQSClient(awsClientConfig(moto.endpoint));
    const counter = countBatches(counting);
    // A queue that does not exist: a call would throw.
    await new SqsQueue({ client: counting, queueUrls: { main: `${moto.endpoint}/123456789012/none`, flood: `${moto.endpoint}/123456789012/none` } }).send([]);
    expect(counter.calls).toBe(0);
    counting.destroy();
  });

  it("ticket ids that are not valid batch entry ids still go through", async () => {
    const url = await createQueue({ VisibilityTimeout: "300" });
    const odd = [{ ticket_id: "ticket with spaces/é:#1", job_id: "job_1" }];
    await new SqsQueue({ client, queueUrls: { main: url, flood: url } }).send(odd.map((m) => ({ ...m, lane: "main" as const })));
    expect((await receiveAll(url)).map((m) => decodeIntake(m.Body!))).toEqual(odd);
  });

  it("a missing queue surfaces as StoreUnavailableError naming the problem", async () => {
    const queue = new SqsQueue({ client, queueUrls: { main: `${moto.endpoint}/123456789012/does-not-exist`, flood: `${moto.endpoint}/123456789012/does-not-exist` } });
    const err = await queue.send(messages(3, "lost")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/^SQS unavailable: .*queue does not exist/i);
  });

  it("an unreachable endpoint surfaces as StoreUnavailableError", async () => {
    // A loopback port that was just free: nothing listens, the connection is refused at once.
    const port = await freePort();
    const down = new SQSClient(awsClientConfig(`http://127.0.0.1:${port}`));
    const queue = new SqsQueue({ client: down, queueUrls: { main: `http://127.0.0.1:${port}/123456789012/intake`, flood: `http://127.0.0.1:${port}/123456789012/intake` } });
    const err = await queue.send(messages(1, "down")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as Error).message).toMatch(/^SQS unavailable: .*ECONNREFUSED/);
    down.destroy();
  });

  it("entries SQS refuses make the send throw, naming exactly those tickets", async () => {
    const url = await createQueue({ VisibilityTimeout: "300" });
    const sent = messages(12, "part");
    const refused = new Set(["part-3", "part-11"]);
    // moto (like SQS) refuses an entry with an out-of-range DelaySeconds on its own and accepts the others:
    // a genuine partial-failure reply, parsed by the real client.
    const faulty = new SQSClient(awsClientConfig(moto.endpoint));
    faulty.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { QueueUrl: string; Entries?: SendMessageBatchRequestEntry[] };
        if (input.Entries) {
          const Entries = input.Entries.map((e) =>
            refused.has(decodeIntake(e.MessageBody!).ticket_id) ? { ...e, DelaySeconds: 9999 } : e,
          );
          return next({ ...args, input: { ...input, Entries } });
        }
        return next(args);
      },
      { step: "initialize", name: "refuseSome" },
    );

    const err = await new SqsQueue({ client: faulty, queueUrls: { main: url, flood: url } }).send(sent).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(SqsPartialFailureError);
    expect(err).toBeInstanceOf(StoreUnavailableError); // so the API answers 503
    expect((err as SqsPartialFailureError).failedTicketIds.sort()).toEqual([...refused].sort());
    expect((err as Error).message).toContain("part-3 (InvalidParameterValue");
    expect((err as Error).message).toContain("part-11 (InvalidParameterValue");
    expect((err as Error).message).not.toContain("part-1 ");
    // The others did arrive: the client's retry sends them again, which the idempotent worker absorbs.
    const arrived = (await receiveAll(url)).map((m) => decodeIntake(m.Body!).ticket_id);
    expect(arrived.sort()).toEqual(sent.map((m) => m.ticket_id).filter((id) => !refused.has(id)).sort());
    faulty.destroy();
  });

  it("a message received 5 times without delete moves to the dead-letter queue", async () => {
    const dlq = await createQueue();
    const url = await createQueue({
      VisibilityTimeout: "0", // back at once after each receive
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(dlq), maxReceiveCount: 5 }),
    });
    const poison = { ticket_id: "poison", job_id: "job_poison" };
    await new SqsQueue({ client, queueUrls: { main: url, flood: url } }).send([{ ...poison, lane: "main" }]);

    const counts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const out = await client.send(
        new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ["ApproximateReceiveCount"] }),
      );
      for (const m of out.Messages ?? []) counts.push(m.Attributes!.ApproximateReceiveCount!);
    }
    expect(counts).toEqual(["1", "2", "3", "4", "5"]); // the 6th receive finds it gone
    const dead = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq }));
    expect(dead.Messages?.map((m) => decodeIntake(m.Body!))).toEqual([poison]);
  });
});
