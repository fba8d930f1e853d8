import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_RULES, EVENT_SOURCE } from "../../layers/core/ports/event-bus.js";
import { routes } from "../../functions/routes.js";
import { SmartSupportStack } from "../../infra/stack.js";

let template: Template;
beforeAll(() => {
  const app = new App({ outdir: mkdtempSync(join(tmpdir(), "cdk-")) });
  template = Template.fromStack(new SmartSupportStack(app, "Test"));
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
  });

  it("serves the model-backed route from the image, the others from zip bundles", () => {
    const scoring = routes.filter((r) => r.needsModel);
    expect(scoring.map((r) => r.path)).toEqual(["/urgency-score"]);
    template.hasResourceProperties("AWS::Lambda::Function", { PackageType: "Image", ImageConfig: { Command: ["model-api.handler"] } });
  });

  it("routes bus events by the same rules as the local bus, to targets with retries and a DLQ", () => {
    const rules = resources("AWS::Events::Rule");
    expect(rules).toHaveLength(Object.keys(EVENT_RULES).length);
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

  it("grants least privilege: only intake functions may send to the queue", () => {
    const senders = resources("AWS::IAM::Policy").filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes("sqs:SendMessage"));
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
});
