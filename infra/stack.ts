import { fileURLToPath } from "node:url";
import {
  aws_apigatewayv2 as apigw,
  aws_apigatewayv2_integrations as integrations,
  aws_cloudwatch as cloudwatch,
  aws_ecr_assets as ecrAssets,
  aws_events as events,
  aws_events_targets as targets,
  aws_lambda as lambda,
  aws_lambda_event_sources as sources,
  aws_lambda_nodejs as nodejs,
  aws_secretsmanager as secretsmanager,
  aws_sqs as sqs,
  CfnOutput,
  CfnParameter,
  Duration,
  Stack,
  type StackProps,
} from "aws-cdk-lib";
import type { Construct } from "constructs";
import { EVENT_RULES, EVENT_SOURCE } from "../layers/core/ports/event-bus.js";
import { routes } from "../functions/routes.js";
import { BUNDLE_BANNER, buildImageTask } from "./image-task.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RUNTIME = lambda.Runtime.NODEJS_22_X;
const CLASSIFIER_TIMEOUT = Duration.seconds(60);

/** One function name per route: the route table's name, as CloudFormation ids want it. */
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export class SmartSupportStack extends Stack {
  readonly api: apigw.HttpApi;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    // Non-secret settings are stack parameters (no context look-ups); secrets live in Secrets Manager.
    const upstashUrl = new CfnParameter(this, "UpstashRestUrl", {
      type: "String",
      description: "Upstash Redis REST URL (https://….upstash.io); its token goes into the stack's secret",
    });
    const webhookUrl = new CfnParameter(this, "WebhookUrl", { type: "String", default: "", description: "Where alerts go (optional)" });
    const webhookFormat = new CfnParameter(this, "WebhookFormat", {
      type: "String",
      default: "generic",
      allowedValues: ["generic", "slack", "discord"],
    });
    const secret = new secretsmanager.Secret(this, "Secrets", {
      description: "Smart-Support: UPSTASH_REDIS_REST_TOKEN, WEBHOOK_SECRET, API_KEY (JSON)",
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ UPSTASH_REDIS_REST_TOKEN: "set-me", WEBHOOK_SECRET: "" }),
        generateStringKey: "API_KEY",
        excludePunctuation: true,
        passwordLength: 40,
      },
    });

    const intakeDlq = new sqs.Queue(this, "IntakeDlq", {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const intake = new sqs.Queue(this, "Intake", {
      // AWS's rule for Lambda event sources: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(6 * CLASSIFIER_TIMEOUT.toSeconds()),
      deadLetterQueue: { queue: intakeDlq, maxReceiveCount: 5 },
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    const bus = new events.EventBus(this, "Bus", { eventBusName: "smart-support" });
    const eventsDlq = new sqs.Queue(this, "EventTargetsDlq", { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });

    const environment = {
      UPSTASH_REDIS_REST_URL: upstashUrl.valueAsString,
      WEBHOOK_URL: webhookUrl.valueAsString,
      WEBHOOK_FORMAT: webhookFormat.valueAsString,
      QUEUE_URL: intake.queueUrl,
      EVENT_BUS_NAME: bus.eventBusName,
      SECRETS_ARN: secret.secretArn,
      POWERTOOLS_SERVICE_NAME: "smart-support",
      NODE_OPTIONS: "--enable-source-maps",
    };

    // The container image: classifier and model-backed routes, built from the task folder the rehearsal runs.
    const taskFolder = buildImageTask();
    const image = (cmd: string) =>
      lambda.DockerImageCode.fromImageAsset(taskFolder, { cmd: [cmd], platform: ecrAssets.Platform.LINUX_AMD64 });
    const classifier = new lambda.DockerImageFunction(this, "Classifier", {
      code: image("classifier.handler"),
      architecture: lambda.Architecture.X86_64, // must match the image's platform (infra/image-task.ts says why)
      memorySize: 2048,
      timeout: CLASSIFIER_TIMEOUT,
      environment,
      description: "Classifies, dedups and routes queue batches (MiniLM ONNX)",
    });
    classifier.addEventSource(
      new sources.SqsEventSource(intake, {
        batchSize: 32,
        maxBatchingWindow: Duration.seconds(1),
        reportBatchItemFailures: true,
        maxConcurrency: 10,
      }),
    );

    // Zip functions are plain JavaScript, the same bytes on any CPU: arm64 (Graviton) costs ~20% less per
    // GB-second. Everything they import is inside the bundle (the AWS SDK too, at the version tested here);
    // nothing is external, so a bundle that reached for onnxruntime would not load at all.
    const zipFunction = (name: string, entry: string, extra: Partial<nodejs.NodejsFunctionProps> = {}) =>
      new nodejs.NodejsFunction(this, name, {
        entry: `${ROOT}/${entry}`,
        handler: "handler",
        runtime: RUNTIME,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 256,
        timeout: Duration.seconds(10),
        environment: { ...environment, DASHBOARD_DIR: "/var/task/dashboard/" },
        projectRoot: ROOT,
        depsLockFilePath: `${ROOT}/package-lock.json`,
        bundling: {
          format: nodejs.OutputFormat.ESM,
          target: "node22",
          minify: true,
          sourceMap: true,
          bundleAwsSDK: true,
          externalModules: [],
          banner: BUNDLE_BANNER,
          commandHooks: {
            beforeBundling: () => [],
            beforeInstall: () => [],
            // The Lua scripts are read from beside the bundle at start-up; the built dashboard is served by
            // the `/` and `/assets/{file}` routes.
            afterBundling: (input: string, output: string) => [
              `cp -r ${input}/layers/core/store/lua/*.lua ${input}/layers/core/store/lua/includes ${output}/`,
              `cp -r ${input}/dashboard/dist ${output}/dashboard`,
            ],
          },
        },
        ...extra,
      });

    this.api = new apigw.HttpApi(this, "Api", { description: "Smart-Support HTTP API" });
    const apiFunctions: lambda.IFunction[] = [];
    for (const r of routes) {
      const fn = r.needsModel
        ? new lambda.DockerImageFunction(this, `Route${pascal(r.name)}`, {
            code: image("model-api.handler"),
            architecture: lambda.Architecture.X86_64,
            memorySize: 2048,
            timeout: Duration.seconds(10),
            environment,
          })
        : zipFunction(`Route${pascal(r.name)}`, "functions/api/lambda.ts");
      this.api.addRoutes({
        path: r.path,
        methods: [r.method as apigw.HttpMethod],
        integration: new integrations.HttpLambdaIntegration(`Route${pascal(r.name)}Integration`, fn),
      });
      apiFunctions.push(fn);
      if (r.name === "submitTicket" || r.name === "submitTicketBatch") intake.grantSendMessages(fn);
    }

    const activity = zipFunction("Activity", "functions/activity/lambda.ts");
    const webhook = zipFunction("Webhook", "functions/webhook/lambda.ts", { timeout: Duration.seconds(60) });
    const ruleTargets = { activity, webhooks: webhook } as const;
    for (const [rule, types] of Object.entries(EVENT_RULES) as [keyof typeof EVENT_RULES, readonly string[]][]) {
      new events.Rule(this, `${pascal(rule)}Rule`, {
        eventBus: bus,
        eventPattern: { source: [EVENT_SOURCE], detailType: [...types] },
        targets: [
          new targets.LambdaFunction(ruleTargets[rule], {
            retryAttempts: 4,
            maxEventAge: Duration.hours(2),
            deadLetterQueue: eventsDlq,
          }),
        ],
      });
    }

    for (const fn of [...apiFunctions, classifier, activity, webhook]) secret.grantRead(fn);
    for (const fn of [...apiFunctions, classifier, webhook]) bus.grantPutEventsTo(fn);

    const alarm = (id: string, metric: cloudwatch.IMetric, description: string) =>
      new cloudwatch.Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
    alarm("IntakeDlqAlarm", intakeDlq.metricApproximateNumberOfMessagesVisible(), "Tickets failed 5 times and sit in the intake DLQ");
    alarm("EventTargetsDlqAlarm", eventsDlq.metricApproximateNumberOfMessagesVisible(), "Activity/webhook events could not be delivered");
    alarm("ClassifierErrorsAlarm", classifier.metricErrors({ period: Duration.minutes(5) }), "The classifier function failed");
    alarm(
      "BreakerOpenAlarm",
      new cloudwatch.Metric({
        namespace: "SmartSupport",
        metricName: "BreakerOpened",
        dimensionsMap: { service: "smart-support" },
        statistic: "Sum",
        period: Duration.minutes(5),
      }),
      "The transformer's circuit breaker opened: tickets are scored by the baseline",
    );

    new CfnOutput(this, "ApiUrl", { value: this.api.apiEndpoint, description: "Base URL for the seed's curl walkthrough" });
    new CfnOutput(this, "SecretArn", { value: secret.secretArn, description: "Put UPSTASH_REDIS_REST_TOKEN (and WEBHOOK_SECRET) here" });
  }
}
