import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App, Aspects } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_RULES, EVENT_SOURCE } from "../../layers/core/ports/event-bus.js";
import { routes } from "../../functions/routes.js";
import { ASYNC_RETRY_ATTEMPTS, MODEL_ROUTE_RESERVED_CONCURRENCY, RETRAINER_MEMORY_MB, RETRAINER_TIMEOUT, SmartSupportStack } from "../../infra/stack.js";

let template: Template;
let stack: SmartSupportStack;
beforeAll(() => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cdk-")) });
  stack = new SmartSupportStack(app, "Test");
  // The same checks `cdk synth` runs (infra/app.ts); applied before the one synthesis all tests read.
  Aspects.of(stack).add(new AwsSolutionsChecks());
  template = Template.fromStack(stack);
}, 180_000);

type Resource = { Type: string; Properties: Record<string, unknown> };
const resources = (type: string) => Object.entries(template.findResources(type) as Record<string, Resource>);

describe("CDK app", () => {
  it("has one API Gateway route per entry of the route table, and no other", () => {
    const keys = resources("AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties.RouteKey).sort();
    expect(keys).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it("runs every zip function on a supported Node.js runtime (not the deprecated nodejs20.x)", () => {
    const runtimes = new Set(resources("AWS::Lambda::Function").flatMap(([, r]) => (r.Properties.Runtime ? [r.Properties.Runtime] : [])));
    expect([...runtimes].every((r) => r === "nodejs22.x" || r === "nodejs24.x")).toBe(true);
    expect(runtimes.size).toBeGreaterThan(0);
  });

  it("has an intake queue redriving to a DLQ after 5 receives, with a visibility timeout ≥ 6 × the classifier's", () => {
    const [, intake] = resources("AWS::SQS::Queue").find(([, r]) => r.Properties.RedrivePolicy)!;
    expect(intake.Properties.RedrivePolicy).toMatchObject({ maxReceiveCount: 5, deadLetterTargetArn: expect.anything() });
    const classifier = resources("AWS::Lambda::Function").find(([, r]) => (r.Properties.ImageConfig as { Command?: string[] })?.Command?.[0] === "classifier.handler")!;
    expect(Number(intake.Properties.VisibilityTimeout)).toBeGreaterThanOrEqual(6 * Number(classifier[1].Properties.Timeout));
  });

  it("feeds the container-image classifier from SQS with batching, a window, partial failures and a concurrency cap", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      PackageType: "Image",
      ImageConfig: { Command: ["classifier.handler"] },
    });
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      BatchSize: 32,
      MaximumBatchingWindowInSeconds: 1,
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      ScalingConfig: { MaximumConcurrency: 10 },
    });
    // The flood lane: its own queue and event source, at most 2 classifiers (README "Flood lanes").
    template.resourceCountIs("AWS::Lambda::EventSourceMapping", 2);
    template.hasResourceProperties("AWS::Lambda::EventSourceMapping", { BatchSize: 32, ScalingConfig: { MaximumConcurrency: 2 } });
  });

  it("serves the model-backed routes from the image, the others from zip bundles", () => {
    const scoring = routes.filter((r) => r.needsModel);
    expect(scoring.map((r) => r.path)).toEqual(["/urgency-score", "/tickets/{ticket_id}/similar"]);
    template.hasResourceProperties("AWS::Lambda::Function", { PackageType: "Image", ImageConfig: { Command: ["model-api.handler"] } });
  });

  it("runs retrain jobs in the classifier's image with its own handler, every minute, sized for a 10k-example retrain", () => {
    const [retrainerId, retrainer] = resources("AWS::Lambda::Function").find(([, r]) => (r.Properties.ImageConfig as { Command?: string[] })?.Command?.[0] === "retrainer.handler")!;
    const [, classifier] = resources("AWS::Lambda::Function").find(([, r]) => (r.Properties.ImageConfig as { Command?: string[] })?.Command?.[0] === "classifier.handler")!;
    // The same image asset as the classifier: one build, one task folder the rehearsal runs.
    expect(JSON.stringify((retrainer.Properties.Code as { ImageUri: unknown }).ImageUri)).toBe(JSON.stringify((classifier.Properties.Code as { ImageUri: unknown }).ImageUri));
    expect(retrainer.Properties).toMatchObject({ MemorySize: RETRAINER_MEMORY_MB, Timeout: RETRAINER_TIMEOUT.toSeconds() });
    expect(RETRAINER_TIMEOUT.toSeconds()).toBeGreaterThanOrEqual(300);
    expect(RETRAINER_MEMORY_MB).toBeGreaterThanOrEqual(3072);
    const schedule = resources("AWS::Events::Rule").find(([, r]) => JSON.stringify(r.Properties.Targets).includes(`"${retrainerId}"`));
    expect(schedule?.[1].Properties.ScheduleExpression).toBe("rate(1 minute)");
  });

  it("routes bus events by the same rules as the local bus, to targets with retries and a DLQ", () => {
    const rules = resources("AWS::Events::Rule").filter(([, r]) => r.Properties.EventPattern);
    expect(rules).toHaveLength(Object.keys(EVENT_RULES).length);
    // And two schedules: the offer sweeper and the Retrainer, every minute (the rehearsal runs them: test/aws-local).
    const schedules = resources("AWS::Events::Rule").filter(([, r]) => r.Properties.ScheduleExpression);
    expect(schedules.map(([, r]) => r.Properties.ScheduleExpression)).toEqual(["rate(1 minute)", "rate(1 minute)"]);
    for (const types of Object.values(EVENT_RULES)) {
      const rule = rules.find(([, r]) => JSON.stringify((r.Properties.EventPattern as { "detail-type": string[] })["detail-type"]) === JSON.stringify(types));
      expect(rule, `rule for ${types.join(",")}`).toBeDefined();
      expect((rule![1].Properties.EventPattern as { source: string[] }).source).toEqual([EVENT_SOURCE]);
      const [target] = rule![1].Properties.Targets as { RetryPolicy: unknown; DeadLetterConfig: unknown; Arn: unknown }[];
      expect(target!.RetryPolicy).toMatchObject({ MaximumRetryAttempts: 4 });
      expect(target!.DeadLetterConfig).toBeDefined();
    }
  });

  it("keeps every secret out of plain environment variables", () => {
    for (const [, fn] of resources("AWS::Lambda::Function")) {
      const env = ((fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}) as Record<string, unknown>;
      for (const name of ["UPSTASH_REDIS_REST_TOKEN", "WEBHOOK_SECRET", "API_KEY"]) expect(env).not.toHaveProperty(name);
      if (Object.keys(env).length) expect(env).toHaveProperty("SECRETS_ARN");
    }
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
  });

  it("grants least privilege: only intake functions may send to the intake queue", () => {
    const [intakeId] = resources("AWS::SQS::Queue").find(([, r]) => r.Properties.RedrivePolicy)!;
    const senders = resources("AWS::IAM::Policy").filter(([, p]) =>
      (p.Properties.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement.some(
        (st) => [st.Action].flat().includes("sqs:SendMessage") && JSON.stringify(st.Resource).includes(`"${intakeId}"`),
      ),
    );
    expect(senders).toHaveLength(2);
  });

  it("serves the built dashboard from the HTTP API, bundled with its functions", () => {
    const keys = resources("AWS::ApiGatewayV2::Route").map(([, r]) => r.Properties.RouteKey);
    expect(keys).toEqual(expect.arrayContaining(["GET /", "GET /assets/{file}"]));
    const withDashboard = resources("AWS::Lambda::Function").filter(
      ([, fn]) => (fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables?.DASHBOARD_DIR === "/var/task/dashboard/",
    );
    expect(withDashboard.length).toBeGreaterThan(0);
  });

  it("alarms on the DLQs, classifier errors and an open breaker", () => {
    const alarms = resources("AWS::CloudWatch::Alarm").map(([, a]) => a.Properties);
    expect(alarms.some((a) => a.MetricName === "ApproximateNumberOfMessagesVisible")).toBe(true);
    expect(alarms.some((a) => a.MetricName === "Errors")).toBe(true);
    expect(alarms.some((a) => a.MetricName === "BreakerOpened" && a.Namespace === "SmartSupport")).toBe(true);
    template.hasOutput("ApiUrl", Match.anyValue());
  });

  it("sends every alarm, firing and recovering, to an encrypted SSL-only topic with an optional e-mail subscription", () => {
    const [topicId, topic] = resources("AWS::SNS::Topic")[0]!;
    expect(resources("AWS::SNS::Topic")).toHaveLength(1);
    expect(topic.Properties.KmsMasterKeyId).toBeDefined();
    template.hasResourceProperties("AWS::KMS::Key", { EnableKeyRotation: true });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      Topics: [{ Ref: topicId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
    const alarms = resources("AWS::CloudWatch::Alarm");
    expect(alarms.length).toBeGreaterThanOrEqual(7);
    for (const [id, a] of alarms) {
      expect(a.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(a.Properties.OKActions, id).toEqual([{ Ref: topicId }]);
    }
    const subscriptions = template.findResources("AWS::SNS::Subscription");
    expect(Object.values(subscriptions)).toEqual([
      expect.objectContaining({
        Condition: "HasAlarmEmail",
        Properties: { Protocol: "email", Endpoint: { Ref: "AlarmEmail" }, TopicArn: { Ref: topicId } },
      }),
    ]);
    template.hasParameter("AlarmEmail", { Type: "String", Default: "" });
    template.hasCondition("HasAlarmEmail", { "Fn::Not": [{ "Fn::Equals": [{ Ref: "AlarmEmail" }, ""] }] });
  });

  it("has a dashboard with the API, queue, DLQ, classifier and application metrics", () => {
    const [, dashboard] = resources("AWS::CloudWatch::Dashboard")[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const m of ["4xx", "5xx", "Latency", "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "Errors", "Duration", "ConcurrentExecutions"]) {
      expect(body, m).toContain(`\\"${m}\\"`);
    }
    for (const m of ["TicketsProcessed", "ScoredByModel", "ScoredByBaseline", "IncidentsCreated", "BreakerOpened"]) {
      // Powertools' EMF: namespace SmartSupport, dimension service=smart-support (functions/lambda/runtime.ts).
      expect(body, m).toContain(`[\\"SmartSupport\\",\\"${m}\\",\\"service\\",\\"smart-support\\"`);
    }
  });

  it("throttles the $default stage from parameters and writes JSON access logs to a log group with retention", () => {
    const stages = resources("AWS::ApiGatewayV2::Stage");
    expect(stages).toHaveLength(1);
    const stage = stages[0]![1].Properties as {
      StageName: string;
      DefaultRouteSettings: Record<string, unknown>;
      AccessLogSettings: { DestinationArn: { "Fn::GetAtt": [string, string] }; Format: string };
    };
    expect(stage.StageName).toBe("$default");
    expect(stage.DefaultRouteSettings).toEqual({ ThrottlingRateLimit: { Ref: "ApiThrottleRateLimit" }, ThrottlingBurstLimit: { Ref: "ApiThrottleBurstLimit" } });
    template.hasParameter("ApiThrottleRateLimit", { Type: "Number", Default: 100 });
    template.hasParameter("ApiThrottleBurstLimit", { Type: "Number", Default: 200 });
    const format = JSON.parse(stage.AccessLogSettings.Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: "$context.requestId", routeKey: "$context.routeKey", status: "$context.status" });
    const logGroupId = stage.AccessLogSettings.DestinationArn["Fn::GetAtt"][0];
    expect(template.toJSON().Resources[logGroupId]).toMatchObject({ Type: "AWS::Logs::LogGroup", Properties: { RetentionInDays: 30 } });
  });

  it("reserves (and so caps) the model route's concurrency, and nothing else's", () => {
    const reserved = resources("AWS::Lambda::Function").filter(([, fn]) => fn.Properties.ReservedConcurrentExecutions !== undefined);
    expect(reserved).toHaveLength(1);
    expect((reserved[0]![1].Properties.ImageConfig as { Command: string[] }).Command).toEqual(["model-api.handler"]);
    expect(reserved[0]![1].Properties.ReservedConcurrentExecutions).toBe(MODEL_ROUTE_RESERVED_CONCURRENCY);
    // The routes that run it are the route table's model routes: one function serves them all.
    const integrations = resources("AWS::ApiGatewayV2::Integration").filter(([, i]) => JSON.stringify(i.Properties.IntegrationUri).includes(`"${reserved[0]![0]}"`));
    const routeKeys = integrations.map(([id]) => resources("AWS::ApiGatewayV2::Route").find(([, r]) => JSON.stringify(r.Properties.Target).includes(`"${id}"`))![1].Properties.RouteKey);
    expect(routeKeys.sort()).toEqual(["GET /tickets/{ticket_id}/similar", "POST /urgency-score"]);
  });

  it("turns CORS on only when CorsAllowedOrigins is set, splitting it into origins at deploy time", () => {
    const [, api] = resources("AWS::ApiGatewayV2::Api")[0]!;
    const parameters = template.toJSON().Parameters as Record<string, { AllowedPattern: string; Default: unknown }>;
    const conditions = template.toJSON().Conditions as Record<string, unknown>;
    expect(parameters.CorsAllowedOrigins!.Default).toBe("");
    const cors = (origins: string) => evaluate(api.Properties.CorsConfiguration, { CorsAllowedOrigins: origins }, conditions);
    expect(cors("")).toBe(NO_VALUE);
    expect(cors("https://help.example.com,http://localhost:5173")).toEqual({
      AllowOrigins: ["https://help.example.com", "http://localhost:5173"],
      AllowMethods: [...new Set(routes.map((r) => r.method))].sort(),
      AllowHeaders: ["authorization", "content-type"],
      ExposeHeaders: ["link"],
      MaxAge: 600,
    });
    expect(cors("*")).toMatchObject({ AllowOrigins: ["*"] });
    // The parameter refuses what Fn::Split would turn into a wrong origin.
    const pattern = new RegExp(parameters.CorsAllowedOrigins!.AllowedPattern);
    for (const ok of ["", "*", "https://a.example", "https://a.example,http://localhost:5173"]) expect(pattern.test(ok), ok).toBe(true);
    for (const bad of ["https://a.example, https://b.example", "https://a.example/", "a.example", "https://a.example,"]) expect(pattern.test(bad), bad).toBe(false);
  });

  it("keeps an error thrown inside the activity and webhook functions on an alarmed on-failure queue", () => {
    const functions = Object.fromEntries(resources("AWS::Lambda::Function"));
    const rules = resources("AWS::Events::Rule");
    const targetIds = rules.map(([, r]) => ((r.Properties.Targets as { Arn: { "Fn::GetAtt": [string] } }[])[0]!.Arn["Fn::GetAtt"][0]));
    const configs = resources("AWS::Lambda::EventInvokeConfig");
    expect(configs.map(([, c]) => (c.Properties.FunctionName as { Ref: string }).Ref).sort()).toEqual([...new Set(targetIds)].sort());
    const destinations = new Set<string>();
    for (const [, c] of configs) {
      expect(functions[(c.Properties.FunctionName as { Ref: string }).Ref]).toBeDefined();
      expect(c.Properties).toMatchObject({ MaximumRetryAttempts: ASYNC_RETRY_ATTEMPTS, MaximumEventAgeInSeconds: 7200, Qualifier: "$LATEST" });
      const dest = (c.Properties.DestinationConfig as { OnFailure: { Destination: { "Fn::GetAtt": [string, string] } } }).OnFailure.Destination;
      destinations.add(dest["Fn::GetAtt"][0]);
    }
    expect(destinations.size).toBe(1);
    const [queueId] = [...destinations];
    expect(template.toJSON().Resources[queueId!].Type).toBe("AWS::SQS::Queue");
    const alarmed = resources("AWS::CloudWatch::Alarm").some(([, a]) =>
      JSON.stringify(a.Properties.Dimensions).includes(`"${queueId}"`),
    );
    expect(alarmed).toBe(true);
  });

  it("keeps the webhook URL in the secret, not in a parameter or the environment", () => {
    expect(template.toJSON().Parameters).not.toHaveProperty("WebhookUrl");
    for (const [, fn] of resources("AWS::Lambda::Function")) {
      expect((fn.Properties.Environment as { Variables?: Record<string, unknown> })?.Variables ?? {}).not.toHaveProperty("WEBHOOK_URL");
    }
    const [, secret] = resources("AWS::SecretsManager::Secret")[0]!;
    const generate = secret.Properties.GenerateSecretString as { SecretStringTemplate: string; GenerateStringKey: string };
    expect(JSON.parse(generate.SecretStringTemplate)).toEqual({ UPSTASH_REDIS_REST_TOKEN: "set-me", WEBHOOK_URL: "", WEBHOOK_SECRET: "" });
    expect(generate.GenerateStringKey).toBe("API_KEY");
  });

  it("derives names from the stack, so two stages fit one account and region", () => {
    template.hasResourceProperties("AWS::Events::EventBus", { Name: { "Fn::Join": ["", [{ Ref: "AWS::StackName" }, "-events"]] } });
    const [busId] = resources("AWS::Events::EventBus")[0]!;
    for (const [, fn] of resources("AWS::Lambda::Function")) {
      expect((fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    }
    const physicalNames = ["Name", "FunctionName", "QueueName", "TopicName", "LogGroupName", "DashboardName", "RoleName", "KeyAlias", "AliasName"];
    for (const [id, r] of Object.entries(template.toJSON().Resources as Record<string, Resource>)) {
      if (r.Type === "AWS::Lambda::EventInvokeConfig") continue; // FunctionName is a Ref there
      for (const prop of physicalNames) {
        const value = r.Properties?.[prop];
        if (value !== undefined) expect(typeof value, `${id}.${prop}`).not.toBe("string");
      }
    }
  });

  it("gives every function its own log group with a retention", () => {
    const logGroups = template.toJSON().Resources as Record<string, Resource>;
    const fns = resources("AWS::Lambda::Function");
    for (const [id, fn] of fns) {
      const ref = (fn.Properties.LoggingConfig as { LogGroup?: { Ref: string } })?.LogGroup?.Ref;
      expect(ref, id).toBeDefined();
      expect(logGroups[ref!]).toMatchObject({ Type: "AWS::Logs::LogGroup", Properties: { RetentionInDays: 30 } });
    }
    expect(new Set(fns.map(([, fn]) => JSON.stringify(fn.Properties.LoggingConfig))).size).toBe(fns.length);
    for (const [id, lg] of resources("AWS::Logs::LogGroup")) expect(lg.Properties.RetentionInDays, id).toBe(30);
  });

  it("passes cdk-nag's AwsSolutions checks, every exception suppressed per resource with a reason", () => {
    const errors = Annotations.fromStack(stack).findError("*", Match.stringLikeRegexp("AwsSolutions-.*"));
    const warnings = Annotations.fromStack(stack).findWarning("*", Match.stringLikeRegexp("AwsSolutions-.*"));
    expect(errors.map((e) => `${e.id}: ${String(e.entry.data)}`)).toEqual([]);
    expect(warnings.map((e) => `${e.id}: ${String(e.entry.data)}`)).toEqual([]);
    const json = template.toJSON() as { Metadata?: Record<string, unknown>; Resources: Record<string, { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }> };
    expect(json.Metadata?.cdk_nag).toBeUndefined(); // nothing suppressed stack-wide
    const suppressed = new Set<string>();
    for (const r of Object.values(json.Resources)) {
      for (const rule of r.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
        expect(rule.reason.length, rule.id).toBeGreaterThan(40);
        suppressed.add(rule.id);
      }
    }
    expect([...suppressed].sort()).toEqual(["AwsSolutions-APIG4", "AwsSolutions-IAM4", "AwsSolutions-L1", "AwsSolutions-SMG4", "AwsSolutions-SQS3"]);
  });
});

/** The few intrinsic functions the CORS configuration uses, evaluated as CloudFormation would. */
const NO_VALUE = Symbol("AWS::NoValue");
function evaluate(node: unknown, params: Record<string, string>, conditions: Record<string, unknown>): unknown {
  const ev = (n: unknown): unknown => evaluate(n, params, conditions);
  if (Array.isArray(node)) return node.map(ev);
  if (node === null || typeof node !== "object") return node;
  const entries = Object.entries(node);
  if (entries.length === 1) {
    const [[fn, arg]] = entries as [[string, unknown]];
    if (fn === "Ref") {
      if (arg === "AWS::NoValue") return NO_VALUE;
      if (!(String(arg) in params)) throw new Error(`no value for parameter ${String(arg)}`);
      return params[String(arg)];
    }
    if (fn === "Condition") return ev(conditions[String(arg)]);
    if (fn === "Fn::If") {
      const [name, yes, no] = arg as [string, unknown, unknown];
      return ev(conditions[name]) ? ev(yes) : ev(no);
    }
    if (fn === "Fn::Not") return !ev((arg as unknown[])[0]);
    if (fn === "Fn::Equals") {
      const [a, b] = arg as [unknown, unknown];
      return JSON.stringify(ev(a)) === JSON.stringify(ev(b));
    }
    if (fn === "Fn::Split") {
      const [sep, str] = arg as [string, unknown];
      return String(ev(str)).split(sep);
    }
    if (fn.startsWith("Fn::")) throw new Error(`not evaluated here: ${fn}`);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, ev(v)]));
}
