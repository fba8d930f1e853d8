// The AWS rehearsal (DESIGN §1): runs what `cdk synth` produced — each function from its own artifact, in its
// own processes, with the environment the template gives it — wired as the template wires it, against local
// stand-ins: moto for SQS, EventBridge and Secrets Manager, the Upstash REST stand-in over a real Redis.
import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, createWriteStream, mkdirSync, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from "@aws-sdk/client-eventbridge";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { CloudAssembly, Resolver, type FunctionSpec, type ResolvedResource } from "./assembly.js";
import { defaultAsyncConfig, startAsyncTarget, type AsyncInvokeConfig } from "./event-targets.js";
import { startHttpApi, type Cors } from "./http-api.js";
import { LocalLambda } from "./lambda-runner.js";
import { awsClientConfig, startMoto, type Moto } from "./moto.js";
import { startEventSource } from "./sqs-event-source.js";
import { startUpstashStandin, type UpstashStandin } from "./upstash-standin.js";

const REGION = "us-east-1";
const ACCOUNT = "123456789012"; // moto's account

export interface RehearsalOptions {
  /** The cloud assembly `cdk synth` wrote. */
  cdkOut: string;
  /** The real Redis behind the Upstash stand-in. */
  redisUrl: string;
  /** Values the user would put into the stack's secret after deploying (merged over its template). */
  secret?: Record<string, string>;
  /** Stack parameters (UpstashRestUrl is the stand-in's, always). */
  parameters?: Record<string, string>;
  port?: number;
  host?: string;
  /**
   * The intake queue's visibility timeout in seconds instead of the template's (6 × the classifier's timeout, 6
   * minutes): a failed record comes back after it, so a poison message reaches the DLQ in seconds, not half an hour.
   */
  visibilityTimeoutSeconds?: number;
  /** Execution environments per function at most (Lambda's are many; two cores are not). */
  maxConcurrency?: number;
  /** Scheduled rules fire every this many ms instead of their rate (a minute is long in a test). */
  scheduleEveryMs?: number;
  /** Lambda's async retry waits about 1 and 2 minutes; the rehearsal waits this many ms · attempt. */
  asyncRetryDelayMs?: number;
  /** Where function logs go: one file per function under this folder (a temporary one by default). */
  logDir?: string;
  onError?(err: unknown): void;
}

export interface Rehearsal {
  url: string;
  moto: Moto;
  assembly: CloudAssembly;
  /** The secret's values as the functions read them. */
  secret: Record<string, string>;
  /** Queue URLs by the template's logical id. */
  queues: Record<string, string>;
  /** Event bus names by the template's logical id. */
  buses: Record<string, string>;
  functions: Map<string, LocalLambda>;
  sqs: SQSClient;
  logDir: string;
  /** The intake queue (the one the classifier's event source mapping reads) and its dead-letter queue. */
  intakeQueueUrl: string;
  intakeDlqUrl: string;
  send(queueUrl: string, body: string): Promise<void>;
  /** Bodies now visible in a queue (received with a zero visibility timeout, so they stay). */
  peek(queueUrl: string): Promise<string[]>;
  stop(): Promise<void>;
}

type Props = Record<string, unknown>;
const props = (a: CloudAssembly, id: string) => (a.resource(id).Properties ?? {}) as Props;

export async function startRehearsal(opts: RehearsalOptions): Promise<Rehearsal> {
  const assembly = CloudAssembly.open(opts.cdkOut);
  const stack = assembly.stackName;
  const workDir = mkdtempSync(join(tmpdir(), "ss-rehearsal-")); // outside the repository: no node_modules above
  const logDir = opts.logDir ?? join(workDir, "logs");
  mkdirSync(logDir, { recursive: true });
  let stopping = false; // pollers fail while the stand-ins go away: not worth reporting
  const report = opts.onError ?? ((err: unknown) => console.error("[rehearsal]", err));
  const onError = (err: unknown) => stopping || report(err);
  const stoppers: (() => Promise<void>)[] = [];

  const moto = await startMoto();
  stoppers.push(() => moto.stop());
  const standin: UpstashStandin = await startUpstashStandin(opts.redisUrl);
  stoppers.push(() => standin.close());
  try {
    const client = awsClientConfig(moto.endpoint);
    const sqs = new SQSClient(client);
    const events = new EventBridgeClient(client);
    const secrets = new SecretsManagerClient(client);
    const resources: Record<string, ResolvedResource> = {};

    // Queues, with the template's attributes (redrive references resolved once their targets exist).
    const queueIds = assembly.resources("AWS::SQS::Queue").map(([id]) => id);
    const queues: Record<string, string> = {};
    // Both intake lanes feed the classifier through an event source mapping; the main lane is "Intake…".
    const laneIds = assembly.resources("AWS::Lambda::EventSourceMapping").map(([, r]) => CloudAssembly.target(r.Properties!.EventSourceArn ?? null));
    const intakeId = laneIds.find((id) => !id.startsWith("IntakeFlood"));
    const ordered = [...queueIds].sort((a, b) => Number(Boolean(props(assembly, a).RedrivePolicy)) - Number(Boolean(props(assembly, b).RedrivePolicy)));
    for (const id of ordered) {
      const p = props(assembly, id);
      const attributes: Record<string, string> = {};
      if (p.VisibilityTimeout !== undefined) attributes.VisibilityTimeout = String(p.VisibilityTimeout);
      if (laneIds.includes(id) && opts.visibilityTimeoutSeconds !== undefined) attributes.VisibilityTimeout = String(opts.visibilityTimeoutSeconds);
      if (p.MessageRetentionPeriod !== undefined) attributes.MessageRetentionPeriod = String(p.MessageRetentionPeriod);
      if (p.RedrivePolicy) {
        const rp = p.RedrivePolicy as { deadLetterTargetArn: never; maxReceiveCount: number };
        attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: resources[CloudAssembly.target(rp.deadLetterTargetArn)]!.attributes!.Arn, maxReceiveCount: rp.maxReceiveCount });
      }
      const name = `${stack}-${id}`.slice(0, 80);
      const url = (await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }))).QueueUrl!;
      const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
      queues[id] = url;
      resources[id] = { ref: url, attributes: { Arn: arn, QueueUrl: url, QueueName: name } };
    }

    // The secret as the stack creates it (template + generated key), then the values the user puts in.
    const [secretId, secretRes] = assembly.resources("AWS::SecretsManager::Secret")[0] ?? [];
    let secretValues: Record<string, string> = {};
    if (secretId) {
      const gen = (secretRes!.Properties!.GenerateSecretString ?? {}) as { SecretStringTemplate?: string; GenerateStringKey?: string; PasswordLength?: number };
      secretValues = JSON.parse(gen.SecretStringTemplate ?? "{}") as Record<string, string>;
      if (gen.GenerateStringKey) secretValues[gen.GenerateStringKey] = randomBytes(30).toString("base64url").slice(0, gen.PasswordLength ?? 32);
      secretValues = { ...secretValues, UPSTASH_REDIS_REST_TOKEN: standin.token, ...opts.secret };
      const created = await secrets.send(new CreateSecretCommand({ Name: `${stack}-${secretId}`, SecretString: JSON.stringify(secretValues) }));
      resources[secretId] = { ref: created.ARN!, attributes: { Id: created.ARN! } };
    }

    const parameters = { UpstashRestUrl: standin.url, ...opts.parameters };
    const pseudo = { "AWS::Region": REGION, "AWS::AccountId": ACCOUNT, "AWS::StackName": stack, "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com", "AWS::StackId": `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stack}/rehearsal` };
    const resolver = new Resolver(assembly.template, { parameters, pseudo, resources });

    // Event buses (named as the template names them).
    const buses: Record<string, string> = {};
    for (const [id, r] of assembly.resources("AWS::Events::EventBus")) {
      const name = String(resolver.resolve((r.Properties!.Name as never) ?? `${stack}-${id}`));
      const arn = (await events.send(new CreateEventBusCommand({ Name: name }))).EventBusArn!;
      resources[id] = { ref: name, attributes: { Arn: arn, Name: name } };
      buses[id] = name;
    }

    // Functions: names and ARNs first (environments may reference them), then one runner each.
    const specs = assembly.functions();
    for (const f of specs) {
      const name = `${stack}-${f.logicalId}`.slice(0, 64);
      resources[f.logicalId] = { ref: name, attributes: { Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}` } };
    }
    const staged = new Map<string, string>();
    const functions = new Map<string, LocalLambda>();
    const logs: WriteStream[] = [];
    for (const f of specs) {
      // One copy per artifact, outside the repository; functions sharing an artifact share its read-only copy.
      let taskRoot = staged.get(f.assetDir);
      if (!taskRoot) {
        taskRoot = join(workDir, basename(f.assetDir));
        cpSync(f.assetDir, taskRoot, { recursive: true });
        staged.set(f.assetDir, taskRoot);
      }
      const log = createWriteStream(join(logDir, `${f.logicalId}.log`), { flags: "a" });
      logs.push(log);
      const name = resources[f.logicalId]!.ref;
      functions.set(
        f.logicalId,
        new LocalLambda(f, {
          taskRoot,
          environment: functionEnvironment(f, resolver, taskRoot),
          lambdaEnvironment: lambdaEnvironment(f, name, taskRoot, moto.endpoint),
          concurrency: Math.max(1, Math.min(f.reservedConcurrency ?? Infinity, opts.maxConcurrency ?? 2)),
          functionArn: resources[f.logicalId]!.attributes!.Arn!,
          log,
        }),
      );
    }
    stoppers.push(async () => {
      await Promise.all([...functions.values()].map((fn) => fn.stop()));
      for (const l of logs) l.end();
    });

    // HTTP API: routes → integrations → functions.
    const integrations = new Map(assembly.resources("AWS::ApiGatewayV2::Integration").map(([id, r]) => [id, CloudAssembly.target(r.Properties!.IntegrationUri as never)]));
    const routes = assembly.resources("AWS::ApiGatewayV2::Route").map(([, r]) => {
      const target = String(r.Properties!.Target === undefined ? "" : JSON.stringify(r.Properties!.Target));
      const integrationId = /"Ref":"([^"]+)"/.exec(target)?.[1];
      const fnId = integrationId && integrations.get(integrationId);
      if (!fnId) throw new Error(`route ${String(r.Properties!.RouteKey)}: no Lambda integration found`);
      const fn = functions.get(fnId)!;
      return { routeKey: String(r.Properties!.RouteKey), invoke: (event: APIGatewayProxyEventV2) => fn.invoke(event) };
    });
    const [apiRes] = assembly.resources("AWS::ApiGatewayV2::Api");
    const cors = apiRes?.[1].Properties?.CorsConfiguration;
    const api = await startHttpApi(routes, opts.port ?? 0, opts.host, cors ? ((resolver.resolve(cors) ?? undefined) as Cors | undefined) : undefined);
    stoppers.push(async () => {
      api.server.closeAllConnections();
      await new Promise<void>((r) => api.server.close(() => r()));
    });

    // SQS event source mappings.
    for (const [, r] of assembly.resources("AWS::Lambda::EventSourceMapping")) {
      const p = r.Properties as Props;
      const queueId = CloudAssembly.target(p.EventSourceArn as never);
      const fn = functions.get(CloudAssembly.target(p.FunctionName as never))!;
      const source = startEventSource(sqs, {
        queueUrl: queues[queueId]!,
        queueArn: resources[queueId]!.attributes!.Arn!,
        region: REGION,
        batchSize: Number(p.BatchSize ?? 10),
        batchingWindowSeconds: Number(p.MaximumBatchingWindowInSeconds ?? 0),
        reportBatchItemFailures: ((p.FunctionResponseTypes as string[] | undefined) ?? []).includes("ReportBatchItemFailures"),
        maxConcurrency: Math.max(1, Math.min(Number((p.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency ?? 2), opts.maxConcurrency ?? 2)),
        invoke: (event) => fn.invoke(event),
        onError,
      });
      stoppers.push(() => source.stop());
    }

    // EventBridge rules → Lambda targets through Lambda's asynchronous invocation.
    const asyncConfigs = new Map<string, AsyncInvokeConfig>();
    for (const [, r] of assembly.resources("AWS::Lambda::EventInvokeConfig")) {
      const p = r.Properties as Props;
      const destination = (p.DestinationConfig as { OnFailure?: { Destination?: never } } | undefined)?.OnFailure?.Destination;
      asyncConfigs.set(CloudAssembly.target(p.FunctionName as never), {
        maxRetryAttempts: Number(p.MaximumRetryAttempts ?? 2),
        maxEventAgeSeconds: Number(p.MaximumEventAgeInSeconds ?? 21_600),
        onFailureQueueUrl: destination ? queues[CloudAssembly.target(destination)] : undefined,
      });
    }
    for (const [ruleId, r] of assembly.resources("AWS::Events::Rule")) {
      const p = r.Properties as Props;
      if (p.ScheduleExpression) {
        // A schedule (the default bus's "rate(…)"): its targets invoked on a timer, asynchronously as in AWS.
        const everyMs = opts.scheduleEveryMs ?? rateMs(String(p.ScheduleExpression));
        for (const t of (p.Targets as { Id: string; Arn: never }[]) ?? []) {
          const fn = functions.get(CloudAssembly.target(t.Arn));
          if (!fn) throw new Error(`rule ${ruleId}: target ${CloudAssembly.target(t.Arn)} is not a Lambda function the rehearsal runs`);
          const event = { version: "0", source: "aws.events", "detail-type": "Scheduled Event", account: "123456789012", region: REGION, resources: [ruleId], detail: {} };
          const fire = async () => {
            const r = await fn.invoke({ ...event, id: randomUUID(), time: new Date().toISOString() });
            if (!r.ok) onError(new Error(`scheduled ${ruleId} → ${fn.spec.logicalId}: ${r.errorType}: ${r.errorMessage}`));
          };
          const timer = setInterval(() => void fire(), everyMs);
          stoppers.push(async () => clearInterval(timer));
        }
        continue;
      }
      const busName = String(resolver.resolve(p.EventBusName as never));
      await events.send(new PutRuleCommand({ Name: ruleId, EventBusName: busName, EventPattern: JSON.stringify(resolver.resolve(p.EventPattern as never)), State: "ENABLED" }));
      for (const t of (p.Targets as { Id: string; Arn: never }[]) ?? []) {
        const fnId = CloudAssembly.target(t.Arn);
        const fn = functions.get(fnId);
        if (!fn) throw new Error(`rule ${ruleId}: target ${fnId} is not a Lambda function the rehearsal runs`);
        const deliveryName = `${stack}-${ruleId}-${t.Id}-async`.slice(0, 80);
        const deliveryUrl = (await sqs.send(new CreateQueueCommand({ QueueName: deliveryName }))).QueueUrl!;
        const deliveryArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: deliveryUrl, AttributeNames: ["QueueArn"] }))).Attributes!.QueueArn!;
        await events.send(new PutTargetsCommand({ Rule: ruleId, EventBusName: busName, Targets: [{ Id: t.Id, Arn: deliveryArn }] }));
        const target = startAsyncTarget(sqs, {
          functionArn: resources[fnId]!.attributes!.Arn!,
          deliveryQueueUrl: deliveryUrl,
          config: asyncConfigs.get(fnId) ?? defaultAsyncConfig(),
          retryDelayMs: opts.asyncRetryDelayMs ?? 1000,
          invoke: (event) => fn.invoke(event),
          onError,
        });
        stoppers.push(() => target.stop());
      }
    }

    const dlqId = intakeId ? ((props(assembly, intakeId).RedrivePolicy as { deadLetterTargetArn?: never } | undefined)?.deadLetterTargetArn) : undefined;
    return {
      url: api.url,
      moto,
      assembly,
      secret: secretValues,
      queues,
      buses,
      functions,
      sqs,
      logDir,
      intakeQueueUrl: intakeId ? queues[intakeId]! : "",
      intakeDlqUrl: dlqId ? queues[CloudAssembly.target(dlqId)]! : "",
      async send(queueUrl, body) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
      },
      async peek(queueUrl) {
        const r = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 }));
        return (r.Messages ?? []).map((m) => m.Body ?? "");
      },
      async stop() {
        stopping = true;
        for (const stop of stoppers.reverse()) await stop().catch(onError);
        rmSync(workDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const stop of stoppers.reverse()) await stop().catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * The function's environment: the image's ENV lines, then the template's variables, resolved. Paths under
 * /var/task (where Lambda puts the code) point at the function's copy instead.
 */
function functionEnvironment(f: FunctionSpec, resolver: Resolver, taskRoot: string): Record<string, string> {
  const env: Record<string, string> = { ...f.imageEnvironment };
  for (const [k, v] of Object.entries(f.environment)) env[k] = String(resolver.resolve(v));
  for (const [k, v] of Object.entries(env)) env[k] = v.replace(/^\/var\/task(?=\/|$)/, taskRoot);
  return env;
}

/** What Lambda itself sets in every execution environment, plus the one addition: AWS calls go to moto. */
function lambdaEnvironment(f: FunctionSpec, name: string, taskRoot: string, awsEndpoint: string): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(f.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: "rehearsal",
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: "rehearsal",
    AWS_SECRET_ACCESS_KEY: "rehearsal",
    AWS_SESSION_TOKEN: "rehearsal",
    AWS_ENDPOINT_URL: awsEndpoint,
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: f.handler,
    TZ: ":UTC",
    LANG: "en_US.UTF-8",
    PATH: "/usr/local/bin:/usr/bin:/bin",
  };
}

/** "rate(1 minute)", "rate(5 minutes)", "rate(1 hour)" → milliseconds. */
function rateMs(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) throw new Error(`schedule ${expression}: the rehearsal runs rate(…) schedules only`);
  const unit = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[m[2]!.replace(/s$/, "") as "minute" | "hour" | "day"];
  return Number(m[1]) * unit;
}
