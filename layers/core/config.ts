import { fileURLToPath } from "node:url";
import { z } from "zod";

// Empty strings count as unset: `FOO= npm start` should mean "default", not "invalid".
const unsetIfEmpty = (v: unknown) => (v === "" ? undefined : v);
const num = (def: number) => z.preprocess(unsetIfEmpty, z.coerce.number().default(def));
const int = (def: number, min: number) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).default(def));
const optionalString = z.preprocess(unsetIfEmpty, z.string().optional());

// The value the stack's secret is created with; a function that starts with it left in refuses to run.
export const SECRET_PLACEHOLDER = "set-me";
const notPlaceholder = [
  (v: string) => v !== SECRET_PLACEHOLDER,
  `is still the placeholder "${SECRET_PLACEHOLDER}": put the real value in the stack's secret (SECRETS_ARN)`,
] as const;
const secretString = z.preprocess(unsetIfEmpty, z.string().refine(...notPlaceholder).optional());
// Values never printed in an error message (they may come from the secret).
const SECRET_VARIABLES = new Set(["UPSTASH_REDIS_REST_TOKEN", "WEBHOOK_SECRET", "WEBHOOK_URL", "API_KEY"]);

const variables = z.object({
    REDIS_URL: z.preprocess(unsetIfEmpty, z.url().default("redis://127.0.0.1:6379")),
    REDIS_PREFIX: z.preprocess(unsetIfEmpty, z.string().regex(/^[A-Za-z0-9:_-]+$/).default("ss:")),
    UPSTASH_REDIS_REST_URL: z.preprocess(unsetIfEmpty, z.url().optional()),
    UPSTASH_REDIS_REST_TOKEN: secretString,

    // AWS runtime: the intake queue, the event bus, and the secret holding UPSTASH_REDIS_REST_TOKEN,
    // WEBHOOK_SECRET and API_KEY (never plain environment variables there).
    QUEUE_URL: z.preprocess(unsetIfEmpty, z.url().optional()),
    // AWS: the flood lane's queue (README "Flood lanes"); QUEUE_URL is the main lane's.
    FLOOD_QUEUE_URL: z.preprocess(unsetIfEmpty, z.url().optional()),
    EVENT_BUS_NAME: optionalString,
    SECRETS_ARN: optionalString,
    // How long a function uses the secret's values before reading them again (a rotated token takes effect).
    SECRETS_TTL_SECONDS: int(300, 0),

    WEBHOOK_URL: z.preprocess(unsetIfEmpty, z.string().refine(...notPlaceholder).pipe(z.url()).optional()),
    WEBHOOK_FORMAT: z.preprocess(unsetIfEmpty, z.enum(["generic", "slack", "discord"]).default("generic")),
    WEBHOOK_SECRET: secretString,
    WEBHOOK_TIMEOUT_MS: int(3000, 1),
    WEBHOOK_MAX_ATTEMPTS: int(4, 1),
    WEBHOOK_BACKOFF_MS: int(500, 0),
    // Deliveries under way at once per process: a slow or dead receiver holds at most this many sockets.
    WEBHOOK_CONCURRENCY: int(8, 1),

    DEDUP_SIM_THRESHOLD: num(0.9).pipe(z.number().gt(0).lt(1)),
    DEDUP_MIN_COUNT: int(10, 1),
    // Threshold for the lexical signature that dedup falls back to while the breaker is open.
    DEDUP_LEXICAL_THRESHOLD: num(0.6).pipe(z.number().gt(0).lt(1)),
    DEDUP_WINDOW_SECONDS: int(300, 1),
    // An incident's growth updates (README "Flash floods"): at most one per this many seconds (Alertmanager's
    // group_interval), counted from its last notice (creation or update); 0 = every growth step at once.
    INCIDENT_UPDATE_INTERVAL_SECONDS: num(300).pipe(z.number().min(0).max(31_536_000)),
    TRANSFORMER_LATENCY_MS: int(500, 1),
    // A model call still running after this long is abandoned and counted as a failure.
    TRANSFORMER_HARD_TIMEOUT_MS: int(5_000, 1),
    MODELS_DIR: z.preprocess(unsetIfEmpty, z.string().default(fileURLToPath(new URL("../models/", import.meta.url)))),
    ENCODER_THREADS: int(2, 1),
    // Encoder sessions running forward passes side by side, ENCODER_THREADS shared among them (at least one
    // each); each holds its own copy of the weights (README "Encoder sessions").
    ENCODER_SESSIONS: int(1, 1).pipe(z.number().max(16)),
    // fp32: the exported model (parity with sentence-transformers ≥ 0.999); int8: its dynamically quantised
    // variant, about twice as fast on a CPU with VNNI, at the parity and held-out cost MODEL_CARD.md states.
    ENCODER_PRECISION: z.preprocess(unsetIfEmpty, z.enum(["fp32", "int8"]).default("fp32")),
    // Embeddings of the last this-many distinct texts the encoder ran on, reused while the breaker is closed
    // (a flood repeats itself); 0 = off. Each entry holds 384 floats and the text's token ids.
    EMBEDDING_CACHE_SIZE: int(1024, 0).pipe(z.number().max(100_000)),
    // The built dashboard (`npm run build:dashboard`), served at / by the API.
    DASHBOARD_DIR: z.preprocess(unsetIfEmpty, z.string().default(fileURLToPath(new URL("../../dashboard/dist/", import.meta.url)))),
    CIRCUIT_COOLDOWN_SECONDS: num(60).pipe(z.number().positive()),
    CIRCUIT_HALF_OPEN_PROBES: int(3, 1),
    // Breaker window (README "Circuit breaker"): the last CIRCUIT_WINDOW_SIZE calls, judged once CIRCUIT_MIN_CALLS
    // are in; rates in percent; a call is slow past CIRCUIT_SLOW_FACTOR × its cost at the speed calibrated at
    // load, never under TRANSFORMER_LATENCY_MS (0 = flat); the open wait doubles from CIRCUIT_COOLDOWN_SECONDS
    // up to CIRCUIT_MAX_COOLDOWN_SECONDS.
    CIRCUIT_WINDOW_SIZE: int(10, 1).pipe(z.number().max(1000)),
    CIRCUIT_MIN_CALLS: int(3, 1),
    CIRCUIT_FAILURE_RATE: num(50).pipe(z.number().gt(0).max(100)),
    CIRCUIT_SLOW_RATE: num(60).pipe(z.number().gt(0).max(100)),
    CIRCUIT_SLOW_FACTOR: num(5).pipe(z.number().min(0)),
    CIRCUIT_MAX_COOLDOWN_SECONDS: num(600).pipe(z.number().positive()),
    ROUTING_LOAD_PENALTY_FACTOR: num(0.1).pipe(z.number().min(0)),
    // Offers (README "Offers and finishing work"): routing offers a ticket to the best agent, who accepts or
    // rejects it within ROUTING_OFFER_TIMEOUT_SECONDS; off = assigned at once, as the seed's walkthrough expects.
    ROUTING_OFFERS: z.preprocess(unsetIfEmpty, z.enum(["true", "false"]).default("false")).transform((v) => v === "true"),
    ROUTING_OFFER_TIMEOUT_SECONDS: num(120).pipe(z.number().positive().max(86_400)),
    // S-units a waiting ticket gains per hour (domain/queue-score.ts), in the queue and the backlog; 0 = the seed's order.
    QUEUE_AGING_PER_HOUR: num(0).pipe(z.number().min(0).max(3600)),

    API_KEY: secretString,
    PORT: int(8000, 0).pipe(z.number().max(65535)),
    HOST: z.preprocess(unsetIfEmpty, z.string().default("127.0.0.1")),

    // How long a submitted ticket id stays reserved (idempotent replay / 409 window).
    TICKET_TTL_SECONDS: int(7 * 24 * 3600, 60),
    // Local queue: a record not acked within this time is handed to another worker.
    QUEUE_VISIBILITY_TIMEOUT_SECONDS: num(30).pipe(z.number().positive()),
    QUEUE_MAX_RECEIVES: int(5, 1),
    // Local worker: a receive takes what waits, up to WORKER_BATCH_SIZE — and up to WORKER_DEEP_BATCH_SIZE from
    // the main lane when that many wait there (a deeper batch, sorted by length, pads less, and fewer batches
    // cost the main thread less: 256 drains a deep queue 2–3% faster than 128, 512 no faster than 256 — bench
    // models, MODEL_CARD "Speed"). The flood lane never fills more than WORKER_BATCH_SIZE of one, so a ticket
    // arriving mid-flood waits for short batches only.
    WORKER_BATCH_SIZE: int(32, 1).pipe(z.number().max(512)),
    WORKER_DEEP_BATCH_SIZE: int(256, 1).pipe(z.number().max(512)),
    // Local worker: queue batches under way at once (one classified while the one before it is deduplicated,
    // stored, routed and acked; forward passes stay one at a time); 1 = one batch after the other.
    WORKER_BATCHES_IN_FLIGHT: int(2, 1).pipe(z.number().max(4)),
    // Flood lanes (README "Flood lanes"): a ticket goes to the flood lane when one of its flood bands was carried
    // by more than FLOOD_LANE_THRESHOLD tickets in this minute and the last (0 = one lane for all); while the
    // main lane has work, a worker batch takes at most FLOOD_LANE_SHARE of its records from the flood lane.
    FLOOD_LANE_THRESHOLD: int(10, 0),
    FLOOD_LANE_SHARE: num(0.25).pipe(z.number().gt(0).lt(1)),
    ACTIVITY_MAX_EVENTS: int(10_000, 100),
    // The outbox's consumers (bus targets, the EventBridge relay): an event taken but not acknowledged within
    // this time goes to another consumer; after this many deliveries it is dead-lettered (outbox:dlq).
    EVENT_VISIBILITY_TIMEOUT_SECONDS: num(60).pipe(z.number().positive()),
    EVENT_MAX_DELIVERIES: int(5, 1),
    // On SIGTERM: how long in-flight work may finish; what is left stays queued for another process.
    SHUTDOWN_GRACE_MS: int(5_000, 0),
    // Learning (README "Learning from corrections"): a retrain job whose worker stops renewing its claim (it
    // renews every third of this while it runs) goes to another worker after this long, and to the dead-letter
    // stream after LEARNING_JOB_MAX_ATTEMPTS deliveries; every process checks which heads version is active
    // at most every LEARNING_HEADS_REFRESH_MS.
    LEARNING_JOB_TIMEOUT_SECONDS: num(60).pipe(z.number().min(1).max(86_400)),
    LEARNING_JOB_MAX_ATTEMPTS: int(3, 1),
    LEARNING_HEADS_REFRESH_MS: int(2_000, 0).pipe(z.number().max(600_000)),
    // Corrections (README "Corrections and similar tickets"): at most this many are kept, the oldest dropped;
    // every LEARNING_RETRAIN_EVERY new ones queue a retrain job (0 = only POST /models/retrain does).
    LEARNING_MAX_EXAMPLES: int(10_000, 1).pipe(z.number().max(1_000_000)),
    LEARNING_RETRAIN_EVERY: int(50, 0).pipe(z.number().max(1_000_000)),
    // Fault tests only: the worker freezes right after storing this ticket (see services/processor.ts).
    TEST_PAUSE_AFTER_STORE: optionalString,
  });
const schema = variables
  .refine((c) => !c.UPSTASH_REDIS_REST_URL === !c.UPSTASH_REDIS_REST_TOKEN, {
    path: ["UPSTASH_REDIS_REST_TOKEN"],
    message: "UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN must be set together",
  })
  .refine((c) => c.WORKER_DEEP_BATCH_SIZE >= c.WORKER_BATCH_SIZE, {
    path: ["WORKER_DEEP_BATCH_SIZE"],
    message: "must be at least WORKER_BATCH_SIZE",
  });

export type Config = z.infer<typeof schema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Validates the environment once; the message names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  return parse(schema, Object.keys(variables.shape), env);
}

/**
 * Validates only some variables: what a Lambda function needs before it has read its secret (the rest of its
 * configuration, the secret's values included, is validated by loadConfig once they are merged).
 */
export function loadSettings<K extends keyof Config>(names: readonly K[], env: Record<string, string | undefined> = process.env): Pick<Config, K> {
  const mask = Object.fromEntries(names.map((n) => [n, true])) as { [P in keyof Config]?: true };
  return parse(variables.pick(mask), names as readonly string[], env) as unknown as Pick<Config, K>;
}

function parse<T>(s: z.ZodType<T>, names: readonly string[], env: Record<string, string | undefined>): T {
  const picked = Object.fromEntries(names.map((k) => [k, env[k]]));
  const result = s.safeParse(picked);
  if (result.success) return result.data;
  const lines = result.error.issues.map((i) => {
    const name = String(i.path[0]);
    const shown = SECRET_VARIABLES.has(name) ? "(hidden)" : JSON.stringify(env[name] ?? "");
    return `  ${i.path.join(".")}=${shown}: ${i.message}`;
  });
  throw new ConfigError(`Invalid configuration:\n${lines.join("\n")}`);
}
