import type { Received } from "../support/receiver.js";

/**
 * One system under test for the HTTP scenario suite (test/scenarios/suite.ts): the same scenarios run against
 * the local system and against the AWS rehearsal; a target is a base URL plus the few hooks HTTP cannot give.
 */
export interface ScenarioTarget {
  name: string; // "local" | "aws-rehearsal"
  baseUrl: string; // e.g. http://127.0.0.1:8123 (no trailing slash)
  webhookSecret: string; // the WEBHOOK_SECRET the target's system signs with
  webhooks: Received[]; // deliveries seen by the receiver the target's WEBHOOK_URL points at (live array)
  /**
   * The target's API_KEY, when it has one: sent as `Authorization: Bearer <apiKey>` on the routes that need it
   * (POST/PATCH /agents, DELETE /queue, GET /tickets/next, POST /incidents/{id}/resolve). Unset: no header.
   */
  apiKey?: string;
  /** Puts a message the classifier cannot decode on the intake queue directly (not through the API). */
  sendPoison(body: string): Promise<void>;
  /** Bodies of the messages now in the intake dead-letter queue. */
  deadLetters(): Promise<string[]>;
  /** Upper bound for background work to finish (the AWS target is slower). */
  patienceMs: number;
}
