import type { SQSRecord } from "aws-lambda";

/** What intake sends: the ticket itself lives in Redis, the message only points at it. */
export interface IntakeMessage {
  ticket_id: string;
  job_id: string;
}

/**
 * The intake queue's two lanes: tickets of a flood in progress wait in "flood", which workers read at a
 * bounded share while "main" has work (locally) or with its own small concurrency (AWS), so a flood cannot
 * hold up anyone else.
 */
export const LANES = ["main", "flood"] as const;
export type Lane = (typeof LANES)[number];

/** Sending side of the intake queue: two SQS queues in AWS, two Redis streams locally. */
export interface QueuePort {
  send(messages: (IntakeMessage & { lane: Lane })[]): Promise<void>;
  /**
   * Set when the lanes are Redis streams on the same Redis as the tickets: intake then appends its records
   * inside the reservation script (one atomic step, one round trip) instead of calling `send`.
   */
  readonly redisStreams?: Record<Lane, string>;
}

/**
 * Receiving side, for runtimes that poll (locally; in AWS the SQS event source polls for us). Records are
 * shaped as SQS records so the classifier handler is the same function in both places.
 */
export interface QueueConsumer {
  receive(maxRecords: number, waitMs: number): Promise<SQSRecord[]>;
  /** Deletes handled records; unacked ones come back after the visibility timeout. */
  ack(records: SQSRecord[]): Promise<void>;
}

export const encodeIntake = (m: IntakeMessage) => JSON.stringify(m);
export function decodeIntake(body: string): IntakeMessage {
  const parsed: unknown = JSON.parse(body);
  const m = parsed as Partial<IntakeMessage> | null;
  if (typeof m?.ticket_id !== "string" || typeof m.job_id !== "string") {
    throw new Error(`malformed intake message: ${body.slice(0, 200)}`);
  }
  return { ticket_id: m.ticket_id, job_id: m.job_id };
}
