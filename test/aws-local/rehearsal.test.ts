import type { ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENT_SOURCE } from "../../layers/core/ports/event-bus.js";
import { CloudAssembly } from "../../tools/aws-local/assembly.js";
import { awsClientConfig } from "../../tools/aws-local/moto.js";
import { startRehearsal, type Rehearsal } from "../../tools/aws-local/rehearsal.js";
import { defineScenarios } from "../scenarios/suite.js";
import type { ScenarioTarget } from "../scenarios/target.js";
import { startReceiver } from "../support/receiver.js";
import { freePort, startRedis } from "../support/redis-server.js";
import { eventually } from "../support/runtime.js";
import { synthesize } from "../support/synth.js";

// The deployed shape, run: what `cdk synth` produced, each function from its own artifact, wired as the
// template wires it, against moto and the Upstash stand-in over a Redis of this test's own.
const WEBHOOK_SECRET = "scenario-secret-aws";

let cdkOut: string;
let redis: ChildProcess;
let redisUrl: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let rehearsal: Rehearsal;
let target: ScenarioTarget;

beforeAll(async () => {
  cdkOut = synthesize();
  const port = await freePort();
  redis = await startRedis(port);
  redisUrl = `redis://127.0.0.1:${port}`;
  receiver = await startReceiver();
  rehearsal = await startRehearsal({
    cdkOut,
    redisUrl,
    // What the user puts into the stack's secret after `cdk deploy`.
    secret: { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET },
    visibilityTimeoutSeconds: 2,
    asyncRetryDelayMs: 200,
    scheduleEveryMs: 2_000,
    onError: () => {},
  });
  target = {
    name: "aws-rehearsal",
    baseUrl: rehearsal.url,
    webhookSecret: WEBHOOK_SECRET,
    webhooks: receiver.received,
    apiKey: rehearsal.secret.API_KEY,
    sendPoison: (body) => rehearsal.send(rehearsal.intakeQueueUrl, body),
    deadLetters: () => rehearsal.peek(rehearsal.intakeDlqUrl),
    patienceMs: 60_000,
  };
}, 240_000);

afterAll(async () => {
  await rehearsal?.stop();
  await receiver?.close();
  redis?.kill("SIGKILL");
  if (cdkOut) rmSync(cdkOut, { recursive: true, force: true });
});

describe("the synthesized artifacts", () => {
  it("every zip bundle loads alone, in an empty folder, and none carries onnxruntime", async () => {
    const zips = CloudAssembly.open(cdkOut)
      .functions()
      .filter((f) => f.packageType === "Zip");
    expect(zips.length).toBeGreaterThan(20);
    for (const dir of new Set(zips.map((f) => f.assetDir))) {
      const alone = mkdtempSync(join(tmpdir(), "ss-zip-")); // no node_modules anywhere above it
      cpSync(dir, alone, { recursive: true });
      const mod = (await import(pathToFileURL(join(alone, "index.mjs")).href)) as { handler?: unknown };
      expect(typeof mod.handler, dir).toBe("function");
      expect(readFileSync(join(alone, "index.mjs"), "utf8")).not.toContain("onnxruntime");
      rmSync(alone, { recursive: true, force: true });
    }
  });

  it("the image's task folder holds its handlers, the models and onnxruntime for linux/x64 only", () => {
    const images = CloudAssembly.open(cdkOut)
      .functions()
      .filter((f) => f.packageType === "Image");
    expect(images.map((f) => f.handler).sort()).toEqual(["classifier.handler", "model-api.handler", "retrainer.handler"]);
    const [dir] = new Set(images.map((f) => f.assetDir));
    // The Retrainer's learning thread beside its handler, and what it fits on.
    expect(readdirSync(dir!)).toEqual(expect.arrayContaining(["retrainer.mjs", "learning-thread-entry.mjs"]));
    expect(readdirSync(join(dir!, "models"))).toContain("training-set.json");
    expect(readdirSync(join(dir!, "node_modules/onnxruntime-node/bin/napi-v6"), { recursive: true }).filter((p) => String(p).endsWith(".node"))).toEqual([
      join("linux", "x64", "onnxruntime_binding.node"),
    ]);
    // Base image, the folder, the handler: nothing is built inside Docker.
    const steps = readFileSync(join(dir!, "Dockerfile"), "utf8")
      .split("\n")
      .filter((l) => /^[A-Z]+\s/.test(l))
      .map((l) => l.split(/\s+/)[0]);
    expect(steps).toEqual(["FROM", "COPY", "ENV", "CMD"]);
  });

  it("the image functions load and warm the model at init, outside the handler, and log how long it took", async () => {
    const res = await fetch(`${rehearsal.url}/urgency-score`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ text: "Payments fail for everyone" }) });
    expect(res.status).toBe(200);
    const log = readFileSync(join(rehearsal.logDir, `${[...rehearsal.functions.keys()].find((id) => id.startsWith("RouteUrgencyScore"))}.log`), "utf8");
    const line = log.split("\n").find((l) => l.includes('"model loaded"'));
    expect(line, log.slice(0, 2000)).toBeDefined();
    expect(JSON.parse(line!).initMs).toBeGreaterThan(0);
  });
});

describe("scheduled work", () => {
  it("the offer sweeper runs on its EventBridge schedule, from its own bundle, against Redis", async () => {
    const id = [...rehearsal.functions.keys()].find((k) => k.startsWith("OfferSweeper"))!;
    expect(id).toBeDefined();
    const swept = () => readFileSync(join(rehearsal.logDir, `${id}.log`), "utf8").split("\n").filter((l) => l.includes('"offers swept"'));
    await eventually(async () => swept().length >= 2, 30_000);
    expect(JSON.parse(swept()[0]!)).toMatchObject({ expired: 0 });
  });

  it("the Retrainer runs a retrain job queued through the API on its schedule, from the classifier's image, and GET /models lists the version", async () => {
    const queued = await fetch(`${rehearsal.url}/models/retrain`, { method: "POST", headers: { authorization: `Bearer ${rehearsal.secret.API_KEY}` } });
    expect(queued.status).toBe(202);
    const { job_id } = (await queued.json()) as { job_id: string };
    type Listed = { active: string; versions: { version: string; source: string; promoted: boolean; active: boolean; reasons: string[]; metrics: { heldout: { category_accuracy: number } } }[] };
    const listed = await eventually(async () => {
      const models = (await (await fetch(`${rehearsal.url}/models`)).json()) as Listed;
      return models.versions.some((v) => v.source === "retrained") ? models : undefined;
    }, 120_000);
    // v1 (the shipped heads, registered by the Retrainer's first run) and the candidate: with no corrections the
    // guard has nothing to judge it on, so it is stored refused and v1 stays active.
    expect(listed.versions.map((v) => [v.version, v.source, v.active])).toEqual([
      ["v2", "retrained", false],
      ["v1", "shipped", true],
    ]);
    expect(listed.versions[0]!.promoted).toBe(false);
    expect(listed.versions[0]!.reasons.join(" ")).toContain("held-out corrected field");
    expect(listed.versions[1]!.metrics.heldout.category_accuracy).toBeGreaterThan(0.9);
    const id = [...rehearsal.functions.keys()].find((k) => k.startsWith("Retrainer"))!;
    expect(readFileSync(join(rehearsal.logDir, `${id}.log`), "utf8")).toContain(job_id);
  }, 150_000);
});

describe("rehearsed AWS faults", () => {
  it("refuses to start while the secret still holds the placeholder, naming the variable; answers CORS when configured", async () => {
    const other = await startRehearsal({
      cdkOut,
      redisUrl,
      secret: { UPSTASH_REDIS_REST_TOKEN: "set-me" },
      parameters: { CorsAllowedOrigins: "https://desk.example.com" },
      onError: () => {},
    });
    try {
      // The CORS preflight is API Gateway's own answer (no function runs), from the stack parameter.
      const preflight = (origin: string) =>
        fetch(`${other.url}/tickets`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });
      const ok = await preflight("https://desk.example.com");
      expect(ok.status).toBe(204);
      expect(ok.headers.get("access-control-allow-origin")).toBe("https://desk.example.com");
      expect(ok.headers.get("access-control-allow-methods")).toContain("POST");
      expect((await preflight("https://evil.example.net")).headers.get("access-control-allow-origin")).toBeNull();
      expect((await fetch(`${rehearsal.url}/tickets`, { method: "OPTIONS", headers: { origin: "https://desk.example.com", "access-control-request-method": "POST" } })).status).toBe(404); // off by default

      const res = await fetch(`${other.url}/health`);
      expect(res.status).toBe(500);
      const id = [...other.functions.keys()].find((k) => k.startsWith("RouteHealth"))!;
      await eventually(async () => readFileSync(join(other.logDir, `${id}.log`), "utf8").includes('UPSTASH_REDIS_REST_TOKEN=(hidden): is still the placeholder \\"set-me\\"'));
    } finally {
      await other.stop();
    }
  }, 60_000);
});

defineScenarios(() => target, { timeoutMs: 120_000 });

describe("events left behind", () => {
  it("an event a dead execution environment appended but never relayed reaches EventBridge with the next classifier batch", async () => {
    // As if a function appended to the outbox and died before its relay ran.
    const direct = new Redis(redisUrl);
    const ticket_id = `LEFT-${Date.now()}`;
    await direct.xadd("ss:{ss}:outbox", "*", "type", "ticket_popped", "data", JSON.stringify({ ticket_id }));
    await direct.quit();
    const seen = async () => {
      const r = await fetch(`${rehearsal.url}/activity?limit=200`);
      const { events } = (await r.json()) as { events: { type: string; data: { ticket_id?: string } }[] };
      return events.some((e) => e.type === "ticket_popped" && e.data.ticket_id === ticket_id);
    };
    expect(await seen()).toBe(false);
    const res = await fetch(`${rehearsal.url}/tickets`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ ticket_id: `${ticket_id}-trigger`, subject: "Question", body: "How do I export a report?" }) });
    expect(res.status).toBe(202);
    await eventually(seen, 60_000);
  }, 90_000);
});

// Last: it takes Redis away.
describe("an event target that fails", () => {
  it("is retried as the function's EventInvokeConfig says, then kept in its on-failure destination", async () => {
    const assembly = CloudAssembly.open(cdkOut);
    const activityId = [...rehearsal.functions.keys()].find((id) => id.startsWith("Activity"))!;
    const [, config] = assembly.resources("AWS::Lambda::EventInvokeConfig").find(([, r]) => CloudAssembly.target(r.Properties!.FunctionName as never) === activityId)!;
    const p = config.Properties as { MaximumRetryAttempts: number; DestinationConfig: { OnFailure: { Destination: never } } };
    const failures = rehearsal.queues[CloudAssembly.target(p.DestinationConfig.OnFailure.Destination)]!;

    redis.kill("SIGKILL"); // the activity function can no longer write to Upstash
    const events = new EventBridgeClient(awsClientConfig(rehearsal.moto.endpoint));
    const detail = { ticket_id: `FAULT-${Date.now()}`, job_id: "job_fault", subject: "Redis is gone" };
    const sent = await events.send(
      new PutEventsCommand({ Entries: [{ EventBusName: Object.values(rehearsal.buses)[0], Source: EVENT_SOURCE, DetailType: "ticket_accepted", Detail: JSON.stringify(detail) }] }),
    );
    expect(sent.FailedEntryCount).toBe(0);
    const record = await eventually(async () => {
      const bodies = await rehearsal.peek(failures);
      return bodies.map((b) => JSON.parse(b)).find((r) => r.requestPayload?.detail?.ticket_id === detail.ticket_id);
    }, 30_000);
    expect(record.requestContext).toMatchObject({ condition: "RetriesExhausted", approximateInvokeCount: p.MaximumRetryAttempts + 1 });
    expect(record.requestContext.functionArn).toContain(activityId);
    expect(record.responseContext.functionError).toBe("Unhandled");
  }, 60_000);
});
